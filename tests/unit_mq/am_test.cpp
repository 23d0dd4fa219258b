// Active messages: handler registration, request and reply (including a reply
// sent from inside the request handler), completion callbacks, NOREPLY,
// limits and bad input.
#include <cstring>

#include "harness.h"

namespace mqtest {
namespace {

// What handlers saw; handlers are plain functions, so they report here.
struct Seen {
    int requests = 0, replies = 0, completions = 0;
    std::vector<uint64_t> args;
    std::string payload;
    psm2_epaddr_t source = nullptr;
    psm2_error_t reply_err = PSM2_OK;
    psm2_error_t second_reply_err = PSM2_OK;
    void* hctx = nullptr;
    int reply_handler = -1;
};
Seen g_seen;

int on_request(psm2_am_token_t token, psm2_amarg_t* args, int nargs, void* src, uint32_t len) {
    ++g_seen.requests;
    g_seen.args.assign(nargs, 0);
    for (int i = 0; i < nargs; ++i) g_seen.args[i] = args[i].u64w0;
    g_seen.payload.assign(static_cast<char*>(src), len);
    psm2_am_get_source(token, &g_seen.source);
    if (g_seen.reply_handler >= 0) {
        psm2_amarg_t back{};
        back.u64w0 = args[0].u64w0 + 1;
        g_seen.reply_err = psm2_am_reply_short(token, g_seen.reply_handler, &back, 1, src, len, 0, nullptr, nullptr);
        g_seen.second_reply_err = psm2_am_reply_short(token, g_seen.reply_handler, &back, 1, nullptr, 0, 0, nullptr,
                                                      nullptr);
    }
    return 0;
}

int on_reply(psm2_am_token_t token, psm2_amarg_t* args, int nargs, void* src, uint32_t len) {
    ++g_seen.replies;
    g_seen.args.clear();
    if (nargs) g_seen.args.push_back(args[0].u64w0);
    g_seen.payload.assign(static_cast<char*>(src), len);
    // A reply handler may not reply.
    g_seen.reply_err = psm2_am_reply_short(token, 0, nullptr, 0, nullptr, 0, 0, nullptr, nullptr);
    return 0;
}

int on_request_2(psm2_am_token_t, psm2_amarg_t*, int, void*, uint32_t, void* hctx) {
    ++g_seen.requests;
    g_seen.hctx = hctx;
    return 0;
}

void on_complete(void* ctxt) {
    ++g_seen.completions;
    EXPECT_EQ(ctxt, &g_seen);
}

struct Am : ::testing::Test {
    Node a, b;
    Link ab{a, b};
    int idx_a[2] = {-1, -1}, idx_b[2] = {-1, -1};
    void SetUp() override {
        g_seen = Seen{};
        psm2_am_handler_fn_t fns[2] = {on_request, on_reply};
        ASSERT_EQ(psm2_am_register_handlers(&a.ep, fns, 2, idx_a), PSM2_OK);
        ASSERT_EQ(psm2_am_register_handlers(&b.ep, fns, 2, idx_b), PSM2_OK);
    }
};

TEST_F(Am, RequestCarriesArgsAndPayload) {
    psm2_amarg_t args[3];
    for (int i = 0; i < 3; ++i) args[i].u64w0 = 100 + i;
    char msg[] = "hello";
    ASSERT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], args, 3, msg, 5, 0, nullptr, nullptr), PSM2_OK);
    EXPECT_EQ(g_seen.requests, 0);   // runs on b's progress
    pump(a, b);
    EXPECT_EQ(g_seen.requests, 1);
    EXPECT_EQ(g_seen.args, (std::vector<uint64_t>{100, 101, 102}));
    EXPECT_EQ(g_seen.payload, "hello");
    EXPECT_EQ(g_seen.source, &ab.b_to_a);
}

