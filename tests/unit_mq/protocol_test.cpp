// Eager and rendezvous paths between two engines over the fake device:
// expected/unexpected arrival, truncation, zero length, SENDSYNC, blocking
// sends, device back-pressure and order, lost and removed peers, statistics
// and the threshold options.
#include <cstring>
#include <numeric>

#include "harness.h"

namespace mqtest {
namespace {

constexpr uint32_t kAll = 0xffffffffu;

struct Pair : ::testing::Test {
    Node a, b;
    Link ab{a, b};
    psm2_epaddr_t to_b() { return &ab.a_to_b; }
    psm2_epaddr_t from_a() { return &ab.b_to_a; }
};

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 31);
    return v;
}

class Transfer : public Pair, public ::testing::WithParamInterface<std::tuple<uint32_t, bool>> {};

TEST_P(Transfer, DeliversBytesAndStatus) {
    const auto [len, recv_first] = GetParam();
    auto data = pattern(len, 3);
    std::vector<uint8_t> out(len + 16, 0xee);
    psm2_mq_tag_t t = tag3(1, 2, 3), sel = tag3(kAll, kAll, kAll);
    psm2_mq_req_t sreq = nullptr, rreq = nullptr;
    if (recv_first) {
        ASSERT_EQ(psm2_mq_irecv2(b.mq, nullptr, &t, &sel, 0, out.data(), len, this, &rreq), PSM2_OK);
    }
    ASSERT_EQ(psm2_mq_isend2(a.mq, to_b(), 0, &t, data.data(), len, &data, &sreq), PSM2_OK);
    pump(a, b);
    if (!recv_first) {
        ASSERT_EQ(psm2_mq_irecv2(b.mq, nullptr, &t, &sel, 0, out.data(), len, this, &rreq), PSM2_OK);
    }
    pump(a, b);
    psm2_mq_status2_t rs, ss;
    ASSERT_EQ(psm2_mq_test2(&rreq, &rs), PSM2_OK);
    ASSERT_EQ(psm2_mq_test2(&sreq, &ss), PSM2_OK);
    EXPECT_EQ(rreq, PSM2_MQ_REQINVALID);
    EXPECT_EQ(rs.error_code, PSM2_OK);
    EXPECT_EQ(rs.msg_length, len);
    EXPECT_EQ(rs.nbytes, len);
    EXPECT_EQ(rs.msg_peer, from_a());
    EXPECT_EQ(rs.msg_tag.tag[2], 3u);
    EXPECT_EQ(rs.context, this);
    EXPECT_EQ(ss.error_code, PSM2_OK);
    EXPECT_EQ(ss.context, &data);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), out.begin()));
    EXPECT_EQ(out[len], 0xee);
    EXPECT_EQ(a.dev.rts_sent, len >= 4096 ? 1 : 0);
}

INSTANTIATE_TEST_SUITE_P(Sizes, Transfer,
                         ::testing::Combine(::testing::Values(0u, 1u, 64u, 4095u, 4096u, 100000u), ::testing::Bool()));

class Truncation : public Pair, public ::testing::WithParamInterface<std::tuple<uint32_t, bool>> {};

TEST_P(Truncation, FillsBufferAndReportsLengths) {
    const auto [len, recv_first] = GetParam();
    const uint32_t cap = len / 3;
    auto data = pattern(len, 9);
    std::vector<uint8_t> out(len, 0xee);
    psm2_mq_req_t sreq = nullptr, rreq = nullptr;
    if (recv_first) {
        ASSERT_EQ(psm2_mq_irecv(b.mq, 5, ~0ull, 0, out.data(), cap, nullptr, &rreq), PSM2_OK);
    }
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 5, data.data(), len, nullptr, &sreq), PSM2_OK);
    pump(a, b);
    if (!recv_first) {
        ASSERT_EQ(psm2_mq_irecv(b.mq, 5, ~0ull, 0, out.data(), cap, nullptr, &rreq), PSM2_OK);
    }
    pump(a, b);
    psm2_mq_status_t st;
    ASSERT_EQ(psm2_mq_wait(&rreq, &st), PSM2_OK);
    EXPECT_EQ(st.error_code, PSM2_MQ_TRUNCATION);
    EXPECT_EQ(st.msg_length, len);
    EXPECT_EQ(st.nbytes, cap);
    EXPECT_TRUE(std::equal(data.begin(), data.begin() + cap, out.begin()));
    EXPECT_EQ(out[cap], 0xee);   // nothing written past the buffer
    ASSERT_EQ(psm2_mq_wait(&sreq, &st), PSM2_OK);
    EXPECT_EQ(st.error_code, PSM2_OK);   // the sender's message was delivered (truncated)
}

