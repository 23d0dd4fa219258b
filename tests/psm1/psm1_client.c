/* SPDX-License-Identifier: BSD-3-Clause
 *
 * psm1-client test: a PSM1 program, compiled against the system's psm.h and
 * psm_mq.h exactly as an old TrueScale application would be, run with
 * LD_LIBRARY_PATH at our build.  It checks that OUR libpsm_infinipath.so.1
 * and OUR libpsm2.so.2 are the ones mapped, then drives one endpoint
 * connected to itself: version handshake, queries, MQ send/receive of several
 * sizes with exact and masked 64-bit tags, unexpected messages and probes,
 * truncation, cancel, ipeek, stats, options, active messages, error
 * handlers, bad input, shutdown.
 *
 * usage: psm1_client SHIM_DIR PSM2_DIR
 *   (the directories our two libraries must be loaded from) */
#include <dlfcn.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <psm.h>
#include <psm_mq.h>

#include "psm1_am.h"

static int failures;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            failures++;                                                    \
        }                                                                  \
    } while (0)

#define CHECK_OK(call)                                                     \
    do {                                                                   \
        psm_error_t err_ = (call);                                         \
        if (err_ != PSM_OK) {                                              \
            fprintf(stderr, "FAIL %s:%d: %s returned %d (%s)\n", __FILE__, \
                    __LINE__, #call, (int)err_, psm_error_get_string(err_)); \
            exit(1);                                                       \
        }                                                                  \
    } while (0)

static psm_ep_t ep;
static psm_mq_t mq;
static psm_epid_t my_epid;
static psm_epaddr_t self_addr;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Bounded replacement for psm_mq_wait: a lost message fails the test
 * instead of hanging it. */
static psm_error_t wait_bounded(psm_mq_req_t *req, psm_mq_status_t *status)
{
    double deadline = now_seconds() + 10.0;
    for (;;) {
        psm_error_t err = psm_mq_test(req, status);
        if (err != PSM_MQ_NO_COMPLETIONS)
            return err;
        if (now_seconds() > deadline) {
            fprintf(stderr, "FAIL: request did not complete within 10 s\n");
            exit(1);
        }
        psm_poll(ep);
    }
}

/* Which library file a loaded soname came from, per /proc/self/maps. */
static int mapped_from(const char *soname, const char *dir)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[PATH_MAX + 256];
    int found = 0, noted = 0;
    if (maps == NULL)
        return 0;
    while (fgets(line, sizeof line, maps) != NULL) {
        char *path = strchr(line, '/');
        if (path == NULL || strstr(path, soname) == NULL)
            continue;
        path[strcspn(path, "\n")] = '\0';
        char *real_dir = realpath(dir, NULL);
        char *real_path = realpath(path, NULL);
        if (real_dir != NULL && real_path != NULL &&
            strncmp(real_path, real_dir, strlen(real_dir)) == 0 &&
            real_path[strlen(real_dir)] == '/')
            found = 1;
        else if (!noted++)
            fprintf(stderr, "note: %s mapped from %s\n", soname, path);
        free(real_dir);
        free(real_path);
    }
    fclose(maps);
    return found;
}

static void fill(unsigned char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 8));
}

/* One message through irecv (posted first) + isend, all fields checked. */
static void send_recv(uint32_t len, uint64_t stag, uint64_t rtag, uint64_t rmask)
{
    unsigned char *out = malloc(len ? len : 1);
    unsigned char *in = malloc(len ? len : 1);
    psm_mq_req_t rreq, sreq;
    psm_mq_status_t rst, sst;
    int rctx, sctx;

    fill(out, len, len);
    memset(in, 0xee, len ? len : 1);
    CHECK_OK(psm_mq_irecv(mq, rtag, rmask, 0, in, len, &rctx, &rreq));
    CHECK_OK(psm_mq_isend(mq, self_addr, 0, stag, out, len, &sctx, &sreq));
    CHECK_OK(wait_bounded(&sreq, &sst));
    CHECK_OK(wait_bounded(&rreq, &rst));
    CHECK(rreq == PSM_MQ_REQINVALID, "completed request not reset");
    CHECK(rst.msg_tag == stag, "len %u: msg_tag %" PRIx64 " != %" PRIx64, len, rst.msg_tag, stag);
    CHECK(rst.msg_length == len, "len %u: msg_length %u", len, rst.msg_length);
    CHECK(rst.nbytes == len, "len %u: nbytes %u", len, rst.nbytes);
    CHECK(rst.error_code == PSM_OK, "len %u: error_code %d", len, (int)rst.error_code);
    CHECK(rst.context == &rctx, "len %u: receive context lost", len);
    CHECK(sst.context == &sctx, "len %u: send context lost", len);
    CHECK(memcmp(in, out, len) == 0, "len %u: payload differs", len);
    free(out);
    free(in);
}

