// Eager flow control (mq/eager_credits.h): a receiver that does not post
// holds at most the sender's credit budget of eager data; later sends go by
// rendezvous, keep their order with the eager ones, and a blocking send then
// waits for the match. Credits come back as the receiver consumes messages.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "harness.h"

namespace mqtest {
namespace {

// Sets credit variables for the engines created while it lives.
struct CreditEnv {
    CreditEnv(const char* msgs, const char* bytes) {
        if (msgs) setenv("PSM2_MQ_EAGER_CREDITS", msgs, 1);
        if (bytes) setenv("PSM2_MQ_EAGER_CREDIT_BYTES", bytes, 1);
    }
    ~CreditEnv() {
        unsetenv("PSM2_MQ_EAGER_CREDITS");
        unsetenv("PSM2_MQ_EAGER_CREDIT_BYTES");
    }
};

// Sender a gets the credit environment, receiver b the defaults unless
// receiver_too; both with a large rendezvous threshold so that every size
// used here is eager by size.
struct Flow {
    std::unique_ptr<Node> a, b;
    std::unique_ptr<Link> ab;   // goes first: its addresses leave the engines
    Flow(const char* msgs, const char* bytes = nullptr, bool receiver_too = false) {
        {
            CreditEnv env(msgs, bytes);
            a = std::make_unique<Node>(1u << 20);
            if (receiver_too) b = std::make_unique<Node>(1u << 20);
        }
        if (!b) b = std::make_unique<Node>(1u << 20);
        ab = std::make_unique<Link>(*a, *b);
    }
    psm2_epaddr_t to_b() { return &ab->a_to_b; }
};

// n isends of 8-byte ids [first, first + n) with tag 7.
std::vector<psm2_mq_req_t> send_ids(Flow& f, std::vector<uint64_t>& ids, uint32_t first, uint32_t n) {
    std::vector<psm2_mq_req_t> reqs(n);
    for (uint32_t i = 0; i < n; ++i) {
        ids[first + i] = first + i;
        EXPECT_EQ(psm2_mq_isend(f.a->mq, f.to_b(), 0, 7, &ids[first + i], 8, nullptr, &reqs[i]), PSM2_OK);
    }
    return reqs;
}

void expect_all_done(std::vector<psm2_mq_req_t>& reqs) {
    for (auto& r : reqs) {
        psm2_mq_status_t st;
        ASSERT_EQ(psm2_mq_test(&r, &st), PSM2_OK);
        EXPECT_EQ(st.error_code, PSM2_OK);
    }
}

TEST(FlowControl, ReceiverThatDoesNotPostHoldsOnlyTheCreditBudget) {
    Flow f("8");
    std::vector<uint64_t> ids(20);
    auto sreqs = send_ids(f, ids, 0, 20);
    pump(*f.a, *f.b);
    EXPECT_EQ(f.a->dev.eager_sent, 8);
    EXPECT_EQ(f.a->dev.rts_sent, 12);
    EXPECT_EQ(f.a->engine->flow().credit_rndv_sends, 12u);
    EXPECT_EQ(f.b->engine->unexpected_count(), 20u);   // every message is there to be matched
    EXPECT_EQ(f.b->engine->flow().held_eager_msgs, 8u);
    EXPECT_EQ(f.b->engine->flow().held_eager_bytes, 64u);

    // Posting now receives all 20 in send order, eager and rendezvous alike.
    std::vector<uint64_t> got(20, ~0ull);
    std::vector<psm2_mq_req_t> rreqs(20);
    for (int i = 0; i < 20; ++i)
        ASSERT_EQ(psm2_mq_irecv(f.b->mq, 7, ~0ull, 0, &got[i], 8, nullptr, &rreqs[i]), PSM2_OK);
    pump(*f.a, *f.b);
    expect_all_done(rreqs);
    expect_all_done(sreqs);
    for (uint64_t i = 0; i < 20; ++i) EXPECT_EQ(got[i], i);
    EXPECT_EQ(f.b->engine->flow().held_eager_msgs, 0u);
    EXPECT_EQ(f.b->engine->flow().peak_eager_msgs, 8u);

    // The receiver consumed the 8 eager messages, then saw a small RTS: it
    // returned the credits although its batch (1024) is far from full.
    EXPECT_GE(f.b->engine->flow().credit_msgs_sent, 1u);
    EXPECT_GE(f.a->engine->flow().credit_msgs_received, 1u);
    std::vector<uint64_t> more(28);
    auto sreqs2 = send_ids(f, more, 20, 8);
    pump(*f.a, *f.b);
    EXPECT_EQ(f.a->dev.eager_sent, 16);   // all eager again
    EXPECT_EQ(f.a->dev.rts_sent, 12);
    std::vector<uint64_t> got2(8);
    std::vector<psm2_mq_req_t> rreqs2(8);
    for (int i = 0; i < 8; ++i)
        ASSERT_EQ(psm2_mq_irecv(f.b->mq, 7, ~0ull, 0, &got2[i], 8, nullptr, &rreqs2[i]), PSM2_OK);
    pump(*f.a, *f.b);
    expect_all_done(rreqs2);
    expect_all_done(sreqs2);
    for (uint64_t i = 0; i < 8; ++i) EXPECT_EQ(got2[i], 20 + i);
}

TEST(FlowControl, ByteBudgetLimitsLargeEagerMessages) {
    Flow f("1000", "65536");
    std::vector<uint8_t> data(16384, 0x5a);
    std::vector<psm2_mq_req_t> sreqs(10);
    for (auto& r : sreqs)
        ASSERT_EQ(psm2_mq_isend(f.a->mq, f.to_b(), 0, 1, data.data(), data.size(), nullptr, &r), PSM2_OK);
    pump(*f.a, *f.b);
    EXPECT_EQ(f.a->dev.eager_sent, 4);   // 4 x 16 KiB = the 64 KiB budget
    EXPECT_EQ(f.a->dev.rts_sent, 6);
    EXPECT_EQ(f.b->engine->flow().held_eager_bytes, 65536u);
    std::vector<uint8_t> out(data.size());
    for (int i = 0; i < 10; ++i) {
        psm2_mq_req_t r;
        std::memset(out.data(), 0, out.size());
        ASSERT_EQ(psm2_mq_irecv(f.b->mq, 1, ~0ull, 0, out.data(), out.size(), nullptr, &r), PSM2_OK);
        pump(*f.a, *f.b);
        psm2_mq_status_t st;
        ASSERT_EQ(psm2_mq_test(&r, &st), PSM2_OK);
        EXPECT_EQ(st.nbytes, data.size());
        EXPECT_EQ(out, data);
    }
    expect_all_done(sreqs);
}

TEST(FlowControl, BlockingSendWaitsForTheMatchOnceCreditsAreSpent) {
    Flow f("4");
    uint64_t v = 42;
    psm2_mq_req* wait_on = nullptr;
    const Tag96 tag{{3, 0, 0}};
    for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(f.a->engine->send_blocking(f.to_b(), 0, tag, &v, 8, &wait_on), PSM2_OK);
        EXPECT_EQ(wait_on, nullptr);   // eager: done on return
    }
    ASSERT_EQ(f.a->engine->send_blocking(f.to_b(), 0, tag, &v, 8, &wait_on), PSM2_OK);
    ASSERT_NE(wait_on, nullptr);   // the fifth waits for a receive
    pump(*f.a, *f.b);
    EXPECT_FALSE(psm::mq::Engine::is_done(wait_on));
    EXPECT_EQ(f.b->engine->flow().held_eager_msgs, 4u);
    // Draining the receiver releases the waiting send.
    uint64_t got[5];
    psm2_mq_req_t r[5];
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(psm2_mq_irecv(f.b->mq, 3, ~0ull, 0, &got[i], 8, nullptr, &r[i]), PSM2_OK);
    pump(*f.a, *f.b);
    EXPECT_TRUE(psm::mq::Engine::is_done(wait_on));
    f.a->engine->retire(wait_on);
    for (auto& q : r) ASSERT_EQ(psm2_mq_test(&q, nullptr), PSM2_OK);
    for (uint64_t g : got) EXPECT_EQ(g, 42u);
}

TEST(FlowControl, MatchedMessagesReturnCreditsInBatches) {
    // Both sides budget 16 messages: the receiver returns every 4.
    Flow f("16", nullptr, /*receiver_too=*/true);
    EXPECT_EQ(f.b->engine->credit_config().return_msgs, 4u);
    const int n = 200;
    std::vector<uint64_t> got(n), ids(n);
    std::vector<psm2_mq_req_t> rreqs(n);
    for (int i = 0; i < n; ++i)
        ASSERT_EQ(psm2_mq_irecv(f.b->mq, 7, ~0ull, 0, &got[i], 8, nullptr, &rreqs[i]), PSM2_OK);
    std::vector<psm2_mq_req_t> sreqs;
    for (int i = 0; i < n; i += 10) {   // a window of 10 in flight, progress in between
        auto w = send_ids(f, ids, i, 10);
        sreqs.insert(sreqs.end(), w.begin(), w.end());
        pump(*f.a, *f.b);
    }
    expect_all_done(rreqs);
    expect_all_done(sreqs);
    EXPECT_EQ(f.a->dev.eager_sent, n);   // prompt matching never runs the sender dry
    EXPECT_EQ(f.a->dev.rts_sent, 0);
    // At most one return per 4 consumed (batches grow when several
    // messages are consumed between two progress calls).
    EXPECT_LE(f.b->engine->flow().credit_msgs_sent, uint64_t(n / 4));
    EXPECT_GE(f.b->engine->flow().credit_msgs_sent, uint64_t(n / 16));
    for (int i = 0; i < n; ++i) EXPECT_EQ(got[i], uint64_t(i));
}

TEST(FlowControl, ReturnedCreditsNeverExceedTheBudget) {
    Flow f("4");
    // A peer claiming to have consumed far more than we ever sent.
    psm2_amarg_t args[2];
    args[0].u64 = 1u << 30;
    args[1].u64 = 1ull << 40;
    psm::hal::AmPacket pkt;
    pkt.handler = psm::mq::kCreditAmHandler;
    pkt.nargs = 2;
    pkt.args = args;
    f.a->engine->on_am(f.ab->conn_ab, pkt);
    std::vector<uint64_t> ids(6);
    auto sreqs = send_ids(f, ids, 0, 6);
    pump(*f.a, *f.b);
    EXPECT_EQ(f.a->dev.eager_sent, 4);
    EXPECT_EQ(f.a->dev.rts_sent, 2);
    std::vector<uint64_t> got(6);
    for (int i = 0; i < 6; ++i) {
        psm2_mq_req_t r;
        ASSERT_EQ(psm2_mq_irecv(f.b->mq, 7, ~0ull, 0, &got[i], 8, nullptr, &r), PSM2_OK);
        pump(*f.a, *f.b);
        ASSERT_EQ(psm2_mq_test(&r, nullptr), PSM2_OK);
        EXPECT_EQ(got[i], uint64_t(i));
    }
    expect_all_done(sreqs);
}

TEST(FlowControl, ZeroCreditsTurnsFlowControlOff) {
    Flow f("0");
    std::vector<uint64_t> ids(5000);
    auto sreqs = send_ids(f, ids, 0, 5000);
    pump(*f.a, *f.b);
    EXPECT_EQ(f.a->dev.eager_sent, 5000);
    EXPECT_EQ(f.b->engine->flow().held_eager_msgs, 5000u);
    std::vector<uint64_t> got(5000);
    for (int i = 0; i < 5000; ++i) {
        psm2_mq_req_t r;
        ASSERT_EQ(psm2_mq_irecv(f.b->mq, 7, ~0ull, 0, &got[i], 8, nullptr, &r), PSM2_OK);
        ASSERT_EQ(psm2_mq_test(&r, nullptr), PSM2_OK);
        ASSERT_EQ(got[i], uint64_t(i));
    }
    expect_all_done(sreqs);
}

TEST(FlowControl, DefaultsBoundTenThousandUnexpectedMessages) {
    Flow f(nullptr);
    const auto& cfg = f.a->engine->credit_config();
    EXPECT_EQ(cfg.msgs, 4096u);
    EXPECT_EQ(cfg.bytes, 4u << 20);
    std::vector<uint64_t> ids(10000);
    auto sreqs = send_ids(f, ids, 0, 10000);
    pump(*f.a, *f.b);
    EXPECT_EQ(f.b->engine->flow().peak_eager_msgs, 4096u);
    EXPECT_EQ(f.b->engine->unexpected_count(), 10000u);
    std::vector<uint64_t> got(10000);
    std::vector<psm2_mq_req_t> rreqs(10000);
    for (int i = 0; i < 10000; ++i)
        ASSERT_EQ(psm2_mq_irecv(f.b->mq, 7, ~0ull, 0, &got[i], 8, nullptr, &rreqs[i]), PSM2_OK);
    pump(*f.a, *f.b);
    expect_all_done(rreqs);
    expect_all_done(sreqs);
    for (int i = 0; i < 10000; ++i) ASSERT_EQ(got[i], uint64_t(i));
}

TEST(FlowControl, UserAmCannotUseTheCreditHandlerIndex) {
    Node a;
    Link self(a, a, 0x100, 0x100);
    psm2_amarg_t args[2] = {};
    EXPECT_EQ(psm2_am_request_short(&self.a_to_b, psm::mq::kCreditAmHandler, args, 2, nullptr, 0,
                                    PSM2_AM_FLAG_NOREPLY, nullptr, nullptr),
              PSM2_PARAM_ERR);
}

}  // namespace
}  // namespace mqtest