INSTANTIATE_TEST_SUITE_P(EagerAndRendezvous, Truncation,
                         ::testing::Combine(::testing::Values(300u, 30000u), ::testing::Bool()));

using Protocol = Pair;

TEST_F(Protocol, RendezvousSendCompletesOnlyAfterTheReceiverPulled) {
    auto data = pattern(50000, 1);
    std::vector<uint8_t> out(50000);
    psm2_mq_req_t sreq, rreq;
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 9, data.data(), 50000, nullptr, &sreq), PSM2_OK);
    pump(a, b);
    EXPECT_EQ(psm2_mq_test(&sreq, nullptr), PSM2_MQ_NO_COMPLETIONS);   // unexpected RTS waits at b
    ASSERT_EQ(psm2_mq_irecv(b.mq, 9, ~0ull, 0, out.data(), 50000, nullptr, &rreq), PSM2_OK);
    pump(a, b);
    EXPECT_EQ(psm2_mq_test(&sreq, nullptr), PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&rreq, nullptr), PSM2_OK);
    EXPECT_EQ(out, data);
    EXPECT_EQ(b.dev.pulls, 1);
}

TEST_F(Protocol, SendSyncSmallMessageWaitsForTheMatch) {
    uint64_t v = 0x1122334455667788ull, got = 0;
    psm2_mq_req_t sreq, rreq;
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), PSM2_MQ_FLAG_SENDSYNC, 4, &v, sizeof v, nullptr, &sreq), PSM2_OK);
    pump(a, b);
    EXPECT_EQ(psm2_mq_test(&sreq, nullptr), PSM2_MQ_NO_COMPLETIONS);
    ASSERT_EQ(psm2_mq_irecv(b.mq, 4, ~0ull, 0, &got, sizeof got, nullptr, &rreq), PSM2_OK);
    pump(a, b);
    EXPECT_EQ(psm2_mq_test(&sreq, nullptr), PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&rreq, nullptr), PSM2_OK);
    EXPECT_EQ(got, v);
}

TEST_F(Protocol, ZeroLengthSendSyncWithNullBuffers) {
    psm2_mq_req_t sreq, rreq;
    ASSERT_EQ(psm2_mq_irecv(b.mq, 1, ~0ull, 0, nullptr, 0, nullptr, &rreq), PSM2_OK);
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), PSM2_MQ_FLAG_SENDSYNC, 1, nullptr, 0, nullptr, &sreq), PSM2_OK);
    pump(a, b);
    psm2_mq_status_t st;
    ASSERT_EQ(psm2_mq_test(&rreq, &st), PSM2_OK);
    EXPECT_EQ(st.msg_length, 0u);
    EXPECT_EQ(st.error_code, PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&sreq, nullptr), PSM2_OK);
}

TEST_F(Protocol, BlockingEagerSendNeedsNoProgress) {
    uint32_t v = 7, got = 0;
    ASSERT_EQ(psm2_mq_send(a.mq, to_b(), 0, 2, &v, sizeof v), PSM2_OK);
    EXPECT_EQ(a.dev.eager_sent, 1);
    psm2_mq_req_t ipeeked;
    EXPECT_EQ(psm2_mq_ipeek(a.mq, &ipeeked, nullptr), PSM2_MQ_NO_COMPLETIONS);   // no request left behind
    pump(a, b);
    psm2_mq_req_t rreq;
    ASSERT_EQ(psm2_mq_irecv(b.mq, 2, ~0ull, 0, &got, sizeof got, nullptr, &rreq), PSM2_OK);
    ASSERT_EQ(psm2_mq_wait(&rreq, nullptr), PSM2_OK);
    EXPECT_EQ(got, 7u);
}

TEST(SelfLink, BlockingRendezvousSendToItself) {
    Node n;
    Link self(n, n, 0x5, 0x5);   // a_to_b and b_to_a both live on n
    auto data = pattern(20000, 4);
    std::vector<uint8_t> out(20000);
    psm2_mq_req_t rreq;
    ASSERT_EQ(psm2_mq_irecv2(n.mq, &self.b_to_a, nullptr, nullptr, 0, out.data(), 20000, nullptr, &rreq),
              PSM2_PARAM_ERR);   // NULL tag pointers
    psm2_mq_tag_t t = tag3(1, 1, 1), sel = tag3(kAll, kAll, kAll);
    ASSERT_EQ(psm2_mq_irecv2(n.mq, &self.b_to_a, &t, &sel, 0, out.data(), 20000, nullptr, &rreq), PSM2_OK);
    ASSERT_EQ(psm2_mq_send2(n.mq, &self.a_to_b, 0, &t, data.data(), 20000), PSM2_OK);
    ASSERT_EQ(psm2_mq_wait(&rreq, nullptr), PSM2_OK);
    EXPECT_EQ(out, data);
}