static void test_sizes(void)
{
    static const uint32_t sizes[] = {0, 1, 7, 8, 64, 1000, 4096, 8192, 65536, 200000, 1u << 21};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        send_recv(sizes[i], 0x0123456789abcdefULL + i, 0x0123456789abcdefULL + i, ~0ULL);
}

static void test_masks(void)
{
    /* Wildcard on the low 48 bits: the receive takes any tag of context 0xbeef. */
    send_recv(16, 0xbeef0000cafe0001ULL, 0xbeef000000000000ULL, 0xffff000000000000ULL);
    /* Full wildcard. */
    send_recv(16, 0xffffffffffffffffULL, 0, 0);
    /* Masked-out bits of the receive tag do not matter. */
    send_recv(16, 0x00000000000000aaULL, 0x12345678000000aaULL, 0x00000000000000ffULL);

    /* A tag differing only in the high word (bit 40) must not match. */
    unsigned char a = 1, b = 0;
    psm_mq_req_t rreq, other;
    psm_mq_status_t st;
    uint64_t wanted = 0x0000000000000042ULL, sent = wanted | (1ULL << 40);
    CHECK_OK(psm_mq_irecv(mq, wanted, ~0ULL, 0, &b, 1, NULL, &rreq));
    CHECK_OK(psm_mq_send(mq, self_addr, 0, sent, &a, 1));
    for (int i = 0; i < 100; i++)
        psm_poll(ep);
    CHECK(psm_mq_test(&rreq, &st) == PSM_MQ_NO_COMPLETIONS, "high-word mismatch matched");
    /* The message waits as unexpected; a probe sees its whole tag. */
    memset(&st, 0, sizeof st);
    CHECK(psm_mq_iprobe(mq, sent, ~0ULL, &st) == PSM_OK, "iprobe missed unexpected message");
    CHECK(st.msg_tag == sent && st.msg_length == 1, "iprobe status tag %" PRIx64, st.msg_tag);
    CHECK_OK(psm_mq_irecv(mq, sent, ~0ULL, 0, &b, 1, NULL, &other));
    CHECK_OK(wait_bounded(&other, &st));
    CHECK(b == 1 && st.msg_tag == sent, "unexpected message not delivered");
    CHECK(psm_mq_iprobe(mq, 0, 0, &st) == PSM_MQ_NO_COMPLETIONS, "queue not empty");
    /* The first receive is still posted: cancel it, then complete it. */
    CHECK_OK(psm_mq_cancel(&rreq));
    CHECK_OK(wait_bounded(&rreq, &st));
}

/* The shim's documented tag mapping: a PSM1 tag travels as the PSM2 tag
 * {low32, high32, 0}, and a PSM1 receive - even a full wildcard - never takes
 * a message whose third word is set (its tag has no PSM1 form).  Such a
 * message is sent here through the PSM2 API of the same process (the PSM1
 * handles are the PSM2 objects), then drained through PSM2. */
typedef union {
    uint32_t tag[4];
    struct {
        uint32_t tag0, tag1, tag2;
    };
} tag96_t;
typedef int (*psm2_send2_fn)(void *mq, void *dest, uint32_t flags, tag96_t *tag,
                             const void *buf, uint32_t len);
typedef int (*psm2_irecv2_fn)(void *mq, void *src, tag96_t *tag, tag96_t *mask, uint32_t flags,
                              void *buf, uint32_t len, void *ctx, void **req);
typedef int (*psm2_wait_fn)(void **req, void *status);

