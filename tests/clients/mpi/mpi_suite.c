/* Functional MPI tests over the PSM2 path: point-to-point of all sizes with
 * data checks, wildcards, probe/mprobe, an Isend/Irecv storm and the common
 * collectives. Any failure aborts the job with a message; rank 0 prints one
 * PASS line per section. Runs on any number of ranks >= 2. */
#include "client_check.h"

#include <stdint.h>

static int rank, size;

static unsigned char pattern_byte(int src, int tag, size_t i)
{
    return (unsigned char)(src * 29 + tag * 13 + i * 7 + (i >> 9));
}

static void fill(unsigned char *buf, size_t len, int src, int tag)
{
    size_t i;
    for (i = 0; i < len; ++i)
        buf[i] = pattern_byte(src, tag, i);
}

static size_t first_mismatch(const unsigned char *buf, size_t len, int src, int tag)
{
    size_t i;
    for (i = 0; i < len; ++i) {
        if (buf[i] != pattern_byte(src, tag, i))
            return i;
    }
    return len;
}

static void pass(const char *name)
{
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        printf("PASS %s\n", name);
        fflush(stdout);
    }
}

/* Every size class: tiny, eager, around the shm and HFI rendezvous
 * thresholds (16000, 64000), powers of two and their neighbours, to 4 MiB.
 * Ranks pair up (0-1, 2-3, ...); each pair ping-pongs every size. */
static void point_to_point(void)
{
    static const size_t extra[] = {15999, 16000, 16001, 63999, 64000, 64001, 131072 + 3};
    const size_t max = (size_t)4 << 20;
    unsigned char *buf = malloc(max + 1);
    int peer = rank ^ 1;
    size_t sizes[80], n = 0, i, s;

    sizes[n++] = 0;
    for (s = 1; s <= max; s <<= 1) {
        if (s > 2)
            sizes[n++] = s - 1;
        sizes[n++] = s;
        if (s < max)
            sizes[n++] = s + 1;
    }
    for (i = 0; i < sizeof extra / sizeof extra[0]; ++i)
        sizes[n++] = extra[i];
    FAIL_IF(!buf, "out of memory");
    if (peer < size) {
        for (i = 0; i < n; ++i) {
            int tag = (int)(i % 1000);
            MPI_Status st;
            int count;
            size_t bad;
            if (rank < peer) {
                fill(buf, sizes[i], rank, tag);
                MPI_Send(buf, (int)sizes[i], MPI_BYTE, peer, tag, MPI_COMM_WORLD);
                memset(buf, 0, sizes[i] + 1);
                MPI_Recv(buf, (int)sizes[i] + 1, MPI_BYTE, peer, tag, MPI_COMM_WORLD, &st);
            } else {
                memset(buf, 0, sizes[i] + 1);
                MPI_Recv(buf, (int)sizes[i] + 1, MPI_BYTE, peer, tag, MPI_COMM_WORLD, &st);
            }
            MPI_Get_count(&st, MPI_BYTE, &count);
            FAIL_IF((size_t)count != sizes[i], "size %zu: received count %d", sizes[i], count);
            bad = first_mismatch(buf, sizes[i], peer, tag);
            FAIL_IF(bad != sizes[i], "size %zu: byte %zu differs", sizes[i], bad);
            FAIL_IF(buf[sizes[i]] != 0, "size %zu: wrote past the message", sizes[i]);
            if (rank > peer) {
                fill(buf, sizes[i], rank, tag);
                MPI_Send(buf, (int)sizes[i], MPI_BYTE, peer, tag, MPI_COMM_WORLD);
            }
        }
    }
    free(buf);
    pass("point-to-point 0 B..4 MiB, data checked");
}

/* Every other rank sends rank 0 a few messages with distinct tags; rank 0
 * takes them with MPI_ANY_SOURCE / MPI_ANY_TAG and checks what the status
 * says against the contents. */