TEST_F(Protocol, QueuedSendsKeepOrderBehindDeviceBackPressure) {
    a.dev.refuse_sends = 3;
    constexpr int n = 8;
    std::vector<std::vector<uint8_t>> msgs;
    std::vector<psm2_mq_req_t> sreqs(n), rreqs(n);
    for (int i = 0; i < n; ++i) msgs.push_back(pattern(i % 2 ? 6000 : 16, uint8_t(i)));   // eager and rendezvous mixed
    for (int i = 0; i < n; ++i)
        ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 77, msgs[i].data(), uint32_t(msgs[i].size()), nullptr, &sreqs[i]),
                  PSM2_OK);
    EXPECT_EQ(a.dev.eager_sent + a.dev.rts_sent, 0);   // the first was refused, the rest queued behind it
    std::vector<std::vector<uint8_t>> outs(n, std::vector<uint8_t>(6000));
    for (int i = 0; i < n; ++i)
        ASSERT_EQ(psm2_mq_irecv(b.mq, 77, ~0ull, 0, outs[i].data(), 6000, nullptr, &rreqs[i]), PSM2_OK);
    pump(a, b);
    for (int i = 0; i < n; ++i) {
        psm2_mq_status_t st;
        ASSERT_EQ(psm2_mq_test(&rreqs[i], &st), PSM2_OK) << i;
        ASSERT_EQ(st.msg_length, msgs[i].size()) << i;
        EXPECT_TRUE(std::equal(msgs[i].begin(), msgs[i].end(), outs[i].begin())) << i;
        EXPECT_EQ(psm2_mq_test(&sreqs[i], nullptr), PSM2_OK) << i;
    }
}

TEST_F(Protocol, BlockingSendQueuesBehindEarlierSends) {
    a.dev.refuse_sends = 1;
    uint32_t first = 1, second = 2, got[2] = {};
    psm2_mq_req_t sreq, r0, r1;
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 3, &first, 4, nullptr, &sreq), PSM2_OK);
    ASSERT_EQ(psm2_mq_send(a.mq, to_b(), 0, 3, &second, 4), PSM2_OK);   // waits, progressing a
    ASSERT_EQ(psm2_mq_wait(&sreq, nullptr), PSM2_OK);
    ASSERT_EQ(psm2_mq_irecv(b.mq, 3, ~0ull, 0, &got[0], 4, nullptr, &r0), PSM2_OK);
    ASSERT_EQ(psm2_mq_irecv(b.mq, 3, ~0ull, 0, &got[1], 4, nullptr, &r1), PSM2_OK);
    pump(a, b);
    ASSERT_EQ(psm2_mq_test(&r0, nullptr), PSM2_OK);
    ASSERT_EQ(psm2_mq_test(&r1, nullptr), PSM2_OK);
    EXPECT_EQ(got[0], 1u);
    EXPECT_EQ(got[1], 2u);
}

TEST_F(Protocol, RefusedPullIsRetried) {
    b.dev.refuse_pulls = 2;
    auto data = pattern(10000, 2);
    std::vector<uint8_t> out(10000);
    psm2_mq_req_t sreq, rreq;
    ASSERT_EQ(psm2_mq_irecv(b.mq, 8, ~0ull, 0, out.data(), 10000, nullptr, &rreq), PSM2_OK);
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 8, data.data(), 10000, nullptr, &sreq), PSM2_OK);
    pump(a, b);
    EXPECT_EQ(psm2_mq_test(&rreq, nullptr), PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&sreq, nullptr), PSM2_OK);
    EXPECT_EQ(out, data);
}