static void test_tag_third_word(void)
{
    psm2_send2_fn send2 = (psm2_send2_fn)dlsym(RTLD_DEFAULT, "psm2_mq_send2");
    psm2_irecv2_fn irecv2 = (psm2_irecv2_fn)dlsym(RTLD_DEFAULT, "psm2_mq_irecv2");
    psm2_wait_fn wait2 = (psm2_wait_fn)dlsym(RTLD_DEFAULT, "psm2_mq_wait");
    CHECK(send2 && irecv2 && wait2, "PSM2 API not found in the process");
    if (!(send2 && irecv2 && wait2))
        return;

    unsigned char out = 42, in = 0;
    tag96_t tag = {.tag = {0x5, 0x0, 0x1, 0}};
    CHECK(send2(mq, self_addr, 0, &tag, &out, 1) == 0, "psm2_mq_send2 failed");
    psm_mq_status_t st;
    for (int i = 0; i < 100; i++)
        psm_poll(ep);
    CHECK(psm_mq_iprobe(mq, 0, 0, &st) == PSM_MQ_NO_COMPLETIONS,
          "a PSM1 wildcard probe saw a tag with a third word");
    psm_mq_req_t req;
    CHECK_OK(psm_mq_irecv(mq, 0, 0, 0, &in, 1, NULL, &req));
    for (int i = 0; i < 100; i++)
        psm_poll(ep);
    CHECK(psm_mq_test(&req, &st) == PSM_MQ_NO_COMPLETIONS,
          "a PSM1 wildcard receive took a tag with a third word");
    CHECK_OK(psm_mq_cancel(&req));
    CHECK_OK(wait_bounded(&req, &st));

    tag96_t mask = {.tag = {~0u, ~0u, ~0u, 0}};
    void *req2 = NULL;
    CHECK(irecv2(mq, NULL, &tag, &mask, 0, &in, 1, NULL, &req2) == 0 && wait2(&req2, NULL) == 0,
          "PSM2 receive of the three-word tag failed");
    CHECK(in == 42, "three-word message payload %u", in);
}

static void test_unexpected_order(void)
{
    /* Three unexpected messages on one tag are received in send order. */
    uint32_t vals[3] = {11, 22, 33}, got = 0;
    psm_mq_req_t req;
    psm_mq_status_t st;
    for (int i = 0; i < 3; i++)
        CHECK_OK(psm_mq_send(mq, self_addr, 0, 0x77, &vals[i], sizeof vals[i]));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(psm_mq_irecv(mq, 0x77, ~0ULL, 0, &got, sizeof got, NULL, &req));
        CHECK_OK(wait_bounded(&req, &st));
        CHECK(got == vals[i], "message %d out of order: %u", i, got);
    }
}

static void test_truncation(void)
{
    unsigned char out[100], in[50];
    psm_mq_req_t req;
    psm_mq_status_t st;
    fill(out, sizeof out, 3);
    CHECK_OK(psm_mq_irecv(mq, 0x99, ~0ULL, 0, in, sizeof in, NULL, &req));
    CHECK_OK(psm_mq_send(mq, self_addr, 0, 0x99, out, sizeof out));
    wait_bounded(&req, &st);
    CHECK(st.error_code == PSM_MQ_TRUNCATION, "error_code %d", (int)st.error_code);
    CHECK(st.msg_length == 100 && st.nbytes == 50, "lengths %u/%u", st.msg_length, st.nbytes);
    CHECK(memcmp(in, out, sizeof in) == 0, "truncated payload differs");
}

static void test_ipeek(void)
{
    int x = 5, y = 0, ctx;
    psm_mq_req_t rreq, sreq, peeked = PSM_MQ_REQINVALID;
    psm_mq_status_t st;
    CHECK_OK(psm_mq_irecv(mq, 0x55, ~0ULL, 0, &y, sizeof y, &ctx, &rreq));
    CHECK_OK(psm_mq_isend(mq, self_addr, 0, 0x55, &x, sizeof x, NULL, &sreq));
    int seen = 0;
    double deadline = now_seconds() + 10.0;
    while (seen < 2 && now_seconds() < deadline) {
        peeked = PSM_MQ_REQINVALID;
        if (psm_mq_ipeek(mq, &peeked, &st) == PSM_OK) {
            CHECK(peeked == rreq || peeked == sreq, "ipeek returned a stranger");
            if (peeked == rreq)
                CHECK(st.context == &ctx && st.nbytes == sizeof y, "ipeek status");
            psm_mq_req_t done = peeked;
            CHECK_OK(psm_mq_test(&done, NULL));
            seen++;
        } else {
            psm_poll(ep);
        }
    }
    CHECK(seen == 2 && y == 5, "ipeek saw %d completions", seen);
}

