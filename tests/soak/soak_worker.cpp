// One rank of the soak test (two ranks under tests/multiproc's mp_launcher):
// each rank streams --count messages to the other while receiving as many,
// through the public API, and checks every one of them.
//
// Message g (g = 0, 1, 2, ... per sender) has tag g % 4 and a size that is a
// function of g: mostly small (8..256 B), every 50th 4 KiB, every 1000th
// 100 KB (rendezvous on shm and HFI). Its payload carries g and a pattern
// derived from it. Receives are any-tag receives from the peer, posted in
// order, so the k-th receive must get message k: that one check covers loss,
// duplicates, order per (sender, tag) and matching order; the payload check
// covers data. The send window (64) is larger than the receive window (16),
// so many messages arrive unexpected and the eager flow control is at work.
//
// RSS is sampled every --sample messages received and printed as a curve;
// the highest sample of the second half may exceed the highest of the first
// half by at most 2 MiB (memory steady, not growing with the message count).
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mp_bootstrap.h"
#include "mp_check.h"
#include "psm2.h"
#include "psm2_mq.h"

namespace {

using Clock = std::chrono::steady_clock;

using mp::fail;
using mp::g_failures;
using mp::g_rank;
using mp::kCheckRss;

constexpr uint32_t kTags = 4;
constexpr uint64_t kDoneTag = 99;
constexpr uint32_t kMaxSize = 100000;
constexpr int kSendWindow = 64;
constexpr int kRecvWindow = 16;
constexpr long kSteadyMarginKib = 2048;

uint32_t size_of(uint64_t g) {
    if (g % 1000 == 999) return kMaxSize;
    if (g % 50 == 7) return 4096;
    return 8 + static_cast<uint32_t>((g * 13) % 249);
}

inline uint8_t pattern(uint64_t g, uint32_t i) { return static_cast<uint8_t>(g * 131 + i * 7 + 1); }

void fill(uint8_t* b, uint64_t g, uint32_t len) {
    std::memcpy(b, &g, 8);
    for (uint32_t i = 8; i < len; ++i) b[i] = pattern(g, i);
}

bool intact(const uint8_t* b, uint64_t g, uint32_t len) {
    uint64_t got;
    std::memcpy(&got, b, 8);
    if (got != g) return false;
    for (uint32_t i = 8; i < len; ++i)
        if (b[i] != pattern(g, i)) return false;
    return true;
}

long rss_kib() {
    FILE* f = std::fopen("/proc/self/status", "r");
    long v = -1;
    char line[256];
    while (f && std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmRSS: %ld", &v) == 1) break;
    if (f) std::fclose(f);
    return v;
}

// A slot's index and kind travel in the request context.
constexpr uintptr_t kRecvBit = uintptr_t(1) << 40;

struct Soak {
    psm2_ep_t ep;
    psm2_mq_t mq;
    psm2_epaddr_t peer;
    uint64_t count;
    uint64_t sample_every;

    std::vector<std::vector<uint8_t>> send_buf, recv_buf;
    std::vector<uint64_t> recv_index;   // which message (post order) a receive slot waits for
    std::vector<int> free_send;
    uint64_t sent = 0, send_done = 0, posted = 0, received = 0, bad = 0;
    std::vector<std::pair<uint64_t, long>> rss;

    void post_send(int slot) {
        const uint64_t g = sent++;
        const uint32_t len = size_of(g);
        fill(send_buf[slot].data(), g, len);
        psm2_mq_req_t r;
        CHECK_OK(psm2_mq_isend(mq, peer, 0, g % kTags, send_buf[slot].data(), len,
                               reinterpret_cast<void*>(uintptr_t(slot)), &r));
    }

    void post_recv(int slot) {
        recv_index[slot] = posted++;
        psm2_mq_req_t r;
        // Tags 0..3 only (selector ~3): the final kDoneTag message is not data.
        CHECK_OK(psm2_mq_irecv(mq, 0, ~uint64_t(kTags - 1), 0, recv_buf[slot].data(), kMaxSize,
                               reinterpret_cast<void*>(kRecvBit | uintptr_t(slot)), &r));
    }

    void check_recv(int slot, const psm2_mq_status_t& st) {
        const uint64_t g = recv_index[slot];
        const uint32_t len = size_of(g);
        const bool ok = st.error_code == PSM2_OK && st.msg_tag == g % kTags && st.msg_length == len &&
                        st.nbytes == len && intact(recv_buf[slot].data(), g, len);
        if (!ok && ++bad <= 5) {
            uint64_t got = 0;
            std::memcpy(&got, recv_buf[slot].data(), 8);
            fail("receive %lu: error %d tag %lu len %u (want %u), carries message %lu", (unsigned long)g,
                 st.error_code, (unsigned long)st.msg_tag, st.nbytes, len, (unsigned long)got);
        }
        ++received;
        if (received % sample_every == 0) rss.emplace_back(received, rss_kib());
    }

    void run() {
        send_buf.assign(kSendWindow, std::vector<uint8_t>(kMaxSize));
        recv_buf.assign(kRecvWindow, std::vector<uint8_t>(kMaxSize));
        recv_index.assign(kRecvWindow, 0);
        for (int s = 0; s < kSendWindow && sent < count; ++s) post_send(s);
        for (int s = 0; s < kRecvWindow && posted < count; ++s) post_recv(s);
        auto last_event = Clock::now();
        while (send_done < count || received < count) {
            psm2_mq_req_t r;
            psm2_mq_status_t st;
            if (psm2_mq_ipeek(mq, &r, nullptr) != PSM2_OK) {
                psm2_poll(ep);
                if (Clock::now() - last_event > std::chrono::seconds(60)) {
                    fail("no progress for 60 s: sent %lu (done %lu) received %lu of %lu", (unsigned long)sent,
                         (unsigned long)send_done, (unsigned long)received, (unsigned long)count);
                    return;
                }
                continue;
            }
            last_event = Clock::now();
            CHECK_OK(psm2_mq_test(&r, &st));
            const auto ctx = reinterpret_cast<uintptr_t>(st.context);
            const int slot = static_cast<int>(ctx & 0xffff);
            if (ctx & kRecvBit) {
                check_recv(slot, st);
                if (posted < count) post_recv(slot);
            } else {
                if (st.error_code != PSM2_OK) fail("send failed: %d", st.error_code);
                ++send_done;
                if (sent < count) post_send(slot);
            }
        }
    }

    // Both ranks got everything before either closes.
    void finish() {
        uint64_t mine = received, theirs = 0;
        psm2_mq_req_t r;
        CHECK_OK(psm2_mq_irecv(mq, kDoneTag, ~0ull, 0, &theirs, 8, nullptr, &r));
        CHECK_OK(psm2_mq_send(mq, peer, 0, kDoneTag, &mine, 8));
        CHECK_OK(psm2_mq_wait(&r, nullptr));
        if (theirs != count) fail("the peer received %lu of %lu", (unsigned long)theirs, (unsigned long)count);
    }

    void report(double seconds) {
        std::fprintf(stderr, "rank %d: sent %lu, received %lu, checked %lu, wrong %lu, lost %lu in %.1f s (%.0f msg/s each way)\n",
                     g_rank, (unsigned long)send_done, (unsigned long)received, (unsigned long)(received - bad),
                     (unsigned long)bad, (unsigned long)(count - received), seconds, double(received) / seconds);
        std::fprintf(stderr, "rank %d: RSS curve (messages received: KiB):", g_rank);
        for (auto& [n, kib] : rss) std::fprintf(stderr, " %lu:%ld", (unsigned long)n, kib);
        std::fprintf(stderr, "\n");
        if (rss.size() >= 4) {
            const size_t half = rss.size() / 2;
            long first = 0, second = 0;
            for (size_t i = 0; i < half; ++i) first = std::max(first, rss[i].second);
            for (size_t i = half; i < rss.size(); ++i) second = std::max(second, rss[i].second);
            std::fprintf(stderr, "rank %d: RSS max first half %ld KiB, second half %ld KiB\n", g_rank, first, second);
            if (kCheckRss && second > first + kSteadyMarginKib)
                fail("RSS grows: second-half max %ld KiB > first-half max %ld KiB + %ld", second, first, kSteadyMarginKib);
        }
        psm2_mq_stats_t s;
        psm2_mq_get_stats(mq, &s);
        std::fprintf(stderr, "rank %d: mq: tx eager %lu rndv %lu; rx unexpected eager %lu\n", g_rank,
                     (unsigned long)s.tx_eager_num, (unsigned long)s.tx_rndv_num, (unsigned long)s.rx_sys_num);
    }
};

bool parse_uuid(const char* hex, psm2_uuid_t out) {
    if (std::strlen(hex) != 32) return false;
    for (int i = 0; i < 16; ++i) {
        unsigned v;
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
    Soak s{};
    s.count = 500000;
    s.sample_every = 25000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--uuid") have_uuid = parse_uuid(argv[i + 1], uuid);
        else if (k == "--count") s.count = std::strtoull(argv[i + 1], nullptr, 0);
        else if (k == "--sample") s.sample_every = std::strtoull(argv[i + 1], nullptr, 0);
        else if (k == "--rank") boot.rank = std::atoi(argv[i + 1]);
        else if (k == "--size") boot.size = std::atoi(argv[i + 1]);
        else if (k == "--dir") boot.dir = argv[i + 1];
    }
    if (!have_uuid || boot.size != 2 || s.count == 0 || s.sample_every == 0) {
        std::fprintf(stderr, "usage: %s --count N [--sample N] --uuid <32 hex> --rank R --size 2 --dir D\n",
                     argv[0]);
        return 2;
    }
    g_rank = boot.rank;

    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    CHECK_OK(psm2_init(&major, &minor));
    psm2_epid_t epid;
    CHECK_OK(psm2_ep_open(uuid, nullptr, &s.ep, &epid));
    std::vector<psm2_epid_t> epids = boot.exchange(epid);
    psm2_epid_t other = epids[1 - g_rank];
    psm2_error_t err;
    CHECK_OK(psm2_ep_connect(s.ep, 1, &other, nullptr, &err, &s.peer, 30'000'000'000LL));
    CHECK_OK(psm2_mq_init(s.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &s.mq));

    const auto t0 = Clock::now();
    s.run();
    if (g_failures == 0) s.finish();
    s.report(std::chrono::duration<double>(Clock::now() - t0).count());

    CHECK_OK(psm2_mq_finalize(s.mq));
    CHECK_OK(psm2_ep_close(s.ep, PSM2_EP_CLOSE_GRACEFUL, 10'000'000'000LL));
    CHECK_OK(psm2_finalize());
    if (g_failures == 0) std::fprintf(stderr, "rank %d: all checks passed\n", g_rank);
    return g_failures ? 1 : 0;
}