TEST_F(Protocol, RemovedPeerFailsPendingSendsAndIgnoresLateCompletions) {
    auto big = pattern(10000, 5);
    uint32_t small = 3;
    psm2_mq_req_t inflight, queued;
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 1, big.data(), 10000, nullptr, &inflight), PSM2_OK);
    a.dev.refuse_sends = 1;
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 1, &small, 4, nullptr, &queued), PSM2_OK);
    psm::mq::peer_removed(a.engine, &ab.a_to_b);
    psm2_mq_status_t st;
    ASSERT_EQ(psm2_mq_test(&inflight, &st), PSM2_OK);
    EXPECT_EQ(st.error_code, PSM2_EPID_UNREACHABLE);
    ASSERT_EQ(psm2_mq_test(&queued, &st), PSM2_OK);
    EXPECT_EQ(st.error_code, PSM2_EPID_UNREACHABLE);
    // b still pulls the announced message; the send-done that reaches a now
    // carries a stale cookie and must be ignored.
    std::vector<uint8_t> out(10000);
    psm2_mq_req_t rreq;
    ASSERT_EQ(psm2_mq_irecv(b.mq, 1, ~0ull, 0, out.data(), 10000, nullptr, &rreq), PSM2_OK);
    pump(a, b);
    EXPECT_EQ(psm2_mq_test(&rreq, nullptr), PSM2_OK);
    uint32_t v = 1;
    EXPECT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 1, &v, 4, nullptr, &queued), PSM2_PARAM_ERR);
}

TEST_F(Protocol, LostPeerFailsUnexpectedRendezvousAndNewSends) {
    auto big = pattern(10000, 6);
    psm2_mq_req_t sreq, rreq;
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 1, big.data(), 10000, nullptr, &sreq), PSM2_OK);
    pump(a, b);   // the RTS waits at b, unexpected
    b.engine->on_peer_lost(ab.conn_ba, PSM2_EPID_UNREACHABLE);
    EXPECT_TRUE(ab.b_to_a.lost);
    std::vector<uint8_t> out(10000);
    ASSERT_EQ(psm2_mq_irecv(b.mq, 1, ~0ull, 0, out.data(), 10000, nullptr, &rreq), PSM2_OK);
    psm2_mq_status_t st;
    ASSERT_EQ(psm2_mq_test(&rreq, &st), PSM2_OK);
    EXPECT_EQ(st.error_code, PSM2_EPID_UNREACHABLE);
    EXPECT_EQ(b.dev.pulls, 0);
    uint32_t v = 0;
    EXPECT_EQ(psm2_mq_send(b.mq, from_a(), 0, 1, &v, 4), PSM2_EPID_UNREACHABLE);
    a.engine->on_peer_lost(ab.conn_ab, PSM2_EPID_UNREACHABLE);
    ASSERT_EQ(psm2_mq_test(&sreq, &st), PSM2_OK);
    EXPECT_EQ(st.error_code, PSM2_EPID_UNREACHABLE);
}

TEST_F(Protocol, StatisticsCountWhatHappened) {
    auto big = pattern(8000, 1);
    uint32_t v = 1, got = 0;
    std::vector<uint8_t> out(8000);
    psm2_mq_req_t s1, s2, r1, r2;
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 1, &v, 4, nullptr, &s1), PSM2_OK);
    ASSERT_EQ(psm2_mq_isend(a.mq, to_b(), 0, 2, big.data(), 8000, nullptr, &s2), PSM2_OK);
    pump(a, b);
    ASSERT_EQ(psm2_mq_irecv(b.mq, 1, ~0ull, 0, &got, 4, nullptr, &r1), PSM2_OK);
    ASSERT_EQ(psm2_mq_irecv(b.mq, 2, ~0ull, 0, out.data(), 8000, nullptr, &r2), PSM2_OK);
    pump(a, b);
    psm2_mq_stats_t sa, sb;
    psm2_mq_get_stats(a.mq, &sa);
    psm2_mq_get_stats(b.mq, &sb);
    EXPECT_EQ(sa.tx_num, 2u);
    EXPECT_EQ(sa.tx_eager_num, 1u);
    EXPECT_EQ(sa.tx_eager_bytes, 4u);
    EXPECT_EQ(sa.tx_rndv_num, 1u);
    EXPECT_EQ(sa.tx_rndv_bytes, 8000u);
    EXPECT_EQ(sb.rx_sys_num, 1u);
    EXPECT_EQ(sb.rx_sys_bytes, 4u);
    EXPECT_EQ(sb.rx_user_num, 1u);
    EXPECT_EQ(sb.rx_user_bytes, 8000u);
    EXPECT_GE(sb.rx_sysbuf_num, 1u);
    EXPECT_GE(sb.rx_sysbuf_bytes, 4u);
    EXPECT_EQ(psm2_mq_test(&s1, nullptr), PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&s2, nullptr), PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&r1, nullptr), PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&r2, nullptr), PSM2_OK);
}

