// Two shm devices in one process talk to each other through their segments,
// over both rendezvous paths (CMA and the forced bounce pipeline).
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstring>

#include "fake_sink.h"
#include "hal/shm/segment.h"
#include "hal/shm/shm_device_impl.h"

using namespace shmtest;
using psm::hal::shm::RndvMode;
using psm::hal::shm::ShmDevice;

namespace {

class ShmPair : public ::testing::TestWithParam<const char*> {
protected:
    // Param: "cma-get", "none" (bounce pipeline) or "split" (cma-get with
    // both processes copying large pulls).
    void SetUp() override {
        bool split = std::strcmp(GetParam(), "split") == 0;
        setenv("PSM2_KASSIST_MODE", split ? "cma-get" : GetParam(), 1);
        if (split) setenv("PSM2_SHM_SPLIT_COPY_THRESH", "65536", 1);
        ASSERT_EQ(open_endpoint(a, 1), PSM2_OK);
        ASSERT_EQ(open_endpoint(b, 2), PSM2_OK);
        unsetenv("PSM2_KASSIST_MODE");
        unsetenv("PSM2_SHM_SPLIT_COPY_THRESH");
        RndvMode want = std::strcmp(GetParam(), "none") == 0 ? RndvMode::Bounce : RndvMode::CmaGet;
        ASSERT_EQ(dynamic_cast<ShmDevice&>(*a.dev).rndv_mode(), want);
        ASSERT_EQ(a.dev->connect(b.epid, 0, &ab), PSM2_OK);
        ASSERT_EQ(b.dev->connect(a.epid, 0, &ba), PSM2_OK);
    }
    bool poll(std::function<bool()> pred) { return poll_until(*a.dev, b.dev.get(), pred); }

    Endpoint a, b;
    Conn* ab = nullptr;   // a's connection to b
    Conn* ba = nullptr;
};

Tag96 tag(uint32_t x) { return Tag96{{x, x + 1, x + 2}}; }

}  // namespace

TEST_P(ShmPair, EagerSizesArriveIntactWithTagAndSource) {
    const uint32_t sizes[] = {0, 1, 8, 31, 32, 33, 64, 100, 4096, 15999};
    uint32_t i = 0;
    for (uint32_t n : sizes) {
        auto data = pattern(n, i);
        ASSERT_EQ(a.dev->send_eager(*ab, tag(i), data.data(), n), PSM2_OK) << n;
        ++i;
    }
    ASSERT_TRUE(poll([&] { return b.sink.eager.size() == std::size(sizes); }));
    for (i = 0; i < std::size(sizes); ++i) {
        const EagerEvent& e = b.sink.eager[i];
        EXPECT_EQ(e.from, ba);
        EXPECT_EQ(e.tag.w[0], i);
        EXPECT_EQ(e.tag.w[2], i + 2);
        EXPECT_EQ(e.data, pattern(sizes[i], i)) << "size " << sizes[i];
    }
}

TEST_P(ShmPair, RendezvousMovesLargeBufferAndCompletesBothSides) {
    for (uint32_t n : {16000u, 100000u, 4u << 20}) {
        auto src = pattern(n, n);
        b.sink.rts.clear();
        ASSERT_EQ(a.dev->send_rts(*ab, tag(5), src.data(), n, /*send_cookie=*/n + 1), PSM2_OK);
        ASSERT_TRUE(poll([&] { return b.sink.rts.size() == 1; }));
        EXPECT_EQ(b.sink.rts[0].len, n);
        EXPECT_EQ(b.sink.rts[0].from, ba);
        std::vector<unsigned char> dst(n);
        ASSERT_EQ(b.dev->pull(*ba, b.sink.rts[0].token, dst.data(), n, /*recv_cookie=*/n + 2),
                  PSM2_OK);
        ASSERT_TRUE(poll([&] { return !b.sink.pulls.empty() && !a.sink.sends.empty(); }));
        EXPECT_EQ(b.sink.pulls.back(), std::make_pair(uint64_t{n + 2}, PSM2_OK));
        EXPECT_EQ(a.sink.sends.back(), std::make_pair(uint64_t{n + 1}, PSM2_OK));
        EXPECT_TRUE(dst == src) << n;
        b.sink.pulls.clear();
        a.sink.sends.clear();
    }
}

