/* osu-style latency and bandwidth between ranks 0 and 1: one-way latency
 * from a ping-pong (half the round trip) and streaming bandwidth with a
 * window of 64 non-blocking sends per acknowledgement, 0 B..4 MiB. Rank 0
 * prints "size latency_us bandwidth_MBps". Payloads are not checked here
 * (mpi_suite does that); the numbers are for the report, never asserted.
 *
 * usage: mpi_osu [--quick]   (--quick: few iterations, a smoke run) */
#include "client_check.h"

#define WINDOW 64
#define MAX_SIZE ((size_t)4 << 20)

static int rank;

static double latency_us(char *buf, size_t len, int iters)
{
    int i, warmup = iters / 10 + 2;
    double start = 0;
    for (i = 0; i < iters + warmup; ++i) {
        if (i == warmup) {
            MPI_Barrier(MPI_COMM_WORLD);
            start = MPI_Wtime();
        }
        if (rank == 0) {
            MPI_Send(buf, (int)len, MPI_CHAR, 1, 1, MPI_COMM_WORLD);
            MPI_Recv(buf, (int)len, MPI_CHAR, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (rank == 1) {
            MPI_Recv(buf, (int)len, MPI_CHAR, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(buf, (int)len, MPI_CHAR, 0, 1, MPI_COMM_WORLD);
        }
    }
    return (MPI_Wtime() - start) * 1e6 / (2.0 * iters);
}

static double bandwidth_mbps(char *buf, size_t len, int windows)
{
    MPI_Request reqs[WINDOW];
    int w, i, warmup = windows / 10 + 1;
    double start = 0;
    char ack;
    for (w = 0; w < windows + warmup; ++w) {
        if (w == warmup) {
            MPI_Barrier(MPI_COMM_WORLD);
            start = MPI_Wtime();
        }
        if (rank == 0) {
            for (i = 0; i < WINDOW; ++i)
                MPI_Isend(buf, (int)len, MPI_CHAR, 1, 2, MPI_COMM_WORLD, &reqs[i]);
            MPI_Waitall(WINDOW, reqs, MPI_STATUSES_IGNORE);
            MPI_Recv(&ack, 1, MPI_CHAR, 1, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (rank == 1) {
            for (i = 0; i < WINDOW; ++i)
                MPI_Irecv(buf, (int)len, MPI_CHAR, 0, 2, MPI_COMM_WORLD, &reqs[i]);
            MPI_Waitall(WINDOW, reqs, MPI_STATUSES_IGNORE);
            MPI_Send(&ack, 1, MPI_CHAR, 0, 3, MPI_COMM_WORLD);
        }
    }
    return (double)len * WINDOW * windows / (MPI_Wtime() - start) / 1e6;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    char *buf;
    size_t len;

    start_watchdog();
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    check_our_libpsm2();
    buf = malloc(MAX_SIZE);
    FAIL_IF(!buf, "out of memory");
    memset(buf, 'a', MAX_SIZE);
    if (rank == 0)
        printf("# size latency_us bandwidth_MBps\n");
    for (len = 0; len <= MAX_SIZE; len = len ? len * 2 : 1) {
        int lat_iters = len <= 8192 ? 10000 : len <= (1 << 20) ? 1000 : 200;
        int bw_windows = len <= 8192 ? 200 : len <= (1 << 20) ? 40 : 10;
        double lat, bw;
        if (quick) {
            lat_iters = 20;
            bw_windows = 2;
        }
        lat = latency_us(buf, len, lat_iters);
        bw = bandwidth_mbps(buf, len, bw_windows);
        if (rank == 0) {
            printf("%zu %.3f %.1f\n", len, lat, bw);
            fflush(stdout);
        }
    }
    free(buf);
    MPI_Finalize();
    return 0;
}