TEST(Options, ShmThresholdSteersIntraNodeDevicesOnly) {
    Node a(16000, "shm"), b(16000, "shm");
    Link ab(a, b);
    uint32_t v = 0;
    ASSERT_EQ(psm2_mq_setopt(a.mq, PSM2_MQ_RNDV_HFI_SZ, &(v = 50)), PSM2_OK);
    EXPECT_EQ(a.dev.set_threshold_calls, 0);
    ASSERT_EQ(psm2_mq_setopt(a.mq, PSM2_MQ_RNDV_SHM_SZ, &(v = 100)), PSM2_OK);
    EXPECT_EQ(a.dev.set_threshold_calls, 1);
    ASSERT_EQ(psm2_mq_getopt(a.mq, PSM2_MQ_RNDV_SHM_SZ, &v), PSM2_OK);
    EXPECT_EQ(v, 100u);
    ASSERT_EQ(psm2_mq_getopt(a.mq, PSM2_MQ_RNDV_HFI_SZ, &v), PSM2_OK);
    EXPECT_EQ(v, 50u);
    std::vector<uint8_t> msg(200, 1), out(200);
    psm2_mq_req_t s, r;
    ASSERT_EQ(psm2_mq_isend(a.mq, &ab.a_to_b, 0, 1, msg.data(), 200, nullptr, &s), PSM2_OK);
    EXPECT_EQ(a.dev.rts_sent, 1);   // 200 >= 100: rendezvous now
    ASSERT_EQ(psm2_mq_irecv(b.mq, 1, ~0ull, 0, out.data(), 200, nullptr, &r), PSM2_OK);
    pump(a, b);
    EXPECT_EQ(psm2_mq_test(&r, nullptr), PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&s, nullptr), PSM2_OK);
    psm2_mq_stats_t st;
    psm2_mq_get_stats(a.mq, &st);
    EXPECT_EQ(st.tx_shm_num, 1u);
    EXPECT_EQ(psm2_mq_setopt(a.mq, 0x399, &v), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_mq_getopt(a.mq, 0x399, &v), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_mq_getopt(a.mq, PSM2_MQ_RNDV_SHM_SZ, nullptr), PSM2_PARAM_ERR);
    ASSERT_EQ(psm2_mq_setopt(a.mq, PSM2_MQ_MAX_SYSBUF_MBYTES, &(v = 7)), PSM2_OK);
    ASSERT_EQ(psm2_mq_getopt(a.mq, PSM2_MQ_MAX_SYSBUF_MBYTES, &v), PSM2_OK);
    EXPECT_EQ(v, 7u);
}

}  // namespace
}  // namespace mqtest

namespace mqtest {
namespace {

TEST(Limits, OutstandingRequestMaximaFromTheEnvironment) {
    setenv("PSM2_MQ_SENDREQS_MAX", "2", 1);
    setenv("PSM2_MQ_RECVREQS_MAX", "1", 1);
    Node a, b;
    unsetenv("PSM2_MQ_SENDREQS_MAX");
    unsetenv("PSM2_MQ_RECVREQS_MAX");
    Link ab(a, b);
    uint32_t v = 1, got[2];
    psm2_mq_req_t s[3], r[2];
    ASSERT_EQ(psm2_mq_isend(a.mq, &ab.a_to_b, 0, 1, &v, 4, nullptr, &s[0]), PSM2_OK);
    ASSERT_EQ(psm2_mq_isend(a.mq, &ab.a_to_b, 0, 1, &v, 4, nullptr, &s[1]), PSM2_OK);
    EXPECT_EQ(psm2_mq_isend(a.mq, &ab.a_to_b, 0, 1, &v, 4, nullptr, &s[2]), PSM2_NO_MEMORY);
    ASSERT_EQ(psm2_mq_test(&s[0], nullptr), PSM2_OK);   // a finished request frees its slot
    ASSERT_EQ(psm2_mq_isend(a.mq, &ab.a_to_b, 0, 1, &v, 4, nullptr, &s[2]), PSM2_OK);
    ASSERT_EQ(psm2_mq_irecv(b.mq, 9, ~0ull, 0, &got[0], 4, nullptr, &r[0]), PSM2_OK);
    EXPECT_EQ(psm2_mq_irecv(b.mq, 9, ~0ull, 0, &got[1], 4, nullptr, &r[1]), PSM2_NO_MEMORY);
    pump(a, b);   // arrivals are kept whatever the limit
    EXPECT_EQ(b.engine->unexpected_count(), 3u);
    EXPECT_EQ(psm2_mq_cancel(&r[0]), PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&r[0], nullptr), PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&s[1], nullptr), PSM2_OK);
    EXPECT_EQ(psm2_mq_test(&s[2], nullptr), PSM2_OK);
}

}  // namespace
}  // namespace mqtest