TEST_P(ShmPair, TruncatedAndEmptyPulls) {
    auto src = pattern(50000, 9);
    ASSERT_EQ(a.dev->send_rts(*ab, tag(1), src.data(), 50000, 11), PSM2_OK);
    ASSERT_EQ(a.dev->send_rts(*ab, tag(2), src.data(), 50000, 12), PSM2_OK);
    ASSERT_TRUE(poll([&] { return b.sink.rts.size() == 2; }));
    std::vector<unsigned char> dst(50000, 0xee);
    ASSERT_EQ(b.dev->pull(*ba, b.sink.rts[0].token, dst.data(), 20000, 21), PSM2_OK);
    ASSERT_EQ(b.dev->pull(*ba, b.sink.rts[1].token, nullptr, 0, 22), PSM2_OK);
    ASSERT_TRUE(poll([&] { return b.sink.pulls.size() == 2 && a.sink.sends.size() == 2; }));
    EXPECT_EQ(std::memcmp(dst.data(), src.data(), 20000), 0);
    EXPECT_EQ(dst[20000], 0xee) << "wrote past the truncated length";
    for (auto& [cookie, err] : b.sink.pulls) EXPECT_EQ(err, PSM2_OK) << cookie;
    for (auto& [cookie, err] : a.sink.sends) EXPECT_EQ(err, PSM2_OK) << cookie;
}

TEST_P(ShmPair, PullFromInsideTheRtsUpcall) {
    auto src = pattern(300000, 4);
    std::vector<unsigned char> dst(300000);
    b.sink.rts_hook = [&](const RtsEvent& e) {
        EXPECT_EQ(b.dev->pull(*e.from, e.token, dst.data(), e.len, 77), PSM2_OK);
    };
    ASSERT_EQ(a.dev->send_rts(*ab, tag(1), src.data(), 300000, 66), PSM2_OK);
    ASSERT_TRUE(poll([&] { return b.sink.pulls.size() == 1 && a.sink.sends.size() == 1; }));
    EXPECT_TRUE(dst == src);
}

TEST_P(ShmPair, EagerAndRtsKeepSenderOrder) {
    auto big = pattern(20000, 1);
    uint64_t v = 1;
    ASSERT_EQ(a.dev->send_eager(*ab, tag(0), &v, 8), PSM2_OK);
    ASSERT_EQ(a.dev->send_rts(*ab, tag(1), big.data(), 20000, 1), PSM2_OK);
    ASSERT_EQ(a.dev->send_eager(*ab, tag(2), &v, 8), PSM2_OK);
    ASSERT_EQ(a.dev->send_am(*ab, psm::hal::AmPacket{}), PSM2_OK);
    ASSERT_EQ(a.dev->send_rts(*ab, tag(3), big.data(), 20000, 2), PSM2_OK);
    ASSERT_TRUE(poll([&] { return b.sink.order.size() == 5; }));
    EXPECT_EQ(b.sink.order, "EREAR");
}

TEST_P(ShmPair, ActiveMessageRequestReplyAndCompletion) {
    psm2_amarg_t args[3];
    for (int i = 0; i < 3; ++i) args[i].u64 = 100 + i;
    auto data = pattern(1000, 3);
    psm::hal::AmPacket req;
    req.handler = 7;
    req.nargs = 3;
    req.args = args;
    req.payload = data.data();
    req.len = 1000;
    req.flags = 0x2;
    req.completion = 0xabcdef0123ULL;
    ASSERT_EQ(a.dev->send_am(*ab, req), PSM2_OK);
    ASSERT_TRUE(poll([&] { return b.sink.am.size() == 1; }));
    const AmEvent& got = b.sink.am[0];
    EXPECT_EQ(got.handler, 7u);
    ASSERT_EQ(got.args.size(), 3u);
    EXPECT_EQ(got.args[2].u64, 102u);
    EXPECT_EQ(got.data, data);
    EXPECT_EQ(got.flags, 0x2u);
    EXPECT_FALSE(got.is_reply);
    ASSERT_TRUE(poll([&] { return a.sink.am_done.size() == 1; }));
    EXPECT_EQ(a.sink.am_done[0], 0xabcdef0123ULL);

    psm::hal::AmPacket rep;
    rep.handler = 9;
    rep.is_reply = true;
    ASSERT_EQ(b.dev->send_am(*ba, rep), PSM2_OK);
    ASSERT_TRUE(poll([&] { return a.sink.am.size() == 1; }));
    EXPECT_TRUE(a.sink.am[0].is_reply);
    EXPECT_EQ(a.sink.am[0].handler, 9u);
    EXPECT_EQ(a.sink.am[0].from, ab);
}

