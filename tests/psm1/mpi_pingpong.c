/* SPDX-License-Identifier: BSD-3-Clause
 *
 * MPI program for the psm1-openmpi test (2 ranks, Open MPI's "psm" MTL over
 * our PSM1 shim): ping-pong of several sizes with payload checks, tagged and
 * MPI_ANY_SOURCE / MPI_ANY_TAG receives (which the MTL turns into PSM1 tag
 * masks), and a reduction.  Each rank first checks that the PSM1 library it
 * has mapped is ours.
 *
 * usage: mpi_pingpong SHIM_DIR */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int shim_loaded_from(const char *dir)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[PATH_MAX + 256];
    char *real_dir = realpath(dir, NULL);
    int found = 0;
    while (maps != NULL && real_dir != NULL && fgets(line, sizeof line, maps) != NULL) {
        char *path = strchr(line, '/');
        if (path == NULL || strstr(path, "libpsm_infinipath.so.1") == NULL)
            continue;
        path[strcspn(path, "\n")] = '\0';
        char *real_path = realpath(path, NULL);
        if (real_path != NULL && strncmp(real_path, real_dir, strlen(real_dir)) == 0)
            found = 1;
        else
            fprintf(stderr, "libpsm_infinipath.so.1 mapped from %s\n", path);
        free(real_path);
    }
    if (maps != NULL)
        fclose(maps);
    free(real_dir);
    return found;
}

static void fill(unsigned char *buf, int len, int seed)
{
    for (int i = 0; i < len; i++)
        buf[i] = (unsigned char)(seed + i * 13 + (i >> 9));
}

int main(int argc, char **argv)
{
    int rank, size, bad = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 2 || argc != 2) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -np 2 %s SHIM_DIR\n", argv[0]);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (!shim_loaded_from(argv[1])) {
        fprintf(stderr, "rank %d: our libpsm_infinipath.so.1 is not loaded\n", rank);
        bad = 1;
    }

    static const int sizes[] = {0, 1, 8, 100, 4096, 65536, 1 << 20, 4 << 20};
    const int peer = 1 - rank;
    unsigned char *out = malloc(4 << 20), *in = malloc(4 << 20);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int len = sizes[s];
        for (int iter = 0; iter < 10; iter++) {
            const int tag = (int)s * 100 + iter;
            MPI_Status st;
            fill(out, len, tag + rank);
            memset(in, 0, len);
            if (rank == 0) {
                MPI_Send(out, len, MPI_BYTE, peer, tag, MPI_COMM_WORLD);
                MPI_Recv(in, len, MPI_BYTE, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            } else {
                MPI_Recv(in, len, MPI_BYTE, peer, tag, MPI_COMM_WORLD, &st);
                MPI_Send(out, len, MPI_BYTE, peer, tag, MPI_COMM_WORLD);
            }
            int count;
            MPI_Get_count(&st, MPI_BYTE, &count);
            fill(out, len, tag + peer); /* what the peer sent */
            if (st.MPI_SOURCE != peer || st.MPI_TAG != tag || count != len ||
                memcmp(in, out, len) != 0) {
                fprintf(stderr, "rank %d: size %d iter %d: source %d tag %d count %d%s\n",
                        rank, len, iter, st.MPI_SOURCE, st.MPI_TAG, count,
                        memcmp(in, out, len) ? " payload differs" : "");
                bad = 1;
            }
        }
    }

    /* Two messages with different tags, received in the opposite order:
     * tag matching, not arrival order, decides. */
    int a = 1, b = 2, ra = 0, rb = 0;
    if (rank == 0) {
        MPI_Send(&a, 1, MPI_INT, 1, 7001, MPI_COMM_WORLD);
        MPI_Send(&b, 1, MPI_INT, 1, 7002, MPI_COMM_WORLD);
    } else {
        MPI_Recv(&rb, 1, MPI_INT, 0, 7002, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Recv(&ra, 1, MPI_INT, 0, 7001, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (ra != 1 || rb != 2) {
            fprintf(stderr, "rank 1: tag matching got %d %d\n", ra, rb);
            bad = 1;
        }
    }

    int total = 0;
    MPI_Allreduce(&bad, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("psm1-openmpi: %s\n", total ? "FAILED" : "OK (2 ranks over mtl psm and our shim)");
    free(out);
    free(in);
    MPI_Finalize();
    return total ? 1 : 0;
}