/* Components, option keys and MQ options keep their PSM1 numbers. */
static void test_options(void)
{
    uint32_t debug = 0x5, got = 0;
    uint64_t len = sizeof got;
    CHECK_OK(psm_setopt(PSM_COMPONENT_CORE, NULL, PSM_CORE_OPT_DEBUG, &debug, sizeof debug));
    CHECK_OK(psm_getopt(PSM_COMPONENT_CORE, NULL, PSM_CORE_OPT_DEBUG, &got, &len));
    CHECK(got == debug && len == sizeof got, "core debug option read back %#x", got);
    debug = 0;
    CHECK_OK(psm_setopt(PSM_COMPONENT_CORE, NULL, PSM_CORE_OPT_DEBUG, &debug, sizeof debug));

    uint32_t thresh = 0, new_thresh = 12345;
    CHECK_OK(psm_mq_getopt(mq, PSM_MQ_RNDV_SHM_SZ, &thresh));
    CHECK_OK(psm_mq_setopt(mq, PSM_MQ_RNDV_SHM_SZ, &new_thresh));
    CHECK_OK(psm_mq_getopt(mq, PSM_MQ_RNDV_SHM_SZ, &got));
    CHECK(got == new_thresh, "MQ shm rendezvous threshold read back %u", got);
    CHECK_OK(psm_mq_setopt(mq, PSM_MQ_RNDV_SHM_SZ, &thresh));
}

/* ---- active messages --------------------------------------------------- */
static int am_request_idx, am_reply_idx;
static volatile int am_replies;
static uint64_t am_reply_value;

static int on_request(psm_am_token_t token, psm_epaddr_t from, psm_amarg_t *args, int nargs,
                      void *src, uint32_t len)
{
    CHECK(from == self_addr, "AM request source %p, expected %p", (void *)from, (void *)self_addr);
    CHECK(nargs == 2 && args[0].u64 == 0x1111 && args[1].u32w0 == 0x2222, "AM request args");
    CHECK(len == 5 && memcmp(src, "hello", 5) == 0, "AM request payload");
    psm_amarg_t reply = {.u64 = args[0].u64 + args[1].u32w0};
    CHECK_OK(psm_am_reply_short(token, (psm_handler_t)am_reply_idx, &reply, 1, NULL, 0,
                                PSM_AM_FLAG_NONE, NULL, NULL));
    return 0;
}

static int on_reply(psm_am_token_t token, psm_epaddr_t from, psm_amarg_t *args, int nargs,
                    void *src, uint32_t len)
{
    (void)token, (void)src;
    CHECK(from == self_addr, "AM reply source");
    CHECK(nargs == 1 && len == 0, "AM reply shape");
    am_reply_value = args[0].u64;
    am_replies++;
    return 0;
}

static void test_am(void)
{
    struct psm_am_parameters params;
    size_t got = 0;
    CHECK_OK(psm_am_get_parameters(ep, &params, sizeof params, &got));
    CHECK(got == sizeof params && params.max_handlers >= 2 && params.max_nargs >= 2,
          "AM parameters: %zu bytes, %u handlers, %u args", got, params.max_handlers,
          params.max_nargs);
    /* A caller knowing only the first field gets only that. */
    struct psm_am_parameters partial;
    memset(&partial, 0xab, sizeof partial);
    CHECK_OK(psm_am_get_parameters(ep, &partial, sizeof partial.max_handlers, &got));
    CHECK(got == sizeof partial.max_handlers && partial.max_nargs == 0xabababab,
          "AM parameters overran the caller's size");

    psm_am_handler_fn_t handlers[2] = {on_request, on_reply};
    int idx[2] = {-1, -1};
    CHECK_OK(psm_am_register_handlers(ep, handlers, 2, idx));
    am_request_idx = idx[0];
    am_reply_idx = idx[1];
    CHECK(idx[0] >= 0 && idx[1] >= 0 && idx[0] != idx[1], "handler indexes %d %d", idx[0], idx[1]);

    psm_amarg_t args[2] = {{.u64 = 0x1111}, {.u64 = 0}};
    args[1].u32w0 = 0x2222;
    char payload[] = "hello";
    CHECK_OK(psm_am_request_short(self_addr, (psm_handler_t)am_request_idx, args, 2, payload, 5,
                                  PSM_AM_FLAG_NONE, NULL, NULL));
    double deadline = now_seconds() + 10.0;
    while (am_replies == 0 && now_seconds() < deadline)
        psm_poll(ep);
    CHECK(am_replies == 1 && am_reply_value == 0x1111 + 0x2222, "AM reply %d, value %" PRIx64,
          am_replies, am_reply_value);
}