TEST_P(ShmPair, FullRingPushesBackThenDrainsInOrder) {
    auto data = pattern(4000, 2);
    uint32_t sent = 0;
    psm2_error_t err;
    while ((err = a.dev->send_eager(*ab, tag(sent), data.data(), 4000)) == PSM2_OK) ++sent;
    EXPECT_EQ(err, PSM2_EP_NO_RESOURCES);
    EXPECT_GT(sent, 10u);
    uint32_t total = sent + 100;
    while (sent < total) {
        b.dev->progress();
        if (a.dev->send_eager(*ab, tag(sent), data.data(), 4000) == PSM2_OK) ++sent;
    }
    ASSERT_TRUE(poll([&] { return b.sink.eager.size() == total; }));
    for (uint32_t i = 0; i < total; ++i) EXPECT_EQ(b.sink.eager[i].tag.w[0], i);
}

TEST_P(ShmPair, ReconnectResumesWithoutLossOrDuplicates) {
    uint64_t v = 42;
    for (uint32_t i = 0; i < 2; ++i) ASSERT_EQ(a.dev->send_eager(*ab, tag(i), &v, 8), PSM2_OK);
    ASSERT_TRUE(poll([&] { return b.sink.eager.size() == 2; }));
    for (uint32_t i = 2; i < 4; ++i) ASSERT_EQ(a.dev->send_eager(*ab, tag(i), &v, 8), PSM2_OK);
    b.dev->disconnect(ba);
    ASSERT_EQ(b.dev->connect(a.epid, 0, &ba), PSM2_OK);
    ASSERT_TRUE(poll([&] { return b.sink.eager.size() >= 4; }));
    for (int i = 0; i < 1000; ++i) b.dev->progress();
    ASSERT_EQ(b.sink.eager.size(), 4u);
    for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(b.sink.eager[i].tag.w[0], i);
    // b's new connection works in both directions.
    ASSERT_EQ(b.dev->send_eager(*ba, tag(50), &v, 8), PSM2_OK);
    ASSERT_TRUE(poll([&] { return a.sink.eager.size() == 1; }));
}

TEST_P(ShmPair, RecycledInboxNeverReplaysAnEarlierSendersMessages) {
    // c sends to b and disconnects before b polls; b delivers c's messages
    // once and recycles the inbox, which d then claims: b must see d's
    // message and nothing of c's again.
    Endpoint c, d;
    ASSERT_EQ(open_endpoint(c, 5), PSM2_OK);
    ASSERT_EQ(open_endpoint(d, 6), PSM2_OK);
    Conn* cb = nullptr;
    ASSERT_EQ(c.dev->connect(b.epid, 0, &cb), PSM2_OK);
    uint64_t v = 1;
    for (uint32_t i = 0; i < 3; ++i) ASSERT_EQ(c.dev->send_eager(*cb, tag(100 + i), &v, 8), PSM2_OK);
    c.dev->disconnect(cb);
    for (int i = 0; i < 10; ++i) b.dev->progress();   // b drains and recycles c's inbox
    ASSERT_EQ(b.sink.eager.size(), 3u);
    Conn *db = nullptr, *bd = nullptr;
    ASSERT_EQ(d.dev->connect(b.epid, 0, &db), PSM2_OK);
    ASSERT_EQ(b.dev->connect(d.epid, 0, &bd), PSM2_OK);
    for (int i = 0; i < 100; ++i) b.dev->progress();
    ASSERT_EQ(b.sink.eager.size(), 3u) << "replayed tag " << b.sink.eager.back().tag.w[0];
    ASSERT_EQ(d.dev->send_eager(*db, tag(7), &v, 8), PSM2_OK);
    ASSERT_TRUE(poll_until(*b.dev, nullptr, [&] { return b.sink.eager.size() > 3; }));
    for (int i = 0; i < 100; ++i) b.dev->progress();
    ASSERT_EQ(b.sink.eager.size(), 4u);
    for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(b.sink.eager[i].tag.w[0], 100 + i);
    EXPECT_EQ(b.sink.eager[3].tag.w[0], 7u);
    EXPECT_EQ(b.sink.eager[3].from, bd);
}