TEST_F(Am, ReplyFromInsideTheHandlerAndCompletionCallback) {
    g_seen.reply_handler = idx_a[1];
    psm2_amarg_t arg;
    arg.u64w0 = 41;
    char msg[] = "ping";
    ASSERT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], &arg, 1, msg, 4, 0, on_complete, &g_seen), PSM2_OK);
    pump(a, b);
    EXPECT_EQ(g_seen.requests, 1);
    EXPECT_EQ(g_seen.replies, 1);
    EXPECT_EQ(g_seen.args, (std::vector<uint64_t>{42}));
    EXPECT_EQ(g_seen.payload, "ping");
    EXPECT_EQ(g_seen.completions, 1);
    // Inside the request handler: the first reply went, the second was refused.
    // (reply_err was then overwritten by the reply handler's own attempt.)
    EXPECT_EQ(g_seen.second_reply_err, PSM2_AM_INVALID_REPLY);
    EXPECT_EQ(g_seen.reply_err, PSM2_AM_INVALID_REPLY);   // reply handlers cannot reply
}

TEST_F(Am, NoReplyRequestCannotBeAnswered) {
    g_seen.reply_handler = idx_a[1];
    psm2_amarg_t arg{};
    ASSERT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], &arg, 1, nullptr, 0, PSM2_AM_FLAG_NOREPLY, nullptr,
                                    nullptr),
              PSM2_OK);
    pump(a, b);
    EXPECT_EQ(g_seen.requests, 1);
    EXPECT_EQ(g_seen.replies, 0);
    EXPECT_EQ(g_seen.reply_err, PSM2_AM_INVALID_REPLY);
}

TEST_F(Am, HandlerWithContextAndUnregister) {
    psm2_am_handler_2_fn_t fns[1] = {on_request_2};
    void* ctx[1] = {&g_seen};
    int idx = -1;
    ASSERT_EQ(psm2_am_register_handlers_2(&b.ep, fns, 1, ctx, &idx), PSM2_OK);
    EXPECT_NE(idx, idx_b[0]);
    EXPECT_NE(idx, idx_b[1]);
    ASSERT_EQ(psm2_am_request_short(&ab.a_to_b, idx, nullptr, 0, nullptr, 0, 0, nullptr, nullptr), PSM2_OK);
    pump(a, b);
    EXPECT_EQ(g_seen.requests, 1);
    EXPECT_EQ(g_seen.hctx, &g_seen);
    psm2_am_unregister_handlers(&b.ep);
    ASSERT_EQ(psm2_am_request_short(&ab.a_to_b, idx, nullptr, 0, nullptr, 0, 0, nullptr, nullptr), PSM2_OK);
    pump(a, b);
    EXPECT_EQ(g_seen.requests, 1);   // dropped: no handler any more
}

TEST_F(Am, TableHoldsAtMostMaxHandlers) {
    psm2_am_parameters p{};
    size_t out = 0;
    ASSERT_EQ(psm2_am_get_parameters(&b.ep, &p, sizeof p, &out), PSM2_OK);
    EXPECT_EQ(out, sizeof p);
    EXPECT_EQ(p.max_handlers, 256u);
    std::vector<psm2_am_handler_fn_t> fns(p.max_handlers, on_request);
    std::vector<int> idx(p.max_handlers);
    EXPECT_EQ(psm2_am_register_handlers(&b.ep, fns.data(), int(p.max_handlers) - 1, idx.data()),
              PSM2_EP_NO_RESOURCES);   // two slots are taken already
    ASSERT_EQ(psm2_am_register_handlers(&b.ep, fns.data(), int(p.max_handlers) - 2, idx.data()), PSM2_OK);
    std::sort(idx.begin(), idx.end() - 2);
    EXPECT_EQ(std::adjacent_find(idx.begin(), idx.end() - 2), idx.end() - 2);   // distinct
    EXPECT_EQ(psm2_am_register_handlers(&b.ep, fns.data(), 1, idx.data()), PSM2_EP_NO_RESOURCES);
    psm2_am_unregister_handlers(&b.ep);
    EXPECT_EQ(psm2_am_register_handlers(&b.ep, fns.data(), 1, idx.data()), PSM2_OK);
}

