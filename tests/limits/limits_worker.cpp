// One rank of the resource-limit tests (started by tests/multiproc's
// mp_launcher, two ranks: 0 sends, 1 receives). What they check is the eager
// flow control of mq/eager_credits.h, through the public API only:
//
//  --scenario unexpected: rank 0 isends --count messages of --msg-size bytes
//    and a marker; rank 1 keeps polling but posts nothing until the marker is
//    there. Then it may hold only the sender's eager budget as eager data
//    (psm2_mq_get_stats: rx_sys_num / rx_sys_bytes) and its RSS growth must
//    stay under the documented bound; posting then receives every message, in
//    order, bytes checked.
//  --scenario blocked: rank 0 sends with blocking psm2_mq_send, rank 1 polls
//    without posting. The sender must stop after exactly its eager budget
//    (back-pressure: the next send waits for its match) while the receiver's
//    RSS stays flat; then rank 1 posts and everything arrives in order.
//
// The two ranks share a small board (a file in the launcher's directory) for
// progress counters that must not go through the library under test.
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
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

// Shared between the two ranks (lock-free atomics in a MAP_SHARED file).
struct Board {
    std::atomic<uint64_t> sends_returned;   // blocked scenario: psm2_mq_send calls that returned
    std::atomic<uint64_t> sender_done;
};

Board* map_board(const std::string& dir) {
    std::string path = dir + "/limits.board";
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, 4096) != 0) {
        std::perror(path.c_str());
        std::exit(1);
    }
    void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        std::perror("mmap");
        std::exit(1);
    }
    return static_cast<Board*>(p);
}

// VmRSS of this process in KiB.
long rss_kib() {
    FILE* f = std::fopen("/proc/self/status", "r");
    long v = -1;
    char line[256];
    while (f && std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmRSS: %ld", &v) == 1) break;
    if (f) std::fclose(f);
    return v;
}

int64_t env_or(const char* name, int64_t dflt) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoll(v, nullptr, 0) : dflt;
}

// The eager budget of the sender (mq/eager_credits.h): messages and bytes it
// may leave unmatched here; a message that does not fit goes by rendezvous.
uint64_t eager_budget(uint32_t msg_size) {
    const uint64_t msgs = static_cast<uint64_t>(env_or("PSM2_MQ_EAGER_CREDITS", 4096));
    const uint64_t bytes = std::max<uint64_t>(env_or("PSM2_MQ_EAGER_CREDIT_BYTES", 4 << 20), 64 << 10);
    return msg_size ? std::min(msgs, bytes / msg_size) : msgs;
}

// The documented bound on what an unexpected message costs the receiver
// (mq/README.md): a request of at most kEnvelope bytes each, plus for an
// eager one its payload in a power-of-two system buffer (at least 64 B).
constexpr long kEnvelope = 512;
constexpr long kSlackKib = 8 << 10;   // allocator and device noise
constexpr long kRequestBytes = 320;    // sizeof(psm2_mq_req) today, for the printed comparison

long sysbuf_bytes(uint32_t len) {
    long c = 64;
    while (c < long(len)) c <<= 1;
    return c;
}

void fill(std::vector<uint8_t>& b, uint64_t seq) {
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(seq * 31 + i * 7);
    std::memcpy(b.data(), &seq, std::min<size_t>(8, b.size()));
}

bool intact(const uint8_t* b, uint32_t len, uint64_t seq) {
    uint64_t got = 0;
    std::memcpy(&got, b, std::min<size_t>(8, len));
    if (len >= 8 && got != seq) return false;
    for (uint32_t i = 8; i < len; ++i)
        if (b[i] != static_cast<uint8_t>(seq * 31 + i * 7)) return false;
    return true;
}

constexpr uint64_t kDataTag = 1, kMarkerTag = 2;

struct Config {
    uint64_t count = 100000;
    uint32_t msg_size = 8;
    psm2_ep_t ep = nullptr;
    psm2_mq_t mq = nullptr;
    psm2_epaddr_t peer = nullptr;
    Board* board = nullptr;
};

// Posts count receives of tag kDataTag in order and checks each message.
void receive_all(const Config& c) {
    std::vector<uint8_t> buf(size_t(c.count) * c.msg_size);
    std::vector<psm2_mq_req_t> reqs(c.count);
    for (uint64_t i = 0; i < c.count; ++i)
        CHECK_OK(psm2_mq_irecv(c.mq, kDataTag, ~0ull, 0, buf.data() + i * c.msg_size, c.msg_size, nullptr,
                               &reqs[i]));
    uint64_t bad = 0;
    for (uint64_t i = 0; i < c.count; ++i) {
        psm2_mq_status_t st;
        CHECK_OK(psm2_mq_wait(&reqs[i], &st));
        if (st.error_code != PSM2_OK || st.nbytes != c.msg_size ||
            !intact(buf.data() + i * c.msg_size, c.msg_size, i)) {
            if (++bad <= 5) fail("message %lu: error %d, %u bytes, data %s", (unsigned long)i, st.error_code,
                                 st.nbytes, intact(buf.data() + i * c.msg_size, c.msg_size, i) ? "ok" : "wrong");
        }
    }
    if (bad) fail("%lu of %lu messages wrong or out of order", (unsigned long)bad, (unsigned long)c.count);
    else std::fprintf(stderr, "rank %d: received %lu messages in order, data intact\n", g_rank,
                      (unsigned long)c.count);
}