TEST_P(ShmPair, InboundPeerIsServedWithoutConnect) {
    // c connects to b; b never calls connect but gets c's messages on a conn
    // with no engine cookie yet (psm/ adopts it), and can answer on it.
    Endpoint c;
    ASSERT_EQ(open_endpoint(c, 7), PSM2_OK);
    Conn* cb = nullptr;
    ASSERT_EQ(c.dev->connect(b.epid, 0, &cb), PSM2_OK);
    auto big = pattern(40000, 5);
    uint64_t v = 3;
    ASSERT_EQ(c.dev->send_eager(*cb, tag(1), &v, 8), PSM2_OK);
    ASSERT_EQ(c.dev->send_rts(*cb, tag(2), big.data(), 40000, 9), PSM2_OK);
    ASSERT_TRUE(poll_until(*b.dev, c.dev.get(), [&] { return b.sink.eager.size() == 1 && b.sink.rts.size() == 1; }));
    Conn* bc = b.sink.eager[0].from;
    EXPECT_EQ(bc->peer_cookie, nullptr);
    EXPECT_EQ(bc->epid, c.epid);
    std::vector<unsigned char> dst(40000);
    ASSERT_EQ(b.dev->pull(*bc, b.sink.rts[0].token, dst.data(), 40000, 10), PSM2_OK);
    ASSERT_TRUE(poll_until(*b.dev, c.dev.get(), [&] { return c.sink.sends.size() == 1 && b.sink.pulls.size() == 1; }));
    EXPECT_TRUE(dst == big);
    ASSERT_EQ(b.dev->send_eager(*bc, tag(3), &v, 8), PSM2_OK);
    ASSERT_TRUE(poll_until(*b.dev, c.dev.get(), [&] { return c.sink.eager.size() == 1; }));
    EXPECT_EQ(c.sink.eager[0].from, cb);
    Conn* again = nullptr;
    ASSERT_EQ(b.dev->connect(c.epid, 0, &again), PSM2_OK);
    EXPECT_EQ(again, bc);
}

TEST_P(ShmPair, ShortLivedPeersMessagesAreDelivered) {
    // c claims, sends and closes before b polls even once: b connected to c
    // earlier (d: b never connected at all). Both messages must arrive.
    Endpoint c, d;
    ASSERT_EQ(open_endpoint(c, 8), PSM2_OK);
    ASSERT_EQ(open_endpoint(d, 9), PSM2_OK);
    Conn* bc = nullptr;
    ASSERT_EQ(b.dev->connect(c.epid, 0, &bc), PSM2_OK);
    Conn *cb = nullptr, *db = nullptr;
    ASSERT_EQ(c.dev->connect(b.epid, 0, &cb), PSM2_OK);
    ASSERT_EQ(d.dev->connect(b.epid, 0, &db), PSM2_OK);
    uint64_t v = 5;
    ASSERT_EQ(c.dev->send_eager(*cb, tag(10), &v, 8), PSM2_OK);
    ASSERT_EQ(d.dev->send_eager(*db, tag(20), &v, 8), PSM2_OK);
    c.dev.reset();
    d.dev.reset();
    ASSERT_TRUE(poll_until(*b.dev, nullptr, [&] { return b.sink.eager.size() == 2 && b.sink.lost.size() >= 2; }));
    EXPECT_EQ(b.sink.eager[0].tag.w[0] + b.sink.eager[1].tag.w[0], 30u);
    for (auto& e : b.sink.eager) {
        if (e.tag.w[0] == 10) {
            EXPECT_EQ(e.from, bc);
        } else {
            EXPECT_EQ(e.from->epid, d.epid);
            EXPECT_EQ(b.dev->send_eager(*e.from, tag(1), &v, 8), PSM2_EPID_UNREACHABLE);
        }
    }
}

