/* Shared by the MPI test programs: the proof that the libpsm2 inside this
 * rank is ours, and a rank-local watchdog so no rank outlives its test. */
#ifndef CLIENT_CHECK_H
#define CLIENT_CHECK_H

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Environment set by the test runner (not PSM2_*: the library would warn
 * about a variable it does not know). */
#define EXPECT_DIR_ENV "CLIENT_TEST_LIBPSM2_DIR"
#define TIMEOUT_ENV "CLIENT_TEST_TIMEOUT"

#define FAIL_IF(cond, ...)                                                                     \
    do {                                                                                       \
        if (cond) {                                                                            \
            int r_;                                                                            \
            MPI_Comm_rank(MPI_COMM_WORLD, &r_);                                                \
            fprintf(stderr, "rank %d FAIL %s:%d: ", r_, __FILE__, __LINE__);                   \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            MPI_Abort(MPI_COMM_WORLD, 1);                                                      \
        }                                                                                      \
    } while (0)

/* SIGALRM's default action ends the rank: a hang cannot outlive the test. */
static void start_watchdog(void)
{
    const char *t = getenv(TIMEOUT_ENV);
    alarm(t ? (unsigned)atoi(t) : 120u);
}

/* Finds the libpsm2.so.2 mapped into this process and checks that it lives
 * in the directory the runner expects (our build). Aborts the job if not. */
static void check_our_libpsm2(void)
{
    char line[PATH_MAX + 128], dir[PATH_MAX] = "", expected[PATH_MAX];
    const char *want = getenv(EXPECT_DIR_ENV);
    FILE *maps = fopen("/proc/self/maps", "r");
    int rank;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    while (maps && fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (!path || !strstr(path, "/libpsm2.so"))
            continue;
        path[strcspn(path, "\n")] = '\0';
        *strrchr(path, '/') = '\0';
        if (!realpath(path, dir))
            snprintf(dir, sizeof dir, "%s", path);
        break;
    }
    if (maps)
        fclose(maps);
    FAIL_IF(dir[0] == '\0', "no libpsm2.so mapped: the PSM2 path was not used");
    FAIL_IF(!want || !realpath(want, expected), "%s not set or not a directory", EXPECT_DIR_ENV);
    FAIL_IF(strcmp(dir, expected) != 0, "libpsm2 loaded from %s, expected %s", dir, expected);
    if (rank == 0)
        printf("libpsm2.so.2 loaded from %s (the expected one)\n", dir);
}

#endif