static void wildcards(void)
{
    const int per_rank = 20;
    int i;
    if (rank == 0) {
        int got = 0, expected = per_rank * (size - 1);
        int *seen = calloc((size_t)size * per_rank, sizeof(int));
        unsigned char buf[4096];
        for (got = 0; got < expected; ++got) {
            MPI_Status st;
            int count;
            MPI_Recv(buf, sizeof buf, MPI_BYTE, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            MPI_Get_count(&st, MPI_BYTE, &count);
            FAIL_IF(st.MPI_SOURCE < 1 || st.MPI_SOURCE >= size, "source %d", st.MPI_SOURCE);
            FAIL_IF(st.MPI_TAG < 100 || st.MPI_TAG >= 100 + per_rank, "tag %d", st.MPI_TAG);
            FAIL_IF(count != 10 * (st.MPI_TAG - 100) + st.MPI_SOURCE, "count %d", count);
            FAIL_IF(first_mismatch(buf, (size_t)count, st.MPI_SOURCE, st.MPI_TAG) != (size_t)count,
                    "payload from %d tag %d", st.MPI_SOURCE, st.MPI_TAG);
            FAIL_IF(seen[st.MPI_SOURCE * per_rank + st.MPI_TAG - 100]++, "duplicate message");
        }
        free(seen);
    } else {
        unsigned char buf[4096];
        for (i = 0; i < per_rank; ++i) {
            int tag = 100 + i, len = 10 * i + rank;
            fill(buf, (size_t)len, rank, tag);
            MPI_Send(buf, len, MPI_BYTE, 0, tag, MPI_COMM_WORLD);
        }
    }
    pass("MPI_ANY_SOURCE / MPI_ANY_TAG");
}

/* Probe, Iprobe, Mprobe/Mrecv and Improbe/Imrecv: rank 1 sends messages whose
 * size rank 0 learns only from the probe. */
static void probes(void)
{
    static const int lens[] = {0, 1, 100, 16000, 70000, 1 << 20};
    const int n = sizeof lens / sizeof lens[0];
    int i;
    if (rank == 1) {
        unsigned char *buf = malloc(1 << 20);
        int round;
        for (round = 0; round < 3; ++round) {
            for (i = 0; i < n; ++i) {
                fill(buf, (size_t)lens[i], 1, 200 + i);
                MPI_Send(buf, lens[i], MPI_BYTE, 0, 200 + i, MPI_COMM_WORLD);
            }
        }
        free(buf);
    } else if (rank == 0) {
        for (i = 0; i < 3 * n; ++i) {
            const int mode = i / n; /* 0: Probe, 1: Iprobe, 2: Mprobe / Improbe */
            MPI_Status st;
            MPI_Message msg = MPI_MESSAGE_NULL;
            int count, flag = 0;
            unsigned char *buf;
            if (mode == 0) {
                MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            } else if (mode == 1) {
                while (!flag)
                    MPI_Iprobe(1, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
            } else if (i % 2) {
                MPI_Mprobe(1, MPI_ANY_TAG, MPI_COMM_WORLD, &msg, &st);
            } else {
                while (!flag)
                    MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &msg, &st);
            }
            MPI_Get_count(&st, MPI_BYTE, &count);
            FAIL_IF(st.MPI_TAG != 200 + i % n, "probe %d: tag %d", i, st.MPI_TAG);
            FAIL_IF(count != lens[i % n], "probe %d: count %d, sent %d", i, count, lens[i % n]);
            buf = malloc((size_t)count + 1);
            if (mode < 2) {
                MPI_Recv(buf, count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, &st);
            } else if (i % 2) {
                MPI_Mrecv(buf, count, MPI_BYTE, &msg, &st);
            } else {
                MPI_Request req;
                MPI_Imrecv(buf, count, MPI_BYTE, &msg, &req);
                MPI_Wait(&req, &st);
            }
            FAIL_IF(first_mismatch(buf, (size_t)count, 1, 200 + i % n) != (size_t)count,
                    "probe %d: payload", i);
            free(buf);
        }
    }
    pass("MPI_Probe / Iprobe / Mprobe / Improbe");
}

/* Many requests in flight between every pair of ranks: receives posted in
 * reverse tag order, sizes mixing eager and rendezvous. */
static void storm(void)
{
    const int per_peer = 256;
    const int npeers = size - 1;
    const int total = per_peer * npeers;
    MPI_Request *reqs = malloc(sizeof(MPI_Request) * 2 * (size_t)total);
    unsigned char **rbufs = calloc((size_t)total, sizeof(unsigned char *));
    unsigned char **sbufs = calloc((size_t)total, sizeof(unsigned char *));
    int p, i, k = 0;
#define STORM_LEN(i) ((size_t)((i) % 17 == 0 ? 40000 + (i) : ((i) * 37) % 3000))

    for (p = 0; p < size; ++p) {
        if (p == rank)
            continue;
        for (i = per_peer - 1; i >= 0; --i, ++k) {
            rbufs[k] = malloc(STORM_LEN(i) + 1);
            MPI_Irecv(rbufs[k], (int)STORM_LEN(i), MPI_BYTE, p, i, MPI_COMM_WORLD, &reqs[k]);
        }
    }
    k = 0;
    for (p = 0; p < size; ++p) {
        if (p == rank)
            continue;
        for (i = 0; i < per_peer; ++i, ++k) {
            sbufs[k] = malloc(STORM_LEN(i) + 1);
            fill(sbufs[k], STORM_LEN(i), rank, i);
            MPI_Isend(sbufs[k], (int)STORM_LEN(i), MPI_BYTE, p, i, MPI_COMM_WORLD, &reqs[total + k]);
        }
    }
    MPI_Waitall(2 * total, reqs, MPI_STATUSES_IGNORE);
    k = 0;
    for (p = 0; p < size; ++p) {
        if (p == rank)
            continue;
        for (i = per_peer - 1; i >= 0; --i, ++k) {
            FAIL_IF(first_mismatch(rbufs[k], STORM_LEN(i), p, i) != STORM_LEN(i),
                    "storm: message %d from %d", i, p);
            free(rbufs[k]);
        }
    }
    for (k = 0; k < total; ++k)
        free(sbufs[k]);
    free(rbufs);
    free(sbufs);
    free(reqs);
#undef STORM_LEN
    pass("Isend/Irecv storm (256 per peer, mixed sizes, reverse posting order)");
}

static void collectives(void)
{
    const int max = 1 << 20;
    unsigned char *buf = malloc((size_t)max);
    int root, len, i;
    long long lsum = 0, lexpect = 0;
    double dsum = 0.0;
    int *a2a_out = malloc(sizeof(int) * (size_t)size), *a2a_in = malloc(sizeof(int) * (size_t)size);

    for (i = 0; i < 10; ++i)
        MPI_Barrier(MPI_COMM_WORLD);
    for (root = 0; root < size; ++root) {
        for (len = 1; len <= max; len *= 16) {
            if (rank == root)
                fill(buf, (size_t)len, root, len % 1000);
            else
                memset(buf, 0, (size_t)len);
            MPI_Bcast(buf, len, MPI_BYTE, root, MPI_COMM_WORLD);
            FAIL_IF(first_mismatch(buf, (size_t)len, root, len % 1000) != (size_t)len,
                    "bcast root %d len %d", root, len);
        }
    }
    lsum = rank + 1;
    MPI_Allreduce(MPI_IN_PLACE, &lsum, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    for (i = 1; i <= size; ++i)
        lexpect += i;
    FAIL_IF(lsum != lexpect, "allreduce sum %lld, expected %lld", lsum, lexpect);
    dsum = 0.5 * rank;
    MPI_Allreduce(MPI_IN_PLACE, &dsum, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    FAIL_IF(dsum != 0.5 * (size - 1), "allreduce max %f", dsum);
    for (i = 0; i < size; ++i)
        a2a_out[i] = rank * 1000 + i;
    MPI_Alltoall(a2a_out, 1, MPI_INT, a2a_in, 1, MPI_INT, MPI_COMM_WORLD);
    for (i = 0; i < size; ++i)
        FAIL_IF(a2a_in[i] != i * 1000 + rank, "alltoall from %d: %d", i, a2a_in[i]);
    free(buf);
    free(a2a_out);
    free(a2a_in);
    pass("barrier / bcast / allreduce / alltoall");
}

int main(int argc, char **argv)
{
    start_watchdog();
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    FAIL_IF(size < 2, "needs at least 2 ranks");
    check_our_libpsm2();
    point_to_point();
    wildcards();
    probes();
    storm();
    collectives();
    MPI_Finalize();
    if (rank == 0)
        printf("mpi_suite: all sections passed on %d ranks\n", size);
    return 0;
}
