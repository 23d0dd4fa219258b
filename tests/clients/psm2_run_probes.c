/* What a client sees under psm2-run, probed the way Open MPI and libfabric
 * probe (glob with GLOB_DOOFFS / GLOB_APPEND, fopen of the port state,
 * stat, access, open, readlink), and what our libpsm2 itself reports
 * through psm2_info_query: the interposer must show clients the simulated
 * units while the library keeps its own honest view of the devices.
 *
 * usage: psm2_run_probes CLIENT_UNITS LIBRARY_UNITS
 *   CLIENT_UNITS: units the client-side probes must see (0 = none)
 *   LIBRARY_UNITS: units psm2_info_query(PSM2_INFO_QUERY_NUM_UNITS) must report */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <psm2.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "FAIL line %d: ", __LINE__);                                       \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            ++failures;                                                                        \
        }                                                                                      \
    } while (0)

static size_t glob_count(const char *pattern)
{
    glob_t g;
    size_t n;
    int rc = glob(pattern, 0, NULL, &g);
    if (rc == GLOB_NOMATCH)
        return 0;
    CHECK(rc == 0, "glob(%s) = %d", pattern, rc);
    n = rc == 0 ? g.gl_pathc : 0;
    if (rc == 0)
        globfree(&g);
    return n;
}

/* Open MPI's sequence: GLOB_DOOFFS, then GLOB_APPEND for two-digit units. */
static void check_glob_flags(unsigned units)
{
    glob_t g;
    int rc;
    g.gl_offs = 2;
    rc = glob("/dev/hfi1_[0-9]", GLOB_DOOFFS, NULL, &g);
    if (units == 0) {
        CHECK(rc == GLOB_NOMATCH, "DOOFFS glob on no units = %d", rc);
        return;
    }
    CHECK(rc == 0 && g.gl_pathc == units, "DOOFFS glob: rc %d, %zu paths", rc, g.gl_pathc);
    CHECK(g.gl_pathv[0] == NULL && g.gl_pathv[1] == NULL, "GLOB_DOOFFS slots not NULL");
    CHECK(strcmp(g.gl_pathv[2], "/dev/hfi1_0") == 0, "first path %s", g.gl_pathv[2]);
    rc = glob("/sys/class/infiniband/hfi1_*", GLOB_DOOFFS | GLOB_APPEND | GLOB_MARK, NULL, &g);
    CHECK(rc == 0 && g.gl_pathc == 2 * units, "APPEND glob: rc %d, %zu paths", rc, g.gl_pathc);
    CHECK(g.gl_pathv[2 + g.gl_pathc] == NULL, "vector not NULL-terminated");
    CHECK(g.gl_pathv[2 + units][strlen(g.gl_pathv[2 + units]) - 1] == '/', "GLOB_MARK missing");
    globfree(&g); /* the C library's globfree must release our answer */
}

static void check_files(unsigned units)
{
    char path[128], buf[64];
    struct stat st;
    unsigned u;
    FILE *f;
    int fd;
    ssize_t n;

    for (u = 0; u < units; ++u) {
        snprintf(path, sizeof path, "/dev/hfi1_%u", u);
        CHECK(stat(path, &st) == 0 && S_ISCHR(st.st_mode), "stat %s", path);
        CHECK(access(path, R_OK | W_OK) == 0, "access %s", path);

        snprintf(path, sizeof path, "/sys/class/infiniband/hfi1_%u/ports/1/state", u);
        f = fopen(path, "r");
        CHECK(f && fgets(buf, sizeof buf, f) && strstr(buf, "ACTIVE"), "fopen/read %s", path);
        if (f)
            fclose(f);
        errno = 0;
        CHECK(fopen(path, "w") == NULL && errno == EACCES, "fopen(w) %s not refused", path);

        snprintf(path, sizeof path, "/sys/class/infiniband/hfi1_%u/nfreectxts", u);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        CHECK(n > 0 && atoi((buf[n > 0 ? n : 0] = '\0', buf)) > 0, "read %s", path);
        if (fd >= 0)
            close(fd);

        snprintf(path, sizeof path, "/sys/class/infiniband/hfi1_%u/device", u);
        n = readlink(path, buf, sizeof buf - 1);
        CHECK(n > 0 && memmem(buf, (size_t)n, "0000:", 5), "readlink %s", path);
    }
    snprintf(path, sizeof path, "/dev/hfi1_%u", units); /* one past the last unit */
    errno = 0;
    CHECK(stat(path, &st) != 0 && errno == ENOENT, "%s exists", path);
}

int main(int argc, char **argv)
{
    unsigned units, lib_units = 0;
    uint32_t reported = 0;
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    psm2_error_t err;

    if (argc != 3) {
        fprintf(stderr, "usage: %s CLIENT_UNITS LIBRARY_UNITS\n", argv[0]);
        return 2;
    }
    units = (unsigned)atoi(argv[1]);
    lib_units = (unsigned)atoi(argv[2]);

    CHECK(glob_count("/dev/hfi1_[0-9]") == units, "Open MPI's /dev glob");
    CHECK(glob_count("/dev/hfi[0-9]_[0-9]") == units, "libfabric's /dev glob");
    CHECK(glob_count("/sys/class/infiniband/hfi1_*/ports/*/state") == units, "port state glob");
    CHECK(glob_count("/etc/host*") > 0, "a glob outside the HFI paths stopped working");
    check_glob_flags(units);
    check_files(units);

    err = psm2_init(&major, &minor);
    CHECK(err == PSM2_OK, "psm2_init: %d", (int)err);
    err = psm2_info_query(PSM2_INFO_QUERY_NUM_UNITS, &reported, 0, NULL);
    CHECK(err == PSM2_OK && reported == lib_units, "library reports %u units (err %d), expected %u",
          reported, (int)err, lib_units);
    psm2_finalize();

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("psm2-run probes: clients see %u unit(s), the library reports %u: OK\n", units, lib_units);
    return 0;
}
