// Matched queues: init/finalize/options, sends, receives, probes, peeks,
// completion (test/wait/free/cancel) and statistics.
#include <cstring>

#include "tests/badinput/c_calls.h"
#include "tests/badinput/table.h"

namespace badinput {
namespace {

constexpr auto C = Expect::Code;
constexpr auto H = Expect::Holds;

psm2_mq_tag_t tag96(uint32_t a) {
    psm2_mq_tag_t t;
    std::memset(&t, 0, sizeof t);
    t.tag[0] = a;
    return t;
}

psm2_mq_tag_t all_ones() {
    psm2_mq_tag_t t;
    std::memset(&t, 0xff, sizeof t);
    return t;
}

char g_buf[64];

// The MQ of an endpoint that has been closed.
psm2_mq_t closed_mq(World& w) {
    w.close_ep();
    return w.mq;
}

// An endpoint handle where an MQ handle is expected.
psm2_mq_t ep_as_mq(World& w) { return reinterpret_cast<psm2_mq_t>(w.ep); }

// Sends len bytes to itself and checks they arrive whole (bounded wait).
int round_trip(World& w, uint32_t len) {
    static unsigned char out[1 << 20], in[1 << 20];
    for (uint32_t i = 0; i < len; ++i) out[i] = static_cast<unsigned char>(i * 7 + 1);
    std::memset(in, 0, len);
    psm2_mq_req_t rr = nullptr, sr = nullptr;
    if (psm2_mq_irecv(w.mq, kRowTag, ~0ull, 0, in, len, nullptr, &rr) != PSM2_OK) return kBroken;
    if (psm2_mq_isend(w.mq, w.self, 0, kRowTag, out, len, nullptr, &sr) != PSM2_OK) return kBroken;
    for (int i = 0; i < 2'000'000 && (sr || rr); ++i) {
        if (sr) psm2_mq_test(&sr, nullptr);
        if (rr) psm2_mq_test(&rr, nullptr);
        psm2_poll(w.ep);
    }
    return holds(!sr && !rr && std::memcmp(in, out, len) == 0);
}

int copy_fails(psm2_mq_req_user*, void*, int) { return -5; }
int copy_one(psm2_mq_req_user*, void*, int) { return 1; }

const char kNullMq[] = "choice: the original dereferences it";
const char kClosed[] = "choice: the MQ went away with its endpoint; the stale handle is recognised";
const char kWrongType[] = "choice: a handle of another type is refused, not dereferenced as an MQ";
const char kBeforeInit[] = "original: PSMI_ASSERT_INITIALIZED (an abort); ours returns the code";

const Row kRows[] = {
    // ---- psm2_mq_init -----------------------------------------------------
    {"psm2_mq_init", "before_init", Start::Fresh,
     [](World&) {
         psm2_mq_t mq;
         return static_cast<int>(psm2_mq_init(nullptr, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, kBeforeInit},
    {"psm2_mq_init", "null_ep", Start::Endpoint,
     [](World&) {
         psm2_mq_t mq;
         return static_cast<int>(psm2_mq_init(nullptr, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: not an endpoint"},
    {"psm2_mq_init", "closed_ep", Start::Endpoint,
     [](World& w) {
         w.close_ep();
         psm2_mq_t mq;
         return static_cast<int>(psm2_mq_init(w.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "choice: the stale handle is recognised"},
    {"psm2_mq_init", "null_mq_out", Start::Endpoint,
     [](World& w) { return static_cast<int>(psm2_mq_init(w.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to return the handle"},
    {"psm2_mq_init", "negative_option_count", Start::Endpoint,
     [](World& w) {
         psm2_mq_t mq;
         return static_cast<int>(psm2_mq_init(w.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, -1, &mq));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "a count below zero"},
    {"psm2_mq_init", "null_options_with_count", Start::Endpoint,
     [](World& w) {
         psm2_mq_t mq;
         return static_cast<int>(psm2_mq_init(w.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 2, &mq));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "two options promised, no array"},
    {"psm2_mq_init", "unknown_option_key", Start::Endpoint,
     [](World& w) {
         uint32_t v = 1;
         psm2_optkey opt{0x777, &v};
         psm2_mq_t mq;
         return static_cast<int>(psm2_mq_init(w.ep, PSM2_MQ_ORDERMASK_ALL, &opt, 1, &mq));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2_mq.h: PSM2_PARAM_ERR if the option is not a valid option number"},
    {"psm2_mq_init", "option_with_null_value", Start::Endpoint,
     [](World& w) {
         psm2_optkey opt{PSM2_MQ_OPT_RNDV_SHM_SZ, nullptr};
         psm2_mq_t mq;
         return static_cast<int>(psm2_mq_init(w.ep, PSM2_MQ_ORDERMASK_ALL, &opt, 1, &mq));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original reads through it"},
    {"psm2_mq_init", "again_returns_same_queue", Start::Mq,
     [](World& w) {
         psm2_mq_t again = nullptr;
         int rc = psm2_mq_init(w.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &again);
         return holds(rc == PSM2_OK && again == w.mq);
     },
     kHolds, H, Handler::Silent, "psm2_mq.h: may be called many times to retrieve the MQ handle"},

    // ---- psm2_mq_finalize -------------------------------------------------
    {"psm2_mq_finalize", "null_mq", Start::Mq, [](World&) { return static_cast<int>(psm2_mq_finalize(nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, kNullMq},
    {"psm2_mq_finalize", "closed_ep", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_finalize(closed_mq(w))); }, PSM2_EP_WAS_CLOSED, C,
     Handler::Auto, kClosed},
    {"psm2_mq_finalize", "twice", Start::Mq,
     [](World& w) {
         psm2_mq_finalize(w.mq);
         return static_cast<int>(psm2_mq_finalize(w.mq));
     },
     PSM2_OK, C, Handler::Auto, "choice: the queue lives until psm2_ep_close, so finalize is idempotent"},
    {"psm2_mq_finalize", "before_init", Start::Fresh,
     [](World&) { return static_cast<int>(psm2_mq_finalize(nullptr)); }, PSM2_INIT_NOT_INIT, C, Handler::Auto,
     kBeforeInit},

    // ---- psm2_mq_getopt / setopt ------------------------------------------
    {"psm2_mq_getopt", "unknown_option", Start::Mq,
     [](World& w) {
         uint32_t v;
         return static_cast<int>(psm2_mq_getopt(w.mq, 0x4242, &v));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2_mq.h: PSM2_PARAM_ERR if the option is not a valid option number"},
    {"psm2_mq_getopt", "null_value", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_getopt(w.mq, PSM2_MQ_OPT_RNDV_SHM_SZ, nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to write"},
    {"psm2_mq_getopt", "ep_handle_as_mq", Start::Mq,
     [](World& w) {
         uint32_t v;
         return static_cast<int>(psm2_mq_getopt(ep_as_mq(w), PSM2_MQ_OPT_RNDV_SHM_SZ, &v));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kWrongType},
    {"psm2_mq_getopt", "closed_ep", Start::Mq,
     [](World& w) {
         uint32_t v;
         return static_cast<int>(psm2_mq_getopt(closed_mq(w), PSM2_MQ_OPT_RNDV_SHM_SZ, &v));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, kClosed},
    {"psm2_mq_setopt", "unknown_option", Start::Mq,
     [](World& w) {
         uint32_t v = 1;
         return static_cast<int>(psm2_mq_setopt(w.mq, -1, &v));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2_mq.h: PSM2_PARAM_ERR if the option is not a valid option number"},
    {"psm2_mq_setopt", "null_value", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_setopt(w.mq, PSM2_MQ_OPT_RNDV_IB_SZ, nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original reads through it"},
    {"psm2_mq_setopt", "rendezvous_threshold_zero", Start::SelfPeer,
     [](World& w) {
         uint32_t zero = 0;
         int rc = psm2_mq_setopt(w.mq, PSM2_MQ_OPT_RNDV_SHM_SZ, &zero);
         return rc == PSM2_OK ? round_trip(w, 64 << 10) : -1;
     },
     kHolds, H, Handler::Silent, "an extreme threshold is accepted (or clamped by the device); messages still flow"},
    {"psm2_mq_setopt", "rendezvous_threshold_max", Start::SelfPeer,
     [](World& w) {
         uint32_t max = ~0u;
         int rc = psm2_mq_setopt(w.mq, PSM2_MQ_OPT_RNDV_SHM_SZ, &max) | psm2_mq_setopt(w.mq, PSM2_MQ_OPT_RNDV_IB_SZ, &max);
         return rc == PSM2_OK ? round_trip(w, 1 << 20) : -1;
     },
     kHolds, H, Handler::Silent, "as rendezvous_threshold_zero: 1 MiB still arrives whole"},
    {"psm2_mq_setopt", "null_mq", Start::Mq,

     [](World&) {
         uint32_t v = 1;
         return static_cast<int>(psm2_mq_setopt(nullptr, PSM2_MQ_OPT_RNDV_IB_SZ, &v));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kNullMq},

    // ---- sends --------------------------------------------------------------
    {"psm2_mq_send", "null_mq", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_mq_send(nullptr, w.self, 0, kRowTag, g_buf, 4)); },
     PSM2_PARAM_ERR, C, Handler::Auto, kNullMq},
    {"psm2_mq_send", "null_dest", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_mq_send(w.mq, nullptr, 0, kRowTag, g_buf, 4)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original dereferences it"},
    {"psm2_mq_send", "stale_dest", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_mq_send(w.mq, w.stale_self(), 0, kRowTag, g_buf, 4)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a disconnected address is no longer valid"},
    {"psm2_mq_send", "null_buffer_with_length", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_mq_send(w.mq, w.self, 0, kRowTag, nullptr, 16)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: 16 bytes from NULL"},
    {"psm2_mq_send", "closed_ep", Start::SelfPeer,
     [](World& w) {
         psm2_epaddr_t a = w.self;
         return static_cast<int>(psm2_mq_send(closed_mq(w), a, 0, kRowTag, g_buf, 4));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, kClosed},
    {"psm2_mq_send", "before_init", Start::Fresh,
     [](World&) { return static_cast<int>(psm2_mq_send(nullptr, nullptr, 0, kRowTag, g_buf, 4)); },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, kBeforeInit},
    {"psm2_mq_send2", "null_tag", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_mq_send2(w.mq, w.self, 0, nullptr, g_buf, 4)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original asserts"},
    {"psm2_mq_send2", "dest_of_other_endpoint", Start::SelfPeer,
     [](World& w) {
         psm2_ep_t ep2;
         psm2_mq_t mq2;
         psm2_epaddr_t other = w.second_endpoint(&ep2, &mq2);
         psm2_mq_tag_t t = tag96(1);
         return static_cast<int>(psm2_mq_send2(w.mq, other, 0, &t, g_buf, 4));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: an address belongs to the endpoint that connected it"},
    {"psm2_mq_send2", "dest_of_closed_endpoint", Start::SelfPeer,
     [](World& w) {
         psm2_ep_t ep2;
         psm2_mq_t mq2;
         psm2_epaddr_t other = w.second_endpoint(&ep2, &mq2);
         psm2_ep_close(ep2, PSM2_EP_CLOSE_GRACEFUL, 0);
         psm2_mq_tag_t t = tag96(1);
         return static_cast<int>(psm2_mq_send2(w.mq, other, 0, &t, g_buf, 4));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: an address of a closed endpoint is refused, not used after free"},
    {"psm2_mq_isend", "null_request", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_mq_isend(w.mq, w.self, 0, kRowTag, g_buf, 4, nullptr, nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to return the request"},
    {"psm2_mq_isend", "ep_handle_as_mq", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r;
         return static_cast<int>(psm2_mq_isend(ep_as_mq(w), w.self, 0, kRowTag, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kWrongType},
    {"psm2_mq_isend", "ep_handle_as_dest", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r;
         return static_cast<int>(
             psm2_mq_isend(w.mq, reinterpret_cast<psm2_epaddr_t>(w.ep), 0, kRowTag, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: an endpoint handle where an address is needed"},
    {"psm2_mq_isend", "unknown_flag_bits_ignored", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r = nullptr;
         int rc = psm2_mq_isend(w.mq, w.self, 0xfff0, kRowTag, g_buf, 4, nullptr, &r);
         if (rc == PSM2_OK) psm2_mq_wait(&r, nullptr);   // sent to itself: completes eagerly
         return rc;
     },
     PSM2_OK, C, Handler::Auto, "choice: as the original, undefined flag bits are ignored (forward compatible)"},
    {"psm2_mq_isend2", "null_tag", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r;
         return static_cast<int>(psm2_mq_isend2(w.mq, w.self, 0, nullptr, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original asserts"},
    {"psm2_mq_isend2", "stale_dest", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r;
         psm2_mq_tag_t t = tag96(1);
         return static_cast<int>(psm2_mq_isend2(w.mq, w.stale_self(), 0, &t, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a disconnected address is no longer valid"},

    // ---- receives -------------------------------------------------------------
    {"psm2_mq_irecv", "null_mq", Start::Mq,
     [](World&) {
         psm2_mq_req_t r;
         return static_cast<int>(psm2_mq_irecv(nullptr, kRowTag, ~0ull, 0, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kNullMq},
    {"psm2_mq_irecv", "null_request", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_irecv(w.mq, kRowTag, ~0ull, 0, g_buf, 4, nullptr, nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to return the request"},
    {"psm2_mq_irecv", "null_buffer_with_length", Start::Mq,
     [](World& w) {
         psm2_mq_req_t r;
         return static_cast<int>(psm2_mq_irecv(w.mq, kRowTag, ~0ull, 0, nullptr, 64, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: 64 bytes into NULL"},
    {"psm2_mq_irecv", "closed_ep", Start::Mq,
     [](World& w) {
         psm2_mq_req_t r;
         return static_cast<int>(psm2_mq_irecv(closed_mq(w), kRowTag, ~0ull, 0, g_buf, 4, nullptr, &r));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, kClosed},
    {"psm2_mq_irecv", "before_init", Start::Fresh,
     [](World&) {
         psm2_mq_req_t r;
         return static_cast<int>(psm2_mq_irecv(nullptr, kRowTag, ~0ull, 0, g_buf, 4, nullptr, &r));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, kBeforeInit},
    {"psm2_mq_irecv", "flags_are_unused", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r = nullptr;
         int rc = psm2_mq_irecv(w.mq, kRowTag, ~0ull, ~0u, g_buf, 4, nullptr, &r);
         if (rc == PSM2_OK) {
             psm2_mq_cancel(&r);
             psm2_mq_wait(&r, nullptr);
         }
         return rc;
     },
     PSM2_OK, C, Handler::Auto, "psm2_mq.h: receive flags are unused; any value is accepted"},
    {"psm2_mq_irecv2", "null_tag", Start::Mq,
     [](World& w) {
         psm2_mq_req_t r;
         psm2_mq_tag_t sel = all_ones();
         return static_cast<int>(psm2_mq_irecv2(w.mq, nullptr, nullptr, &sel, 0, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original dereferences it"},
    {"psm2_mq_irecv2", "null_selector", Start::Mq,
     [](World& w) {
         psm2_mq_req_t r;
         psm2_mq_tag_t t = tag96(1);
         return static_cast<int>(psm2_mq_irecv2(w.mq, nullptr, &t, nullptr, 0, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "as null_tag"},
    {"psm2_mq_irecv2", "stale_source", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r;
         psm2_mq_tag_t t = tag96(1), sel = all_ones();
         return static_cast<int>(psm2_mq_irecv2(w.mq, w.stale_self(), &t, &sel, 0, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a disconnected address can never match"},
    {"psm2_mq_irecv2", "source_of_closed_endpoint", Start::SelfPeer,
     [](World& w) {
         psm2_ep_t ep2;
         psm2_mq_t mq2;
         psm2_epaddr_t other = w.second_endpoint(&ep2, &mq2);
         psm2_ep_close(ep2, PSM2_EP_CLOSE_GRACEFUL, 0);
         psm2_mq_req_t r;
         psm2_mq_tag_t t = tag96(1), sel = all_ones();
         return static_cast<int>(psm2_mq_irecv2(w.mq, other, &t, &sel, 0, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: refused, not used after free"},
    {"psm2_mq_imrecv", "null_request_pointer", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_imrecv(w.mq, 0, g_buf, 4, nullptr, nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original dereferences it"},
    {"psm2_mq_imrecv", "invalid_request", Start::Mq,
     [](World& w) {
         psm2_mq_req_t r = PSM2_MQ_REQINVALID;
         return static_cast<int>(psm2_mq_imrecv(w.mq, 0, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "original: handler PSM2_PARAM_ERR 'Invalid request'"},
    {"psm2_mq_imrecv", "request_not_from_improbe", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r = w.pending_recv();
         return static_cast<int>(psm2_mq_imrecv(w.mq, 0, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: only an improbe'd message takes a buffer this way"},
    {"psm2_mq_imrecv", "completed_request", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r = w.completed_request();
         return static_cast<int>(psm2_mq_imrecv(w.mq, 0, g_buf, 4, nullptr, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a released request is refused"},
    {"psm2_mq_imrecv", "null_buffer_with_length", Start::SelfPeer,
     [](World& w) {
         w.unexpected_message(kRowTag);
         psm2_mq_req_t r = nullptr;
         if (psm2_mq_improbe(w.mq, kRowTag, ~0ull, &r, nullptr) != PSM2_OK) return -1;
         int rc = psm2_mq_imrecv(w.mq, 0, nullptr, 8, nullptr, &r);
         psm2_mq_imrecv(w.mq, 0, g_buf, sizeof g_buf, nullptr, &r);   // still takes a good buffer
         return rc;
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: 8 bytes into NULL; the probed message is not lost"},
    {"psm2_mq_fp_msg", "null_mq", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r;
         psm2_mq_tag_t t = tag96(1);
         return static_cast<int>(
             psm2_mq_fp_msg(w.ep, nullptr, w.self, &t, nullptr, 0, g_buf, 4, nullptr, PSM2_MQ_ISEND_FP, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kNullMq},
    {"psm2_mq_fp_msg", "ep_of_other_mq", Start::SelfPeer,
     [](World& w) {
         psm2_ep_t ep2;
         psm2_mq_t mq2;
         w.second_endpoint(&ep2, &mq2);
         psm2_mq_req_t r;
         psm2_mq_tag_t t = tag96(1);
         return static_cast<int>(
             psm2_mq_fp_msg(ep2, w.mq, w.self, &t, nullptr, 0, g_buf, 4, nullptr, PSM2_MQ_ISEND_FP, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: ep and mq must belong together"},
    {"psm2_mq_fp_msg", "null_tag", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r;
         return static_cast<int>(
             psm2_mq_fp_msg(w.ep, w.mq, w.self, nullptr, nullptr, 0, g_buf, 4, nullptr, PSM2_MQ_ISEND_FP, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original dereferences it"},
    {"psm2_mq_fp_msg", "unknown_operation", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r;
         psm2_mq_tag_t t = tag96(1);
         return badinput_fp_msg(w.ep, w.mq, w.self, &t, 9, g_buf, 4, &r);
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "fp_type is ISEND_FP or IRECV_FP"},
    {"psm2_mq_fp_msg", "irecv_null_selector", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r;
         psm2_mq_tag_t t = tag96(1);
         return static_cast<int>(
             psm2_mq_fp_msg(w.ep, w.mq, nullptr, &t, nullptr, 0, g_buf, 4, nullptr, PSM2_MQ_IRECV_FP, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "a receive needs its selector"},
    {"psm2_mq_fp_msg", "isend_null_request", Start::SelfPeer,
     [](World& w) {
         psm2_mq_tag_t t = tag96(1);
         return static_cast<int>(
             psm2_mq_fp_msg(w.ep, w.mq, w.self, &t, nullptr, 0, g_buf, 4, nullptr, PSM2_MQ_ISEND_FP, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to return the request"},

    // ---- probes -----------------------------------------------------------------
    {"psm2_mq_iprobe", "null_mq", Start::Mq,
     [](World&) { return static_cast<int>(psm2_mq_iprobe(nullptr, kRowTag, ~0ull, nullptr)); }, PSM2_PARAM_ERR,
     C, Handler::Auto, kNullMq},
    {"psm2_mq_iprobe", "closed_ep", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_iprobe(closed_mq(w), kRowTag, ~0ull, nullptr)); },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, kClosed},
    {"psm2_mq_iprobe", "nothing_there", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_iprobe(w.mq, kRowTag, ~0ull, nullptr)); },
     PSM2_MQ_NO_COMPLETIONS, C, Handler::Silent, "psm2_mq.h: PSM2_MQ_NO_COMPLETIONS, not an error"},
    {"psm2_mq_iprobe2", "null_tag", Start::Mq,
     [](World& w) {
         psm2_mq_tag_t sel = all_ones();
         return static_cast<int>(psm2_mq_iprobe2(w.mq, nullptr, nullptr, &sel, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original dereferences it"},
    {"psm2_mq_iprobe2", "stale_source_matches_nothing", Start::SelfPeer,
     [](World& w) {
         psm2_mq_tag_t t = tag96(1), sel = all_ones();
         return static_cast<int>(psm2_mq_iprobe2(w.mq, w.stale_self(), &t, &sel, nullptr));
     },
     PSM2_MQ_NO_COMPLETIONS, C, Handler::Silent, "choice: compared, never dereferenced"},
    {"psm2_mq_improbe", "null_request", Start::SelfPeer,
     [](World& w) {
         w.unexpected_message(kRowTag);
         return static_cast<int>(psm2_mq_improbe(w.mq, kRowTag, ~0ull, nullptr, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the message would be taken with nowhere to put its handle"},
    {"psm2_mq_improbe", "before_init", Start::Fresh,
     [](World&) {
         psm2_mq_req_t r;
         return static_cast<int>(psm2_mq_improbe(nullptr, kRowTag, ~0ull, &r, nullptr));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, kBeforeInit},
    {"psm2_mq_improbe2", "null_selector", Start::Mq,
     [](World& w) {
         psm2_mq_req_t r;
         psm2_mq_tag_t t = tag96(1);
         return static_cast<int>(psm2_mq_improbe2(w.mq, nullptr, &t, nullptr, &r, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original dereferences it"},
    {"psm2_mq_improbe2", "ep_handle_as_mq", Start::Mq,
     [](World& w) {
         psm2_mq_req_t r;
         psm2_mq_tag_t t = tag96(1), sel = all_ones();
         return static_cast<int>(psm2_mq_improbe2(ep_as_mq(w), nullptr, &t, &sel, &r, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kWrongType},

    // ---- peeks ------------------------------------------------------------------
    {"psm2_mq_ipeek", "null_request", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_ipeek(w.mq, nullptr, nullptr)); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "choice: the original writes through it"},
    {"psm2_mq_ipeek", "null_mq", Start::Mq,
     [](World&) {
         psm2_mq_req_t r;
         return static_cast<int>(psm2_mq_ipeek(nullptr, &r, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kNullMq},
    {"psm2_mq_ipeek", "empty_queue", Start::Mq,
     [](World& w) {
         psm2_mq_req_t r = reinterpret_cast<psm2_mq_req_t>(g_buf);
         int rc = psm2_mq_ipeek(w.mq, &r, nullptr);
         return r == reinterpret_cast<psm2_mq_req_t>(g_buf) ? rc : -1;
     },
     PSM2_MQ_NO_COMPLETIONS, C, Handler::Silent, "psm2_mq.h: NO_COMPLETIONS, req and status unchanged"},
    {"psm2_mq_ipeek2", "closed_ep", Start::Mq,
     [](World& w) {
         psm2_mq_req_t r;
         return static_cast<int>(psm2_mq_ipeek2(closed_mq(w), &r, nullptr));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, kClosed},
    {"psm2_mq_ipeek2", "null_request", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_ipeek2(w.mq, nullptr, nullptr)); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "choice: the original writes through it"},
    {"psm2_mq_ipeek_dequeue", "null_request", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_ipeek_dequeue(w.mq, nullptr)); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "choice: the original writes through it"},
    {"psm2_mq_ipeek_dequeue", "ep_handle_as_mq", Start::Mq,
     [](World& w) {
         psm2_mq_req_t r;
         return static_cast<int>(psm2_mq_ipeek_dequeue(ep_as_mq(w), &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, kWrongType},
    {"psm2_mq_ipeek_dequeue_multi", "null_callback", Start::Mq,
     [](World& w) {
         int n = 1;
         return static_cast<int>(psm2_mq_ipeek_dequeue_multi(w.mq, g_buf, nullptr, &n));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original calls through it"},
    {"psm2_mq_ipeek_dequeue_multi", "null_count", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_ipeek_dequeue_multi(w.mq, g_buf, copy_one, nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original dereferences it"},
    {"psm2_mq_ipeek_dequeue_multi", "zero_count", Start::Mq,
     [](World& w) {
         int n = 0;
         int rc = psm2_mq_ipeek_dequeue_multi(w.mq, g_buf, copy_one, &n);
         return holds(rc == PSM2_OK && n == 0);
     },
     kHolds, H, Handler::Silent, "psm2_mq.h: OK when count entries (none) were filled"},
    {"psm2_mq_ipeek_dequeue_multi", "callback_fails", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t rr = nullptr;
         psm2_mq_irecv(w.mq, kRowTag, ~0ull, 0, g_buf, sizeof g_buf, nullptr, &rr);
         psm2_mq_send(w.mq, w.self, 0, kRowTag, "x", 1);
         int n = 4, rc = PSM2_MQ_NO_COMPLETIONS;
         for (int i = 0; i < 100000 && rc == PSM2_MQ_NO_COMPLETIONS; ++i) {
             n = 4;
             rc = psm2_mq_ipeek_dequeue_multi(w.mq, g_buf, copy_fails, &n);
         }
         psm2_mq_wait(&rr, nullptr);   // the failed entry is still queued: retire it
         return n == -5 ? rc : -1;
     },
     PSM2_INTERNAL_ERR, C, Handler::Silent,
     "psm2_mq.h: PSM2_INTERNAL_ERR and count = the callback's code when status_copy fails"},

    // ---- completion -------------------------------------------------------------
    {"psm2_mq_req_free", "null_mq", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_mq_req_free(nullptr, w.pending_recv())); }, PSM2_PARAM_ERR, C,
     Handler::Auto, kNullMq},
    {"psm2_mq_req_free", "invalid_request", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_mq_req_free(w.mq, PSM2_MQ_REQINVALID)); }, PSM2_OK, C,
     Handler::Auto, "original: NULL is accepted"},
    {"psm2_mq_req_free", "already_released", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_mq_req_free(w.mq, w.completed_request())); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "choice: a double free is refused (the original frees it twice)"},
    {"psm2_mq_req_free", "still_in_progress", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_mq_req_free(w.mq, w.pending_recv())); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "choice: the library still owns a posted receive; cancel it first"},
    {"psm2_mq_req_free", "request_of_other_mq", Start::SelfPeer,
     [](World& w) {
         psm2_ep_t ep2;
         psm2_mq_t mq2;
         w.second_endpoint(&ep2, &mq2);
         return static_cast<int>(psm2_mq_req_free(mq2, w.pending_recv()));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a request returns to the MQ that made it"},
    {"psm2_mq_wait", "null_pointer", Start::Mq,
     [](World&) { return static_cast<int>(psm2_mq_wait(nullptr, nullptr)); }, PSM2_PARAM_ERR, C, Handler::Auto,
     "choice: the original dereferences it"},
    {"psm2_mq_wait", "invalid_request_returns_at_once", Start::Mq,
     [](World&) {
         psm2_mq_req_t r = PSM2_MQ_REQINVALID;
         return static_cast<int>(psm2_mq_wait(&r, nullptr));
     },
     PSM2_OK, C, Handler::Auto, "psm2_mq.h: if request is PSM2_MQ_REQINVALID, the function returns immediately"},
    {"psm2_mq_wait", "already_completed_copy", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r = w.completed_request();
         return static_cast<int>(psm2_mq_wait(&r, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a released request is refused at once, no wait forever"},
    {"psm2_mq_wait", "foreign_pointer", Start::Mq,
     [](World&) {
         psm2_mq_req_t r = reinterpret_cast<psm2_mq_req_t>(g_buf);
         return static_cast<int>(psm2_mq_wait(&r, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: not a request of any MQ, never dereferenced"},
    {"psm2_mq_wait", "request_of_closed_endpoint", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r = w.pending_recv();
         w.close_ep();
         return static_cast<int>(psm2_mq_wait(&r, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: released with its endpoint; refused, no wait forever"},
    {"psm2_mq_wait2", "improbed_request", Start::SelfPeer,
     [](World& w) {
         w.unexpected_message(kRowTag);
         psm2_mq_req_t r = nullptr;
         if (psm2_mq_improbe(w.mq, kRowTag, ~0ull, &r, nullptr) != PSM2_OK) return -1;
         int rc = psm2_mq_wait2(&r, nullptr);
         psm2_mq_imrecv(w.mq, 0, g_buf, sizeof g_buf, nullptr, &r);
         psm2_mq_wait2(&r, nullptr);
         return rc;
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: it has no buffer yet and completes only via imrecv"},
    {"psm2_mq_wait2", "null_pointer", Start::Mq,
     [](World&) { return static_cast<int>(psm2_mq_wait2(nullptr, nullptr)); }, PSM2_PARAM_ERR, C, Handler::Auto,
     "choice: the original dereferences it"},
    {"psm2_mq_test", "null_pointer", Start::Mq,
     [](World&) { return static_cast<int>(psm2_mq_test(nullptr, nullptr)); }, PSM2_PARAM_ERR, C, Handler::Auto,
     "choice: the original dereferences it"},
    {"psm2_mq_test", "already_completed_copy", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r = w.completed_request();
         return static_cast<int>(psm2_mq_test(&r, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a released request is refused"},
    {"psm2_mq_test", "pending", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r = w.pending_recv();
         psm2_mq_req_t before = r;
         int rc = psm2_mq_test(&r, nullptr);
         return r == before ? rc : -1;
     },
     PSM2_MQ_NO_COMPLETIONS, C, Handler::Silent, "psm2_mq.h: NO_COMPLETIONS and request unchanged"},
    {"psm2_mq_test2", "invalid_request", Start::Mq,
     [](World&) {
         psm2_mq_req_t r = PSM2_MQ_REQINVALID;
         return static_cast<int>(psm2_mq_test2(&r, nullptr));
     },
     PSM2_OK, C, Handler::Auto, "psm2_mq.h: PSM2_OK if the value was PSM2_MQ_REQINVALID"},
    {"psm2_mq_test2", "foreign_pointer", Start::Mq,
     [](World&) {
         psm2_mq_req_t r = reinterpret_cast<psm2_mq_req_t>(g_buf + 8);
         return static_cast<int>(psm2_mq_test2(&r, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: never dereferenced"},
    {"psm2_mq_cancel", "null_pointer", Start::Mq,
     [](World&) { return static_cast<int>(psm2_mq_cancel(nullptr)); }, PSM2_PARAM_ERR, C, Handler::Auto,
     "choice: the original dereferences it"},
    {"psm2_mq_cancel", "invalid_request", Start::Mq,
     [](World&) {
         psm2_mq_req_t r = PSM2_MQ_REQINVALID;
         return static_cast<int>(psm2_mq_cancel(&r));
     },
     PSM2_MQ_NO_COMPLETIONS, C, Handler::Silent, "original: NO_COMPLETIONS for a NULL request (nothing cancelled)"},
    {"psm2_mq_cancel", "already_completed_copy", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r = w.completed_request();
         return static_cast<int>(psm2_mq_cancel(&r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a released request is refused"},
    {"psm2_mq_cancel", "twice", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t r = w.pending_recv();
         if (psm2_mq_cancel(&r) != PSM2_OK) return -1;
         int rc = psm2_mq_cancel(&r);
         psm2_mq_wait(&r, nullptr);
         return rc;
     },
     PSM2_MQ_NO_COMPLETIONS, C, Handler::Silent, "psm2_mq.h: no longer posted, so not cancelled again"},
    {"psm2_mq_cancel", "send_request", Start::SelfPeer,
     [](World& w) {
         psm2_mq_req_t s = nullptr;
         if (psm2_mq_isend(w.mq, w.self, 0, kRowTag + 2, g_buf, 4, nullptr, &s) != PSM2_OK) return -1;
         return static_cast<int>(psm2_mq_cancel(&s));
     },
     PSM2_MQ_NO_COMPLETIONS, C, Handler::Silent,
     "choice: psm2_mq.h calls it illegal and the original raises PSM2_PARAM_ERR; ours answers 'not "
     "cancelled', which callers handle the same way, without the error handler"},
    {"psm2_mq_get_stats", "null_mq", Start::Mq,
     [](World& w) {
         psm2_mq_stats_t s;
         psm2_mq_get_stats(nullptr, &s);
         return w.raised();
     },
     PSM2_PARAM_ERR, C, Handler::Raises, "void: reported through the error handler"},
    {"psm2_mq_get_stats", "null_stats", Start::Mq,
     [](World& w) {
         psm2_mq_get_stats(w.mq, nullptr);
         return w.raised();
     },
     PSM2_PARAM_ERR, C, Handler::Raises, "void: reported through the error handler"},
    {"psm2_mq_get_stats", "closed_ep", Start::Mq,
     [](World& w) {
         psm2_mq_stats_t s;
         psm2_mq_get_stats(closed_mq(w), &s);
         return w.raised();
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Raises, kClosed},
};

}  // namespace

std::span<const Row> mq_rows() { return kRows; }

}  // namespace badinput