/* ---- error handlers ------------------------------------------------------ */
static int global_calls, ep_calls;
static psm_ep_t last_ep;
static psm_error_t last_error;

static psm_error_t on_global_error(psm_ep_t e, const psm_error_t error, const char *msg,
                                   psm_error_token_t token)
{
    (void)token;
    global_calls++;
    last_ep = e;
    last_error = error;
    CHECK(msg != NULL && msg[0] != '\0', "empty error message");
    return error; /* no abort: the failing call returns this */
}

static psm_error_t on_ep_error(psm_ep_t e, const psm_error_t error, const char *msg,
                               psm_error_token_t token)
{
    (void)msg, (void)token;
    ep_calls++;
    last_ep = e;
    last_error = error;
    return error;
}

static void test_error_handlers(void)
{
    psm_mq_req_t req = PSM_MQ_REQINVALID;
    char byte;

    /* An error with no endpoint (a NULL MQ) reaches the global handler. */
    CHECK_OK(psm_error_register_handler(NULL, on_global_error));
    CHECK(psm_mq_irecv(NULL, 0, 0, 0, &byte, 1, NULL, &req) == PSM_PARAM_ERR, "NULL mq accepted");
    CHECK(global_calls == 1 && last_ep == NULL && last_error == PSM_PARAM_ERR,
          "global handler: %d calls, ep %p, error %d", global_calls, (void *)last_ep,
          (int)last_error);

    /* An endpoint's error goes to that endpoint's handler, typed PSM1. */
    CHECK_OK(psm_error_register_handler(ep, on_ep_error));
    CHECK(psm_mq_irecv(mq, 0, 0, 0, NULL, 10, NULL, &req) == PSM_PARAM_ERR, "NULL buffer accepted");
    CHECK(ep_calls == 1 && global_calls == 1 && last_ep == ep && last_error == PSM_PARAM_ERR,
          "endpoint handler: %d/%d calls, ep %p, error %d", ep_calls, global_calls,
          (void *)last_ep, (int)last_error);

    /* Back to "no handler": errors are only returned. */
    CHECK_OK(psm_error_register_handler(ep, PSM_ERRHANDLER_NO_HANDLER));
    CHECK_OK(psm_error_register_handler(NULL, PSM_ERRHANDLER_NO_HANDLER));
    CHECK(psm_mq_irecv(mq, 0, 0, 0, NULL, 10, NULL, &req) == PSM_PARAM_ERR, "NULL buffer accepted");
    CHECK(ep_calls == 1 && global_calls == 1, "a handler ran after NO_HANDLER");
}