// ---- unexpected -------------------------------------------------------------

void send_unexpected(const Config& c) {
    std::vector<uint8_t> data(size_t(c.count + 1) * c.msg_size);
    std::vector<psm2_mq_req_t> reqs(c.count + 1);
    for (uint64_t i = 0; i <= c.count; ++i) {
        std::vector<uint8_t> one(c.msg_size);
        fill(one, i);
        std::memcpy(data.data() + i * c.msg_size, one.data(), c.msg_size);
        CHECK_OK(psm2_mq_isend(c.mq, c.peer, 0, i < c.count ? kDataTag : kMarkerTag,
                               data.data() + i * c.msg_size, c.msg_size, nullptr, &reqs[i]));
    }
    for (auto& r : reqs) CHECK_OK(psm2_mq_wait(&r, nullptr));
    psm2_mq_stats_t st;
    psm2_mq_get_stats(c.mq, &st);
    const uint64_t budget = eager_budget(c.msg_size);
    if (st.tx_eager_num != std::min(budget, c.count))
        fail("%lu eager sends, expected the budget %lu", (unsigned long)st.tx_eager_num, (unsigned long)budget);
    std::fprintf(stderr, "rank 0: %lu isends: %lu eager, %lu rendezvous\n", (unsigned long)(c.count + 1),
                 (unsigned long)st.tx_eager_num, (unsigned long)st.tx_rndv_num);
}

void receive_unexpected(const Config& c) {
    const long rss0 = rss_kib();
    // Poll only: everything the sender sends becomes unexpected here. The
    // marker is its last message, so once it is here all the others are too.
    const auto deadline = Clock::now() + std::chrono::seconds(150);
    for (;;) {
        psm2_poll(c.ep);
        psm2_mq_status_t st;
        if (psm2_mq_iprobe(c.mq, kMarkerTag, ~0ull, &st) == PSM2_OK) break;
        if (Clock::now() > deadline) {
            fail("the marker never arrived");
            return;
        }
    }
    const long rss1 = rss_kib();
    std::fprintf(stderr, "rank 1: all %lu messages waiting after %.2f s\n", (unsigned long)(c.count + 1),
                 std::chrono::duration<double>(Clock::now() - (deadline - std::chrono::seconds(150))).count());
    psm2_mq_stats_t st;
    psm2_mq_get_stats(c.mq, &st);
    const uint64_t budget = std::min(eager_budget(c.msg_size), c.count);
    const uint64_t unexpected = c.count + 1;
    const long bound_kib = (long(budget) * (kEnvelope + sysbuf_bytes(c.msg_size)) +
                            long(unexpected - budget) * kEnvelope) / 1024 + kSlackKib;
    const long unbounded_kib = long(unexpected) * (kRequestBytes + sysbuf_bytes(c.msg_size)) / 1024;
    std::fprintf(stderr,
                 "rank 1: %lu unexpected messages of %u B: %lu held eager (%lu B), the rest as envelopes; "
                 "RSS %ld -> %ld KiB (+%ld KiB), bound +%ld KiB (without flow control ~+%ld KiB)\n",
                 (unsigned long)unexpected, c.msg_size, (unsigned long)st.rx_sys_num,
                 (unsigned long)st.rx_sys_bytes, rss0, rss1, rss1 - rss0, bound_kib, unbounded_kib);
    if (st.rx_sys_num != budget)
        fail("%lu unexpected eager messages held, the sender's budget is %lu", (unsigned long)st.rx_sys_num,
             (unsigned long)budget);
    if (st.rx_sys_bytes > budget * c.msg_size) fail("%lu unexpected eager bytes held", (unsigned long)st.rx_sys_bytes);
    if (kCheckRss && rss1 - rss0 > bound_kib) fail("RSS grew by %ld KiB, over the bound of %ld KiB", rss1 - rss0, bound_kib);

    receive_all(c);
    uint64_t marker = 0;
    std::vector<uint8_t> m(c.msg_size);
    psm2_mq_req_t r;
    CHECK_OK(psm2_mq_irecv(c.mq, kMarkerTag, ~0ull, 0, m.data(), c.msg_size, nullptr, &r));
    CHECK_OK(psm2_mq_wait(&r, nullptr));
    std::memcpy(&marker, m.data(), std::min<size_t>(8, c.msg_size));
    if (c.msg_size >= 8 && marker != c.count) fail("marker carries %lu", (unsigned long)marker);
}

// ---- blocked ------------------------------------------------------------------

