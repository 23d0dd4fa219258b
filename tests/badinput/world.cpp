#include "tests/badinput/world.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tests/badinput/c_calls.h"

namespace badinput {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kHelperBudget = std::chrono::seconds(2);

// What the error handler saw while the row's call ran.
struct HandlerLog {
    int calls = 0;
    int last_code = PSM2_OK;
    int last_msg_len = 0;
    int defer_mismatches = 0;
} g_log;

// Counts instead of printing, and exercises the token: handing it back to
// the library's own handler must give the same code.
psm2_error_t counting_handler(psm2_ep_t, psm2_error_t err, const char* msg, psm2_error_token_t token) {
    ++g_log.calls;
    g_log.last_code = err;
    g_log.last_msg_len = msg ? static_cast<int>(std::strlen(msg)) : 0;
    if (psm2_error_defer(token) != err) ++g_log.defer_mismatches;
    return err;
}

[[noreturn]] void helper_failed(const char* what, int code) {
    std::fprintf(stderr, "badinput: row setup failed: %s (code %d: %s)\n", what, code,
                 badinput_error_string(code));
    std::fflush(stderr);
    _exit(3);
}

void must(psm2_error_t err, const char* what) {
    if (err != PSM2_OK) helper_failed(what, err);
}

// Polls until done() or the budget runs out.
template <class Done>
bool poll_until(psm2_ep_t ep, Done done) {
    const auto deadline = Clock::now() + kHelperBudget;
    while (!done()) {
        if (Clock::now() > deadline) return false;
        psm2_poll(ep);
        sched_yield();
    }
    return true;
}

bool test_until_done(psm2_ep_t ep, psm2_mq_req_t* req) {
    return poll_until(ep, [&] { return psm2_mq_test(req, nullptr) == PSM2_OK; });
}

// The endpoint still moves a message to itself after the row's bad call.
int still_alive(World& w) {
    psm2_epaddr_t me = nullptr;
    psm2_error_t per = PSM2_OK;
    if (psm2_ep_connect(w.ep, 1, &w.epid, nullptr, &per, &me, 0) != PSM2_OK) return 0;
    char out[8] = "alive!", in[8] = {};
    psm2_mq_req_t rr = nullptr, sr = nullptr;
    if (psm2_mq_irecv(w.mq, kAliveTag, ~0ull, 0, in, sizeof in, nullptr, &rr) != PSM2_OK) return 0;
    if (psm2_mq_isend(w.mq, me, 0, kAliveTag, out, sizeof out, nullptr, &sr) != PSM2_OK) return 0;
    if (!test_until_done(w.ep, &sr) || !test_until_done(w.ep, &rr)) return 0;
    return std::memcmp(in, out, sizeof out) == 0 ? 1 : 0;
}

bool build(World& w, Start start, Observed* o) {
    auto fail = [&](const char* what, psm2_error_t err) {
        std::snprintf(o->setup_error, sizeof o->setup_error, "%s: %s", what, badinput_error_string(err));
        return false;
    };
    if (start == Start::Fresh) return true;
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    if (psm2_error_t e = psm2_init(&major, &minor)) return fail("psm2_init", e);
    w.initialized = true;
    if (start == Start::Finalized) {
        if (psm2_error_t e = psm2_finalize()) return fail("psm2_finalize", e);
        w.initialized = false;
        return true;
    }
    if (start == Start::Initialized) return true;
    psm2_uuid_t uuid;
    psm2_uuid_generate(uuid);
    if (psm2_error_t e = psm2_ep_open(uuid, nullptr, &w.ep, &w.epid)) return fail("psm2_ep_open", e);
    if (start == Start::Endpoint) return true;
    if (psm2_error_t e = psm2_mq_init(w.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &w.mq))
        return fail("psm2_mq_init", e);
    w.ep_usable = true;
    if (start == Start::Mq) return true;
    psm2_error_t per = PSM2_OK;
    if (psm2_error_t e = psm2_ep_connect(w.ep, 1, &w.epid, nullptr, &per, &w.self, 0))
        return fail("psm2_ep_connect to itself", e);
    return true;
}

// The AM body run_in_handler hands to the handler, and what it returned.
int (*g_body)(psm2_am_token_t) = nullptr;
int g_body_result = 0;
bool g_body_ran = false;
psm2_am_token_t g_last_token = nullptr;

int body_handler(psm2_am_token_t token, psm2_amarg_t*, int, void*, uint32_t) {
    g_last_token = token;
    g_body_result = g_body ? g_body(token) : 0;
    g_body_ran = true;
    return 0;
}

// The World of the running row, for bodies run inside an AM handler.
World* g_current = nullptr;

}  // namespace