/* Input the shim itself must refuse, with PSM1's error code, and no crash. */
static void test_bad_input(void)
{
    CHECK(psm_mq_irecv(mq, 0, 0, 0, NULL, 0, NULL, NULL) == PSM_PARAM_ERR, "irecv NULL req");
    CHECK(psm_mq_isend(mq, self_addr, 0, 0, NULL, 0, NULL, NULL) == PSM_PARAM_ERR, "isend NULL req");
    CHECK(psm_mq_test(NULL, NULL) == PSM_PARAM_ERR, "test NULL");
    CHECK(psm_ep_connect(ep, -1, NULL, NULL, NULL, NULL, 0) == PSM_PARAM_ERR, "connect -1");
    CHECK(psm_am_register_handlers(ep, NULL, 1, NULL) == PSM_PARAM_ERR, "AM NULL handlers");
    int major = 1;
    CHECK(psm_init(&major, NULL) == PSM_PARAM_ERR, "init NULL minor");
    const char *s = psm_error_get_string(PSM_MQ_TRUNCATION);
    CHECK(s != NULL && s[0] != '\0', "no string for PSM_MQ_TRUNCATION");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s SHIM_DIR PSM2_DIR\n", argv[0]);
        return 2;
    }
    CHECK(mapped_from("libpsm_infinipath.so.1", argv[1]), "our PSM1 shim is not the one loaded");
    CHECK(mapped_from("libpsm2.so.2", argv[2]), "our libpsm2 is not the one loaded");
    if (failures)
        return 1;

    CHECK_OK(psm_error_register_handler(NULL, PSM_ERRHANDLER_NO_HANDLER));
    int major = 2, minor = 0;
    CHECK(psm_init(&major, &minor) == PSM_INIT_BAD_API_VERSION, "major 2 accepted");
    major = PSM_VERNO_MAJOR;
    minor = PSM_VERNO_MINOR;
    CHECK_OK(psm_init(&major, &minor));
    CHECK(major == PSM_VERNO_MAJOR && minor == PSM_VERNO_MINOR, "version %d.%d", major, minor);

    struct psm_ep_open_opts opts;
    CHECK_OK(psm_ep_open_opts_get_defaults(&opts));
    CHECK(opts.unit == -1, "default unit %d", opts.unit);
    psm_uuid_t key;
    psm_uuid_generate(key);
    CHECK_OK(psm_ep_open(key, &opts, &ep, &my_epid));
    CHECK_OK(psm_mq_init(ep, PSM_MQ_ORDERMASK_ALL, NULL, 0, &mq));

    psm_error_t conn_err = PSM_INTERNAL_ERR;
    CHECK_OK(psm_ep_connect(ep, 1, &my_epid, NULL, &conn_err, &self_addr, 5000000000LL));
    CHECK(conn_err == PSM_OK && self_addr != NULL, "connect to self: %d", (int)conn_err);

    int self_ctx = 0;
    psm_epaddr_setctxt(self_addr, &self_ctx);
    CHECK(psm_epaddr_getctxt(self_addr) == &self_ctx, "epaddr context lost");
    psm_epaddr_setlabel(self_addr, "self");

    psm_epinfo_t info[4];
    int ninfo = 4;
    CHECK_OK(psm_ep_query(&ninfo, info));
    CHECK(ninfo == 1 && info[0].ep == ep && info[0].epid == my_epid, "ep_query: %d", ninfo);
    psm_epconn_t conn;
    CHECK_OK(psm_ep_epid_lookup(my_epid, &conn));
    CHECK(conn.ep == ep && conn.mq == mq && conn.addr == self_addr, "epid_lookup");
    int shared = -1;
    CHECK_OK(psm_ep_epid_share_memory(ep, my_epid, &shared));
    CHECK(shared == 1, "own epid does not share memory");

    test_sizes();
    test_masks();
    test_tag_third_word();
    test_unexpected_order();
    test_truncation();
    test_ipeek();
    test_options();
    test_am();
    test_error_handlers();
    test_bad_input();

    psm_mq_stats_t stats;
    psm_mq_get_stats(mq, &stats);
    CHECK(stats.tx_num >= 20, "tx_num %" PRIu64, stats.tx_num);
    CHECK(stats.rx_user_num + stats.rx_sys_num >= 20, "rx_user_num %" PRIu64 " rx_sys_num %" PRIu64,
          stats.rx_user_num, stats.rx_sys_num);

    CHECK_OK(psm_mq_finalize(mq));
    CHECK_OK(psm_ep_close(ep, PSM_EP_CLOSE_GRACEFUL, 2000000000LL));
    CHECK_OK(psm_finalize());
    if (failures) {
        fprintf(stderr, "psm1-client: %d check(s) failed\n", failures);
        return 1;
    }
    printf("psm1-client: OK (our shim and libpsm2 loaded; MQ, tags, AM, errors)\n");
    return 0;
}