TEST_P(ShmPair, ClosedPeerIsReportedAfterItsMessages) {
    uint64_t v = 7;
    ASSERT_EQ(a.dev->send_eager(*ab, tag(1), &v, 8), PSM2_OK);
    a.dev.reset();   // closes a's endpoint with a message still in b's inbox
    ASSERT_TRUE(poll_until(*b.dev, nullptr, [&] { return !b.sink.lost.empty(); }));
    ASSERT_EQ(b.sink.eager.size(), 1u);
    EXPECT_EQ(b.sink.lost[0].first, ba);
    EXPECT_EQ(b.sink.lost[0].second, PSM2_EPID_UNREACHABLE);
    EXPECT_EQ(b.dev->send_eager(*ba, tag(2), &v, 8), PSM2_EPID_UNREACHABLE);
}

TEST_P(ShmPair, SenderKilledWithRendezvousInFlight) {
    // A child sends an RTS and dies; our pull must fail cleanly, and the
    // child's segment must be swept.
    int to_child[2], to_parent[2];
    ASSERT_EQ(pipe(to_child), 0);
    ASSERT_EQ(pipe(to_parent), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        Endpoint c;
        char x = open_endpoint(c, 3) == PSM2_OK ? 1 : 0;
        (void)!write(to_parent[1], &x, 1);
        (void)!read(to_child[0], &x, 1);   // parent connected to us
        Conn* conn = nullptr;
        static std::vector<unsigned char> buf(1 << 20, 0x5a);
        if (c.dev->connect(a.epid, 0, &conn) != PSM2_OK ||
            c.dev->send_rts(*conn, tag(1), buf.data(), buf.size(), 1) != PSM2_OK)
            x = 0;
        (void)!write(to_parent[1], &x, 1);
        _exit(0);   // dies without closing anything
    }
    char x = 0;
    ASSERT_EQ(read(to_parent[0], &x, 1), 1);
    ASSERT_EQ(x, 1);
    psm2_epid_t child = shm_epid(static_cast<uint32_t>(pid), 3);
    Conn* ac = nullptr;
    ASSERT_EQ(a.dev->connect(child, 0, &ac), PSM2_OK);
    ASSERT_EQ(write(to_child[1], &x, 1), 1);
    ASSERT_EQ(read(to_parent[0], &x, 1), 1);
    ASSERT_EQ(x, 1);
    ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
    ASSERT_TRUE(poll_until(*a.dev, nullptr, [&] { return a.sink.rts.size() == 1; }));
    std::vector<unsigned char> dst(1 << 20);
    ASSERT_EQ(a.dev->pull(*ac, a.sink.rts[0].token, dst.data(), dst.size(), 5), PSM2_OK);
    ASSERT_TRUE(poll_until(*a.dev, nullptr,
                           [&] { return !a.sink.pulls.empty() && !a.sink.lost.empty(); }));
    EXPECT_EQ(a.sink.pulls[0].first, 5u);
    EXPECT_NE(a.sink.pulls[0].second, PSM2_OK);
    EXPECT_EQ(a.sink.lost[0].first, ac);
    for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) close(fd);
    psm::hal::shm::sweep_stale_segments();
    psm2_uuid_t u;
    fill_uuid(u, 1);
    EXPECT_FALSE(shm_file_exists(psm::hal::shm::segment_name(u, child)));
}

INSTANTIATE_TEST_SUITE_P(Rndv, ShmPair, ::testing::Values("cma-get", "none", "split"),
                         [](const auto& info) {
                             std::string p = info.param;
                             return p == "none" ? std::string("bounce") : p == "split" ? p : "cma";
                         });
