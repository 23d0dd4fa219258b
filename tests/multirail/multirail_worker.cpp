// One rank of the multirail test over the public API (2 ranks, PSM2_MULTIRAIL
// with two simulated units). Rank 0 sends 4 MiB messages interleaved with
// small ones, all under one tag, so MPI ordering decides which receive gets
// which; rank 1 sends one 4 MiB message back. Every byte is checked. At
// close each rank reads the per-rail trace lines (PSM2_TRACEMASK=0x2) its
// endpoint prints and checks that both rails carried a fair share of the
// rendezvous bytes it sent.
//
// Started by tests/multiproc's mp_launcher (--uuid --rank --size --dir).
#include <sched.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mp_bootstrap.h"
#include "psm2.h"
#include "psm2_mq.h"

namespace {

constexpr uint32_t kBig = 4u << 20;
constexpr uint32_t kSmall = 1000;
constexpr int kPairs = 4;   // rank 0 sends kPairs x (small, big)

int g_rank = 0, g_failures = 0;
psm2_ep_t g_ep;
psm2_mq_t g_mq;

void fail(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "rank %d: FAIL: ", g_rank);
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
    ++g_failures;
}

#define CHECK_OK(call)                                                                               \
    do {                                                                                             \
        psm2_error_t e_ = (call);                                                                    \
        if (e_ != PSM2_OK) {                                                                         \
            std::fprintf(stderr, "rank %d: %s failed: %s\n", g_rank, #call, psm2_error_get_string(e_)); \
            std::exit(1);                                                                            \
        }                                                                                            \
    } while (0)

std::vector<unsigned char> payload(uint32_t seq, uint32_t n) {
    std::vector<unsigned char> v(n);
    for (uint32_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>((i * 13 + (i >> 12) * 7 + seq * 31) & 0xff);
    return v;
}

psm2_mq_status2_t wait(psm2_mq_req_t* r) {
    psm2_mq_status2_t st{};
    for (unsigned spin = 0; psm2_mq_test2(r, &st) == PSM2_MQ_NO_COMPLETIONS; ++spin) {
        psm2_poll(g_ep);
        if (spin % 16 == 15) sched_yield();
    }
    return st;
}

psm2_mq_tag_t tag(uint32_t w0) {
    psm2_mq_tag_t t{};
    t.tag0 = w0;
    t.tag1 = 0x5ca1ab1e;
    return t;
}

void sync(psm2_epaddr_t peer, uint32_t phase) {
    psm2_mq_tag_t t = tag(0xB000 + phase), m{};
    m.tag0 = m.tag1 = m.tag2 = ~0u;
    psm2_mq_req_t s, r;
    CHECK_OK(psm2_mq_irecv2(g_mq, peer, &t, &m, 0, nullptr, 0, nullptr, &r));
    CHECK_OK(psm2_mq_isend2(g_mq, peer, 0, &t, nullptr, 0, nullptr, &s));
    wait(&s);
    wait(&r);
}

// Closes the endpoint with stderr captured, and checks the per-rail lines.
void close_and_check_rails(uint64_t rndv_bytes_sent) {
    std::fflush(stderr);
    char path[] = "/tmp/psm2-multirail-trace.XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(2);
    if (fd < 0 || saved < 0 || dup2(fd, 2) < 0) {
        fail("cannot capture stderr");
        return;
    }
    psm2_error_t err = psm2_ep_close(g_ep, PSM2_EP_CLOSE_GRACEFUL, 2'000'000'000LL);
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
    if (err != PSM2_OK) fail("psm2_ep_close: %s", psm2_error_get_string(err));
    FILE* f = std::fopen(path, "r");
    char line[512];
    int rails = 0;
    uint64_t total = 0;
    while (f && std::fgets(line, sizeof line, f)) {
        std::fputs(line, stderr);   // keep them in the test log
        const char* p = std::strstr(line, "hfi rail unit ");
        unsigned unit = 0;
        uint64_t epid = 0, packets = 0, bytes = 0;
        if (!p || std::sscanf(p, "hfi rail unit %u epid 0x%" SCNx64 ": %" SCNu64 " packets, %" SCNu64, &unit, &epid,
                              &packets, &bytes) != 4)
            continue;
        ++rails;
        total += bytes;
        std::fprintf(stderr, "rank %d: rail on unit %u sent %" PRIu64 " of %" PRIu64 " rendezvous bytes\n", g_rank,
                     unit, bytes, rndv_bytes_sent);
        if (bytes < rndv_bytes_sent / 4) fail("the rail on unit %u carried only %" PRIu64 " bytes", unit, bytes);
    }
    if (f) std::fclose(f);
    unlink(path);
    if (rails != 2) fail("%d rail lines in the close trace, expected 2 (PSM2_TRACEMASK=0x2?)", rails);
    if (total != rndv_bytes_sent) fail("rails sent %" PRIu64 " rendezvous bytes in all, not %" PRIu64, total, rndv_bytes_sent);
}

bool parse_uuid(const char* hex, psm2_uuid_t out) {
    if (std::strlen(hex) != 32) return false;
    for (int i = 0; i < 16; ++i) {
        unsigned v = 0;
        if (std::sscanf(hex + 2 * i, "%2x", &v) != 1) return false;
        out[i] = static_cast<unsigned char>(v);
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    mp::FileBootstrap boot;
    psm2_uuid_t uuid{};
    bool have_uuid = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--uuid") have_uuid = parse_uuid(argv[i + 1], uuid);
        else if (k == "--rank") boot.rank = std::atoi(argv[i + 1]);
        else if (k == "--size") boot.size = std::atoi(argv[i + 1]);
        else if (k == "--dir") boot.dir = argv[i + 1];
    }
    if (!have_uuid || boot.size != 2) {
        std::fprintf(stderr, "usage: %s --uuid <32 hex> --rank R --size 2 --dir D\n", argv[0]);
        return 2;
    }
    g_rank = boot.rank;
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    CHECK_OK(psm2_init(&major, &minor));
    psm2_epid_t epid;
    CHECK_OK(psm2_ep_open(uuid, nullptr, &g_ep, &epid));
    CHECK_OK(psm2_mq_init(g_ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &g_mq));
    std::vector<psm2_epid_t> all = boot.exchange(epid);
    psm2_epaddr_t peer;
    psm2_error_t cerr;
    CHECK_OK(psm2_ep_connect(g_ep, 1, &all[1 - g_rank], nullptr, &cerr, &peer, 30'000'000'000LL));
    sync(peer, 0);

    psm2_mq_tag_t t = tag(7), m{};
    m.tag0 = m.tag1 = m.tag2 = ~0u;
    uint64_t rndv_sent = 0;
    if (g_rank == 0) {
        std::vector<std::vector<unsigned char>> bufs;
        std::vector<psm2_mq_req_t> reqs(2 * kPairs);
        for (int i = 0; i < 2 * kPairs; ++i) {
            bufs.push_back(payload(i, i % 2 ? kBig : kSmall));
            CHECK_OK(psm2_mq_isend2(g_mq, peer, 0, &t, bufs.back().data(), uint32_t(bufs.back().size()), nullptr,
                                    &reqs[i]));
        }
        for (auto& r : reqs) wait(&r);
        rndv_sent = uint64_t(kPairs) * kBig;
        // And one striped message the other way.
        std::vector<unsigned char> back(kBig);
        psm2_mq_req_t r;
        CHECK_OK(psm2_mq_irecv2(g_mq, peer, &t, &m, 0, back.data(), kBig, nullptr, &r));
        psm2_mq_status2_t st = wait(&r);
        if (st.error_code != PSM2_OK || st.nbytes != kBig || back != payload(100, kBig))
            fail("4 MiB from rank 1: error %d, %u bytes, data %s", st.error_code, st.nbytes,
                 back == payload(100, kBig) ? "ok" : "differs");
    } else {
        // Receives posted in order under one tag: message i must land in
        // receive i, whatever the rails did underneath.
        std::vector<std::vector<unsigned char>> bufs(2 * kPairs, std::vector<unsigned char>(kBig));
        std::vector<psm2_mq_req_t> reqs(2 * kPairs);
        for (int i = 0; i < 2 * kPairs; ++i)
            CHECK_OK(psm2_mq_irecv2(g_mq, peer, &t, &m, 0, bufs[i].data(), kBig, nullptr, &reqs[i]));
        for (int i = 0; i < 2 * kPairs; ++i) {
            psm2_mq_status2_t st = wait(&reqs[i]);
            uint32_t want = i % 2 ? kBig : kSmall;
            if (st.error_code != PSM2_OK || st.nbytes != want ||
                std::memcmp(bufs[i].data(), payload(i, want).data(), want) != 0)
                fail("message %d: error %d, %u bytes (want %u), data %s", i, st.error_code, st.nbytes, want,
                     st.nbytes == want && std::memcmp(bufs[i].data(), payload(i, want).data(), want) == 0 ? "ok"
                                                                                                      : "differs");
        }
        std::vector<unsigned char> out = payload(100, kBig);
        psm2_mq_req_t s;
        CHECK_OK(psm2_mq_isend2(g_mq, peer, 0, &t, out.data(), kBig, nullptr, &s));
        wait(&s);
        rndv_sent = kBig;
    }
    sync(peer, 1);
    CHECK_OK(psm2_mq_finalize(g_mq));
    close_and_check_rails(rndv_sent);
    CHECK_OK(psm2_finalize());
    if (g_failures) std::fprintf(stderr, "rank %d: %d failure(s)\n", g_rank, g_failures);
    return g_failures ? 1 : 0;
}