void send_blocked(const Config& c) {
    std::vector<uint8_t> one(c.msg_size);
    for (uint64_t i = 0; i < c.count; ++i) {
        fill(one, i);
        CHECK_OK(psm2_mq_send(c.mq, c.peer, 0, kDataTag, one.data(), c.msg_size));
        c.board->sends_returned.store(i + 1, std::memory_order_release);
    }
    c.board->sender_done.store(1, std::memory_order_release);
}

void receive_blocked(const Config& c) {
    const uint64_t budget = std::min(eager_budget(c.msg_size), c.count);
    // Poll without posting until the sender has made no progress for 1.5 s.
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    uint64_t seen = 0;
    auto since = Clock::now();
    long rss_at_stall = -1, rss_max = 0;
    while (Clock::now() < deadline) {
        psm2_poll(c.ep);
        uint64_t n = c.board->sends_returned.load(std::memory_order_acquire);
        if (n != seen) {
            seen = n;
            since = Clock::now();
            rss_at_stall = -1;
            continue;
        }
        if (n == c.count) break;   // never blocked
        auto idle = Clock::now() - since;
        if (idle > std::chrono::milliseconds(500) && rss_at_stall < 0) rss_at_stall = rss_kib();
        if (rss_at_stall >= 0) rss_max = std::max(rss_max, rss_kib());
        if (idle > std::chrono::milliseconds(1500)) break;
        sched_yield();
    }
    psm2_mq_stats_t st;
    psm2_mq_get_stats(c.mq, &st);
    std::fprintf(stderr,
                 "rank 1: sender blocked after %lu of %lu blocking sends (budget %lu); %lu eager held here; "
                 "RSS while blocked %ld..%ld KiB\n",
                 (unsigned long)seen, (unsigned long)c.count, (unsigned long)budget, (unsigned long)st.rx_sys_num,
                 rss_at_stall, rss_max);
    if (seen != budget) fail("the sender's blocking sends returned %lu times, expected to block after %lu",
                             (unsigned long)seen, (unsigned long)budget);
    if (st.rx_sys_num != budget) fail("%lu eager messages held, expected %lu", (unsigned long)st.rx_sys_num,
                                      (unsigned long)budget);
    if (kCheckRss && rss_at_stall >= 0 && rss_max - rss_at_stall > 1024)
        fail("RSS grew by %ld KiB while the sender was blocked", rss_max - rss_at_stall);

    receive_all(c);
    const auto done_by = Clock::now() + std::chrono::seconds(60);
    while (!c.board->sender_done.load(std::memory_order_acquire)) {
        psm2_poll(c.ep);
        if (Clock::now() > done_by) {
            fail("the sender did not finish after the receiver drained");
            break;
        }
    }
}

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
    std::string scenario = "unexpected";
    Config c;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--uuid") have_uuid = parse_uuid(argv[i + 1], uuid);
        else if (k == "--scenario") scenario = argv[i + 1];
        else if (k == "--count") c.count = std::strtoull(argv[i + 1], nullptr, 0);
        else if (k == "--msg-size") c.msg_size = static_cast<uint32_t>(std::strtoul(argv[i + 1], nullptr, 0));
        else if (k == "--rank") boot.rank = std::atoi(argv[i + 1]);
        else if (k == "--size") boot.size = std::atoi(argv[i + 1]);
        else if (k == "--dir") boot.dir = argv[i + 1];
    }
    if (!have_uuid || boot.size != 2 || c.count == 0) {
        std::fprintf(stderr, "usage: %s --scenario unexpected|blocked --count N --msg-size B "
                             "--uuid <32 hex> --rank R --size 2 --dir D\n", argv[0]);
        return 2;
    }
    g_rank = boot.rank;
    c.board = map_board(boot.dir);

    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    CHECK_OK(psm2_init(&major, &minor));
    psm2_epid_t epid;
    CHECK_OK(psm2_ep_open(uuid, nullptr, &c.ep, &epid));
    std::vector<psm2_epid_t> epids = boot.exchange(epid);
    psm2_epid_t other = epids[1 - g_rank];
    psm2_error_t err;
    CHECK_OK(psm2_ep_connect(c.ep, 1, &other, nullptr, &err, &c.peer, 30'000'000'000LL));
    CHECK_OK(psm2_mq_init(c.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &c.mq));

    const auto t0 = Clock::now();
    if (scenario == "unexpected") g_rank == 0 ? send_unexpected(c) : receive_unexpected(c);
    else if (scenario == "blocked") g_rank == 0 ? send_blocked(c) : receive_blocked(c);
    else fail("unknown scenario %s", scenario.c_str());
    std::fprintf(stderr, "rank %d: %s took %.2f s\n", g_rank, scenario.c_str(),
                 std::chrono::duration<double>(Clock::now() - t0).count());

    CHECK_OK(psm2_mq_finalize(c.mq));
    CHECK_OK(psm2_ep_close(c.ep, PSM2_EP_CLOSE_GRACEFUL, 10'000'000'000LL));
    CHECK_OK(psm2_finalize());
    if (g_failures == 0) std::fprintf(stderr, "rank %d: all checks passed\n", g_rank);
    return g_failures ? 1 : 0;
}
