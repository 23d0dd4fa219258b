// Active messages: handler registration, requests, replies (made from
// inside a running handler), sources and parameters.
#include "tests/badinput/table.h"

namespace badinput {
namespace {

constexpr auto C = Expect::Code;
constexpr auto H = Expect::Holds;

int noop_handler(psm2_am_token_t, psm2_amarg_t*, int, void*, uint32_t) { return 0; }
int noop_handler2(psm2_am_token_t, psm2_amarg_t*, int, void*, uint32_t, void*) { return 0; }

psm2_am_parameters params_of(psm2_ep_t ep) {
    psm2_am_parameters p{};
    size_t out = 0;
    psm2_am_get_parameters(ep, &p, sizeof p, &out);
    return p;
}

// Big enough for any payload limit the devices announce, plus one.
unsigned char g_payload[1 << 17];
psm2_amarg_t g_args[64];

int request(psm2_epaddr_t a, psm2_handler_t h, int nargs, size_t len) {
    return psm2_am_request_short(a, h, nargs ? g_args : nullptr, nargs, len ? g_payload : nullptr, len, 0,
                                 nullptr, nullptr);
}

int reply(psm2_am_token_t t, psm2_handler_t h, int nargs, size_t len) {
    return psm2_am_reply_short(t, h, nargs ? g_args : nullptr, nargs, len ? g_payload : nullptr, len, 0, nullptr,
                               nullptr);
}

// Registers one handler and returns its index (the rows that send need one).
psm2_handler_t one_handler(World& w) {
    psm2_am_handler_fn_t fn = noop_handler;
    int idx = -1;
    psm2_am_register_handlers(w.ep, &fn, 1, &idx);
    return static_cast<psm2_handler_t>(idx);
}

// Bodies run inside an AM request handler (World::in_handler).
psm2_am_parameters g_params;

const char kClosed[] = "choice: the stale endpoint handle is recognised";
const char kAssert[] = "choice: the original only asserts (debug builds) and sends it anyway";

const Row kRows[] = {
    // ---- psm2_am_register_handlers / _2 -------------------------------------
    {"psm2_am_register_handlers", "before_init", Start::Fresh,
     [](World&) {
         psm2_am_handler_fn_t fn = noop_handler;
         int idx;
         return static_cast<int>(psm2_am_register_handlers(nullptr, &fn, 1, &idx));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "choice: the original dereferences the NULL endpoint"},
    {"psm2_am_register_handlers", "null_ep", Start::Mq,
     [](World&) {
         psm2_am_handler_fn_t fn = noop_handler;
         int idx;
         return static_cast<int>(psm2_am_register_handlers(nullptr, &fn, 1, &idx));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original asserts"},
    {"psm2_am_register_handlers", "closed_ep", Start::Mq,
     [](World& w) {
         w.close_ep();
         psm2_am_handler_fn_t fn = noop_handler;
         int idx;
         return static_cast<int>(psm2_am_register_handlers(w.ep, &fn, 1, &idx));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, kClosed},
    {"psm2_am_register_handlers", "negative_count", Start::Mq,
     [](World& w) {
         int idx;
         psm2_am_handler_fn_t fn = noop_handler;
         return static_cast<int>(psm2_am_register_handlers(w.ep, &fn, -1, &idx));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "a count below zero"},
    {"psm2_am_register_handlers", "null_handler_array", Start::Mq,
     [](World& w) {
         int idx[2];
         return static_cast<int>(psm2_am_register_handlers(w.ep, nullptr, 2, idx));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "two handlers promised, no array"},
    {"psm2_am_register_handlers", "null_index_array", Start::Mq,
     [](World& w) {
         psm2_am_handler_fn_t fn = noop_handler;
         return static_cast<int>(psm2_am_register_handlers(w.ep, &fn, 1, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to return the indices"},
    {"psm2_am_register_handlers", "more_than_the_table_holds", Start::Mq,
     [](World& w) {
         static psm2_am_handler_fn_t fns[300];
         static int idx[300];
         for (auto& f : fns) f = noop_handler;
         int n = static_cast<int>(params_of(w.ep).max_handlers) + 1;
         return static_cast<int>(psm2_am_register_handlers(w.ep, fns, n, idx));
     },
     PSM2_EP_NO_RESOURCES, C, Handler::Auto, "psm2_am.h: PSM2_EP_NO_RESOURCES, insufficient slots"},
    {"psm2_am_register_handlers", "full_table_then_one_more", Start::Mq,
     [](World& w) {
         static psm2_am_handler_fn_t fns[300];
         static int idx[300];
         for (auto& f : fns) f = noop_handler;
         int n = static_cast<int>(params_of(w.ep).max_handlers);
         if (psm2_am_register_handlers(w.ep, fns, n, idx) != PSM2_OK) return -1;
         return static_cast<int>(psm2_am_register_handlers(w.ep, fns, 1, idx));
     },
     PSM2_EP_NO_RESOURCES, C, Handler::Auto, "as above, one at a time"},
    {"psm2_am_register_handlers", "null_function_entry", Start::SelfPeer,
     [](World& w) {
         psm2_am_handler_fn_t fns[2] = {nullptr, noop_handler};
         int idx[2] = {-1, -1};
         if (psm2_am_register_handlers(w.ep, fns, 2, idx) != PSM2_OK || idx[0] < 0 || idx[0] == idx[1]) return -1;
         int rc = request(w.self, static_cast<psm2_handler_t>(idx[0]), 0, 0);
         for (int i = 0; i < 100; ++i) psm2_poll(w.ep);
         return rc;
     },
     PSM2_OK, C, Handler::Auto, "choice: the slot is kept (indices stay one per entry); a message to it is ignored"},
    {"psm2_am_register_handlers_2", "null_ep", Start::Mq,

     [](World&) {
         psm2_am_handler_2_fn_t fn = noop_handler2;
         int idx;
         return static_cast<int>(psm2_am_register_handlers_2(nullptr, &fn, 1, nullptr, &idx));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original asserts"},
    {"psm2_am_register_handlers_2", "null_index_array", Start::Mq,
     [](World& w) {
         psm2_am_handler_2_fn_t fn = noop_handler2;
         void* ctx = nullptr;
         return static_cast<int>(psm2_am_register_handlers_2(w.ep, &fn, 1, &ctx, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to return the indices"},
    {"psm2_am_register_handlers_2", "null_context_array_allowed", Start::Mq,
     [](World& w) {
         psm2_am_handler_2_fn_t fn = noop_handler2;
         int idx = -1;
         int rc = psm2_am_register_handlers_2(w.ep, &fn, 1, nullptr, &idx);
         return holds(rc == PSM2_OK && idx >= 0);
     },
     kHolds, H, Handler::Silent, "choice: no contexts means NULL contexts (the original reads hctx[i])"},

    // ---- psm2_am_unregister_handlers --------------------------------------
    {"psm2_am_unregister_handlers", "null_ep", Start::Mq,
     [](World& w) {
         psm2_am_unregister_handlers(nullptr);
         return w.raised();
     },
     PSM2_PARAM_ERR, C, Handler::Raises, "void: reported through the error handler"},
    {"psm2_am_unregister_handlers", "closed_ep", Start::Mq,
     [](World& w) {
         w.close_ep();
         psm2_am_unregister_handlers(w.ep);
         return w.raised();
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Raises, kClosed},
    {"psm2_am_unregister_handlers", "twice", Start::Mq,
     [](World& w) {
         one_handler(w);
         psm2_am_unregister_handlers(w.ep);
         psm2_am_unregister_handlers(w.ep);
         return w.raised();
     },
     PSM2_OK, C, Handler::Silent, "nothing left to unregister is not an error"},

    // ---- psm2_am_request_short --------------------------------------------
    {"psm2_am_request_short", "before_init", Start::Fresh, [](World&) { return request(nullptr, 0, 0, 0); },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "original: PSMI_ASSERT_INITIALIZED"},
    {"psm2_am_request_short", "null_epaddr", Start::SelfPeer, [](World&) { return request(nullptr, 0, 0, 0); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original dereferences it"},
    {"psm2_am_request_short", "stale_epaddr", Start::SelfPeer,
     [](World& w) {
         psm2_handler_t h = one_handler(w);
         return request(w.stale_self(), h, 0, 0);
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a disconnected address is no longer valid"},
    {"psm2_am_request_short", "epaddr_after_ep_close", Start::SelfPeer,
     [](World& w) {
         psm2_handler_t h = one_handler(w);
         psm2_epaddr_t a = w.self;
         w.close_ep();
         return request(a, h, 0, 0);
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: refused, not used after free"},
    {"psm2_am_request_short", "too_many_args", Start::SelfPeer,
     [](World& w) {
         psm2_handler_t h = one_handler(w);
         return request(w.self, h, static_cast<int>(params_of(w.ep).max_nargs) + 1, 0);
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kAssert},
    {"psm2_am_request_short", "negative_nargs", Start::SelfPeer,
     [](World& w) {
         psm2_handler_t h = one_handler(w);
         return static_cast<int>(psm2_am_request_short(w.self, h, g_args, -1, nullptr, 0, 0, nullptr, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kAssert},
    {"psm2_am_request_short", "null_args_with_nargs", Start::SelfPeer,
     [](World& w) {
         psm2_handler_t h = one_handler(w);
         return static_cast<int>(psm2_am_request_short(w.self, h, nullptr, 2, nullptr, 0, 0, nullptr, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kAssert},
    {"psm2_am_request_short", "oversize_payload", Start::SelfPeer,
     [](World& w) {
         psm2_handler_t h = one_handler(w);
         size_t max = params_of(w.ep).max_request_short;
         if (max + 1 > sizeof g_payload) return -1;
         return request(w.self, h, 0, max + 1);
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kAssert},
    {"psm2_am_request_short", "null_payload_with_length", Start::SelfPeer,
     [](World& w) {
         psm2_handler_t h = one_handler(w);
         return static_cast<int>(psm2_am_request_short(w.self, h, nullptr, 0, nullptr, 16, 0, nullptr, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kAssert},
    {"psm2_am_request_short", "handler_index_out_of_range", Start::SelfPeer,
     [](World& w) { return request(w.self, static_cast<psm2_handler_t>(params_of(w.ep).max_handlers), 0, 0); },
     PSM2_PARAM_ERR, C, Handler::Auto, kAssert},
    {"psm2_am_request_short", "unregistered_handler_index", Start::SelfPeer,
     [](World& w) {
         int rc = request(w.self, 200, 0, 0);
         for (int i = 0; i < 100; ++i) psm2_poll(w.ep);
         return rc;
     },
     PSM2_OK, C, Handler::Auto, "as the original: the target ignores a message for an empty slot"},

    {"psm2_am_request_short", "unknown_flag_bits_ignored", Start::SelfPeer,
     [](World& w) {
         psm2_handler_t h = one_handler(w);
         int rc = psm2_am_request_short(w.self, h, nullptr, 0, nullptr, 0, 0x7ff0, nullptr, nullptr);
         for (int i = 0; i < 100; ++i) psm2_poll(w.ep);
         return rc;
     },
     PSM2_OK, C, Handler::Auto, "choice: as the original, undefined flag bits are ignored (forward compatible)"},

    // ---- psm2_am_reply_short ----------------------------------------------
    {"psm2_am_reply_short", "null_token", Start::SelfPeer, [](World&) { return reply(nullptr, 0, 0, 0); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original asserts then dereferences it"},
    {"psm2_am_reply_short", "token_after_handler_returned", Start::SelfPeer,
     [](World& w) { return reply(w.stale_token(), 0, 0, 0); }, PSM2_PARAM_ERR, C, Handler::Auto,
     "choice: a token is valid only while its handler runs"},
    {"psm2_am_reply_short", "too_many_args", Start::SelfPeer,
     [](World& w) {
         g_params = params_of(w.ep);
         return w.in_handler([](psm2_am_token_t t) { return reply(t, 0, static_cast<int>(g_params.max_nargs) + 1, 0); });
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kAssert},
    {"psm2_am_reply_short", "oversize_payload", Start::SelfPeer,
     [](World& w) {
         g_params = params_of(w.ep);
         if (g_params.max_reply_short + 1 > sizeof g_payload) return -1;
         return w.in_handler([](psm2_am_token_t t) { return reply(t, 0, 0, g_params.max_reply_short + 1); });
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kAssert},
    {"psm2_am_reply_short", "handler_index_out_of_range", Start::SelfPeer,
     [](World& w) {
         g_params = params_of(w.ep);
         return w.in_handler(
             [](psm2_am_token_t t) { return reply(t, static_cast<psm2_handler_t>(g_params.max_handlers), 0, 0); });
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kAssert},
    {"psm2_am_reply_short", "twice", Start::SelfPeer,
     [](World& w) {
         one_handler(w);
         return w.in_handler([](psm2_am_token_t t) {
             if (reply(t, 0, 0, 0) != PSM2_OK) return -1;
             return reply(t, 0, 0, 0);
         });
     },
     PSM2_AM_INVALID_REPLY, C, Handler::Auto, "psm2_am.h: at most one reply per request"},

    {"psm2_am_reply_short", "to_a_noreply_request", Start::SelfPeer,
     [](World& w) {
         one_handler(w);
         return w.in_handler([](psm2_am_token_t t) { return reply(t, 0, 0, 0); }, PSM2_AM_FLAG_NOREPLY);
     },
     PSM2_AM_INVALID_REPLY, C, Handler::Auto, "psm2_am.h: PSM2_AM_FLAG_NOREPLY, the handler promised not to reply"},

    {"psm2_am_reply_short", "after_its_source_was_disconnected", Start::SelfPeer,
     [](World& w) {
         one_handler(w);
         return w.in_handler([](psm2_am_token_t t) {
             psm2_epaddr_t src = nullptr;
             psm2_error_t per;
             if (psm2_am_get_source(t, &src) != PSM2_OK ||
                 psm2_ep_disconnect2(World::current().ep, 1, &src, nullptr, &per, PSM2_EP_DISCONNECT_FORCE, 0))
                 return -1;
             return reply(t, 0, 0, 0);
         });
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: nobody to reply to any more"},

    // ---- psm2_am_get_source -----------------------------------------------
    {"psm2_am_get_source", "null_token", Start::SelfPeer,
     [](World&) {
         psm2_epaddr_t a;
         return static_cast<int>(psm2_am_get_source(nullptr, &a));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2_am.h: PSM2_PARAM_ERR token is invalid or epaddr_out is NULL"},
    {"psm2_am_get_source", "null_output", Start::SelfPeer,
     [](World& w) {
         return w.in_handler([](psm2_am_token_t t) { return static_cast<int>(psm2_am_get_source(t, nullptr)); });
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "as null_token"},
    {"psm2_am_get_source", "stale_token", Start::SelfPeer,
     [](World& w) {
         psm2_epaddr_t a;
         return static_cast<int>(psm2_am_get_source(w.stale_token(), &a));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the token's handler has returned (the original reads it anyway)"},

    // ---- psm2_am_get_parameters -------------------------------------------
    {"psm2_am_get_parameters", "null_ep", Start::Mq,
     [](World&) {
         psm2_am_parameters p;
         size_t n;
         return static_cast<int>(psm2_am_get_parameters(nullptr, &p, sizeof p, &n));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: parameters belong to an endpoint"},
    {"psm2_am_get_parameters", "closed_ep", Start::Mq,
     [](World& w) {
         w.close_ep();
         psm2_am_parameters p;
         size_t n;
         return static_cast<int>(psm2_am_get_parameters(w.ep, &p, sizeof p, &n));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, kClosed},
    {"psm2_am_get_parameters", "null_parameters", Start::Mq,
     [](World& w) {
         size_t n;
         return static_cast<int>(psm2_am_get_parameters(w.ep, nullptr, 16, &n));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "original: PSM2_PARAM_ERR 'Invalid psm2_am_get_parameters parameters'"},
    {"psm2_am_get_parameters", "null_size_out", Start::Mq,
     [](World& w) {
         psm2_am_parameters p;
         return static_cast<int>(psm2_am_get_parameters(w.ep, &p, sizeof p, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original writes through it"},
    {"psm2_am_get_parameters", "smaller_struct_gets_prefix", Start::Mq,
     [](World& w) {
         uint32_t words[4] = {0, 0xdead, 0xdead, 0xdead};
         size_t n = 0;
         int rc = psm2_am_get_parameters(w.ep, reinterpret_cast<psm2_am_parameters*>(words), 4, &n);
         return holds(rc == PSM2_OK && n == 4 && words[0] != 0 && words[1] == 0xdead);
     },
     kHolds, H, Handler::Silent, "an older caller's smaller struct is filled, not overrun"},
};

}  // namespace

std::span<const Row> am_rows() { return kRows; }

}  // namespace badinput