World& World::current() { return *g_current; }

int World::raised() const { return g_log.calls ? g_log.last_code : PSM2_OK; }

void World::close_ep() {
    must(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), "psm2_ep_close");
    ep_gone();
}

psm2_epaddr_t World::second_endpoint(psm2_ep_t* ep2, psm2_mq_t* mq2) {
    setenv("PSM2_MULTI_EP", "1", 1);
    psm2_uuid_t uuid;
    psm2_uuid_generate(uuid);
    psm2_epid_t epid2 = 0;
    must(psm2_ep_open(uuid, nullptr, ep2, &epid2), "second psm2_ep_open");
    must(psm2_mq_init(*ep2, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, mq2), "second psm2_mq_init");
    psm2_epaddr_t addr = nullptr;
    psm2_error_t per = PSM2_OK;
    must(psm2_ep_connect(*ep2, 1, &epid2, nullptr, &per, &addr, 0), "second endpoint connects to itself");
    return addr;
}

psm2_epaddr_t World::stale_self() {
    psm2_epaddr_t old = self;
    psm2_error_t per = PSM2_OK;
    must(psm2_ep_disconnect2(ep, 1, &old, nullptr, &per, PSM2_EP_DISCONNECT_FORCE, 0), "psm2_ep_disconnect2");
    return old;
}

psm2_mq_req_t World::completed_request() {
    char out[4] = "abc", in[4] = {};
    psm2_mq_req_t sr = nullptr, rr = nullptr;
    must(psm2_mq_irecv(mq, kRowTag, ~0ull, 0, in, sizeof in, nullptr, &rr), "psm2_mq_irecv");
    must(psm2_mq_isend(mq, self, 0, kRowTag, out, sizeof out, nullptr, &sr), "psm2_mq_isend");
    psm2_mq_req_t copy = rr;
    if (!test_until_done(ep, &sr) || !test_until_done(ep, &rr)) helper_failed("self message did not complete", 0);
    return copy;
}

psm2_mq_req_t World::pending_recv() {
    static char buf[16];
    psm2_mq_req_t r = nullptr;
    must(psm2_mq_irecv(mq, kRowTag + 1, ~0ull, 0, buf, sizeof buf, nullptr, &r), "psm2_mq_irecv");
    return r;
}

void World::unexpected_message(uint64_t tag) {
    static const char msg[8] = "unexp";
    must(psm2_mq_send(mq, self, 0, tag, msg, sizeof msg), "psm2_mq_send to itself");
    if (!poll_until(ep, [&] { return psm2_mq_iprobe(mq, tag, ~0ull, nullptr) == PSM2_OK; }))
        helper_failed("message to itself never arrived", 0);
}

int World::in_handler(int (*body)(psm2_am_token_t), int am_flags) {
    psm2_am_handler_fn_t fn = body_handler;
    int idx = -1;
    must(psm2_am_register_handlers(ep, &fn, 1, &idx), "psm2_am_register_handlers");
    g_body = body;
    g_body_ran = false;
    must(psm2_am_request_short(self, static_cast<psm2_handler_t>(idx), nullptr, 0, nullptr, 0, am_flags, nullptr,
                               nullptr),
         "psm2_am_request_short");
    if (!poll_until(ep, [] { return g_body_ran; })) helper_failed("AM handler never ran", 0);
    return g_body_result;
}

psm2_am_token_t World::stale_token() {
    in_handler(nullptr);
    return g_last_token;
}

Observed run_row(const Row& row) {
    Observed o;
    setenv("PSM2_DEVICES", "self", 1);
    setenv("PSM2_TRACEMASK", "0", 1);   // psm2_error_defer's default handler would print each error
    unsetenv("PSM2_MULTI_EP");
    unsetenv("PSM2_SIM");
    psm2_error_register_handler(nullptr, counting_handler);
    static World w;   // static: bodies inside AM handlers reach it through World::current()
    w = World{};
    g_current = &w;
    if (!build(w, row.start, &o)) return o;
    o.setup_ok = 1;

    g_log = HandlerLog{};
    errno = 0;
    o.result = row.call(w);
    o.errno_after = errno;
    o.handler_calls = g_log.calls;
    o.handler_last_code = g_log.last_code;
    o.handler_msg_len = g_log.last_msg_len;
    o.defer_mismatches = g_log.defer_mismatches;

    if (w.ep_usable) o.alive = still_alive(w);
    o.teardown_code = w.initialized ? psm2_finalize() : PSM2_OK;
    return o;
}

}  // namespace badinput