TEST_F(Am, ParametersAreTheDeviceMinimumAndLimitsAreEnforced) {
    a.dev.am_max_nargs = 4;
    a.dev.am_max_short = 300;
    psm2_am_parameters p{};
    size_t out = 0;
    ASSERT_EQ(psm2_am_get_parameters(&a.ep, &p, sizeof p, &out), PSM2_OK);
    EXPECT_EQ(p.max_nargs, 4u);
    EXPECT_EQ(p.max_request_short, 300u);
    EXPECT_EQ(p.max_reply_short, 300u);
    psm2_am_parameters small{};
    ASSERT_EQ(psm2_am_get_parameters(&a.ep, &small, 8, &out), PSM2_OK);   // an older, shorter struct
    EXPECT_EQ(out, 8u);
    EXPECT_EQ(small.max_request_short, 0u);
    EXPECT_EQ(psm2_am_get_parameters(&a.ep, nullptr, sizeof p, &out), PSM2_PARAM_ERR);

    psm2_amarg_t args[5]{};
    std::vector<char> payload(301, 'x');
    EXPECT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], args, 5, nullptr, 0, 0, nullptr, nullptr),
              PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], args, 1, payload.data(), 301, 0, nullptr, nullptr),
              PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], args, 4, payload.data(), 300, 0, on_complete, &g_seen),
              PSM2_OK);
    EXPECT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], nullptr, 2, nullptr, 0, 0, nullptr, nullptr),
              PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_am_request_short(&ab.a_to_b, 9999, nullptr, 0, nullptr, 0, 0, nullptr, nullptr), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_am_request_short(nullptr, idx_b[0], nullptr, 0, nullptr, 0, 0, nullptr, nullptr), PSM2_PARAM_ERR);
    pump(a, b);
    EXPECT_EQ(g_seen.requests, 1);
    EXPECT_EQ(g_seen.completions, 1);
}

TEST_F(Am, RequestsQueueBehindDeviceBackPressureInOrder) {
    a.dev.refuse_sends = 5;
    psm2_amarg_t arg;
    char first[] = "first", second[] = "second";
    arg.u64w0 = 1;
    ASSERT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], &arg, 1, first, 5, 0, on_complete, &g_seen), PSM2_OK);
    arg.u64w0 = 2;
    ASSERT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], &arg, 1, second, 6, 0, on_complete, &g_seen), PSM2_OK);
    std::memset(first, 0, sizeof first);   // the caller's buffers are free again: the engine kept copies
    std::memset(second, 0, sizeof second);
    EXPECT_EQ(a.dev.am_sent, 0);
    pump(a, b);
    EXPECT_EQ(g_seen.requests, 2);
    EXPECT_EQ(g_seen.args, (std::vector<uint64_t>{2}));   // the last one ran last
    EXPECT_EQ(g_seen.payload, "second");
    EXPECT_EQ(g_seen.completions, 2);
}

TEST_F(Am, QueuedRequestsToARemovedPeerAreDropped) {
    a.dev.refuse_sends = 100;
    ASSERT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], nullptr, 0, nullptr, 0, 0, on_complete, &g_seen),
              PSM2_OK);
    psm::mq::peer_removed(a.engine, &ab.a_to_b);
    a.dev.refuse_sends = 0;
    pump(a, b);
    EXPECT_EQ(g_seen.requests, 0);
    EXPECT_EQ(g_seen.completions, 0);
    EXPECT_EQ(psm2_am_request_short(&ab.a_to_b, idx_b[0], nullptr, 0, nullptr, 0, 0, nullptr, nullptr),
              PSM2_PARAM_ERR);
}

TEST_F(Am, TokensAreCheckedOutsideHandlers) {
    int fake_token = 0;
    psm2_epaddr_t src = nullptr;
    EXPECT_EQ(psm2_am_get_source(&fake_token, &src), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_am_get_source(nullptr, &src), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_am_reply_short(&fake_token, 0, nullptr, 0, nullptr, 0, 0, nullptr, nullptr), PSM2_PARAM_ERR);
    int not_an_ep = 0;
    int idx = 0;
    psm2_am_handler_fn_t fn = on_request;
    EXPECT_EQ(psm2_am_register_handlers(reinterpret_cast<psm2_ep_t>(&not_an_ep), &fn, 1, &idx), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_am_register_handlers(&a.ep, nullptr, 1, &idx), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_am_register_handlers(&a.ep, &fn, 1, nullptr), PSM2_PARAM_ERR);
    psm2_am_unregister_handlers(nullptr);   // no crash
}

}  // namespace
}  // namespace mqtest
