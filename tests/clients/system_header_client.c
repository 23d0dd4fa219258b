/* An unmodified PSM2 client: written against Debian's /usr/include/psm2*.h
 * (included by absolute path, so our include/ can never stand in for them)
 * and linked with -lpsm2 as any existing binary is. The test runs it with
 * LD_LIBRARY_PATH at our build and checks, from /proc/self/maps, that our
 * libpsm2.so.2 is the one that answered.
 *
 * It opens an endpoint, connects it to itself and sends tagged messages of
 * sizes 0 B..4 MiB through self, checking every byte, status fields,
 * truncation and a wildcard receive.
 *
 * usage: system_header_client EXPECTED_LIBPSM2_DIR */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include </usr/include/psm2.h>
#include </usr/include/psm2_mq.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                               \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            ++failures;                                                                        \
        }                                                                                      \
    } while (0)

#define CHECK_OK(call)                                                                         \
    do {                                                                                       \
        psm2_error_t e_ = (call);                                                              \
        if (e_ != PSM2_OK) {                                                                   \
            fprintf(stderr, "FAIL %s:%d: %s -> %s (%d)\n", __FILE__, __LINE__, #call,         \
                    psm2_error_get_string(e_), (int)e_);                                       \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

/* The directory of the libpsm2.so.2 mapped into this process, or "". */
static void loaded_psm2_dir(char *out, size_t cap)
{
    char line[PATH_MAX + 128];
    FILE *maps = fopen("/proc/self/maps", "r");
    out[0] = '\0';
    if (!maps)
        return;
    while (fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        char *slash;
        if (!path || !strstr(path, "/libpsm2.so"))
            continue;
        path[strcspn(path, "\n")] = '\0';
        slash = strrchr(path, '/');
        *slash = '\0';
        if (!realpath(path, out))
            snprintf(out, cap, "%s", path);
        break;
    }
    fclose(maps);
}

static void fill(unsigned char *buf, size_t len, unsigned seed)
{
    size_t i;
    for (i = 0; i < len; ++i)
        buf[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 8));
}

static void send_and_check(psm2_mq_t mq, psm2_epaddr_t self, size_t len, unsigned char *sbuf,
                           unsigned char *rbuf)
{
    psm2_mq_req_t rreq, sreq;
    psm2_mq_status_t st;
    uint64_t tag = 0x1000 + len;

    fill(sbuf, len, (unsigned)len);
    memset(rbuf, 0, len);
    CHECK_OK(psm2_mq_irecv(mq, tag, ~0ULL, 0, rbuf, (uint32_t)len, NULL, &rreq));
    CHECK_OK(psm2_mq_isend(mq, self, 0, tag, sbuf, (uint32_t)len, NULL, &sreq));
    CHECK_OK(psm2_mq_wait(&sreq, NULL));
    CHECK_OK(psm2_mq_wait(&rreq, &st));
    CHECK(st.msg_tag == tag, "size %zu: tag %llx", len, (unsigned long long)st.msg_tag);
    CHECK(st.msg_length == len && st.nbytes == len, "size %zu: length %u nbytes %u", len,
          st.msg_length, st.nbytes);
    CHECK(st.error_code == PSM2_OK, "size %zu: error %d", len, (int)st.error_code);
    CHECK(memcmp(sbuf, rbuf, len) == 0, "size %zu: payload differs", len);
}

int main(int argc, char **argv)
{
    const size_t max = (size_t)4 << 20;
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    struct psm2_ep_open_opts opts;
    psm2_uuid_t key;
    psm2_ep_t ep;
    psm2_epid_t epid;
    psm2_epaddr_t self;
    psm2_error_t conn_err;
    psm2_mq_t mq;
    psm2_mq_req_t rreq;
    psm2_mq_status_t st;
    unsigned char *sbuf, *rbuf;
    char loaded[PATH_MAX], expected[PATH_MAX];
    size_t len;

    if (argc != 2 || !realpath(argv[1], expected)) {
        fprintf(stderr, "usage: %s EXPECTED_LIBPSM2_DIR\n", argv[0]);
        return 2;
    }
    CHECK_OK(psm2_init(&major, &minor));
    loaded_psm2_dir(loaded, sizeof loaded);
    printf("libpsm2.so.2 loaded from %s\n", loaded);
    if (strcmp(loaded, expected) != 0) {
        fprintf(stderr, "FAIL: libpsm2 from %s, expected %s\n", loaded, expected);
        return 1;
    }
    CHECK(major == PSM2_VERNO_MAJOR, "API major %d", major);

    psm2_uuid_generate(key);
    CHECK_OK(psm2_ep_open_opts_get_defaults(&opts));
    CHECK_OK(psm2_ep_open(key, &opts, &ep, &epid));
    CHECK_OK(psm2_ep_connect(ep, 1, &epid, NULL, &conn_err, &self, 5 * 1000000000LL));
    CHECK_OK(conn_err);
    CHECK_OK(psm2_mq_init(ep, PSM2_MQ_ORDERMASK_ALL, NULL, 0, &mq));

    sbuf = malloc(max);
    rbuf = malloc(max);
    if (!sbuf || !rbuf)
        return 1;
    send_and_check(mq, self, 0, sbuf, rbuf);
    for (len = 1; len <= max; len <<= 1) {
        if (len > 2)
            send_and_check(mq, self, len - 1, sbuf, rbuf); /* odd sizes, unaligned tails */
        send_and_check(mq, self, len, sbuf, rbuf);
    }

    /* Truncation: a 1000-byte message into a 100-byte buffer. */
    fill(sbuf, 1000, 3);
    CHECK_OK(psm2_mq_irecv(mq, 7, ~0ULL, 0, rbuf, 100, NULL, &rreq));
    CHECK_OK(psm2_mq_send(mq, self, 0, 7, sbuf, 1000));
    CHECK_OK(psm2_mq_wait(&rreq, &st));
    CHECK(st.error_code == PSM2_MQ_TRUNCATION, "truncation error %d", (int)st.error_code);
    CHECK(st.msg_length == 1000 && st.nbytes == 100, "truncation lengths %u/%u", st.msg_length,
          st.nbytes);
    CHECK(memcmp(sbuf, rbuf, 100) == 0, "truncated payload differs");

    /* Wildcard: tag selector 0 matches anything; the unexpected message waits for it. */
    CHECK_OK(psm2_mq_send(mq, self, 0, 0xabcdef, sbuf, 64));
    CHECK_OK(psm2_mq_irecv(mq, 0, 0, 0, rbuf, 64, NULL, &rreq));
    CHECK_OK(psm2_mq_wait(&rreq, &st));
    CHECK(st.msg_tag == 0xabcdef && st.nbytes == 64, "wildcard tag %llx", (unsigned long long)st.msg_tag);

    CHECK_OK(psm2_mq_finalize(mq));
    CHECK_OK(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 5 * 1000000000LL));
    CHECK_OK(psm2_finalize());
    free(sbuf);
    free(rbuf);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("system-header client: OK\n");
    return 0;
}
