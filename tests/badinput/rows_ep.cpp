// Endpoints and addresses: open/close, connect/disconnect, queries and
// lookups, per-address context, poll, and the generic option interface.
#include <stdlib.h>

#include <chrono>
#include <cstring>

#include "tests/badinput/c_calls.h"
#include "tests/badinput/table.h"

namespace badinput {
namespace {

constexpr auto C = Expect::Code;
constexpr auto H = Expect::Holds;

// A shm-only epid of format 2 (pid 1, context 0): well formed, never ours.
constexpr psm2_epid_t kForeignEpid = (1ull << 32) | (1ull << 3) | 2;

int open_with(psm2_ep_open_opts* opts) {
    psm2_uuid_t uuid;
    psm2_uuid_generate(uuid);
    psm2_ep_t ep = nullptr;
    psm2_epid_t epid = 0;
    int rc = psm2_ep_open(uuid, opts, &ep, &epid);
    if (rc == PSM2_OK) psm2_ep_close(ep, PSM2_EP_CLOSE_FORCE, 0);
    return rc;
}

int open_with_defaults_changed(void (*change)(psm2_ep_open_opts&)) {
    psm2_ep_open_opts opts;
    if (psm2_ep_open_opts_get_defaults(&opts) != PSM2_OK) return -1;
    change(opts);
    return open_with(&opts);
}

int connect_one(World& w, psm2_ep_t ep, psm2_epid_t epid, psm2_error_t* per = nullptr) {
    psm2_error_t e = PSM2_OK;
    psm2_epaddr_t a = nullptr;
    int rc = psm2_ep_connect(ep, 1, &epid, nullptr, &e, &a, 1'000'000'000);
    (void)w;
    if (per) *per = e;
    return rc;
}

int disconnect_one(psm2_ep_t ep, psm2_epaddr_t a, psm2_error_t* per = nullptr) {
    psm2_error_t e = PSM2_OK;
    int rc = psm2_ep_disconnect2(ep, 1, &a, nullptr, &e, PSM2_EP_DISCONNECT_FORCE, 0);
    if (per) *per = e;
    return rc;
}

// A buffer that is large and zeroed: passing it as a handle of the wrong
// type reads only memory we own.
alignas(64) unsigned char g_foreign[4096];
template <class T>
T foreign() {
    return reinterpret_cast<T>(g_foreign);
}

const Row kRows[] = {
    // ---- psm2_ep_open_opts_get_defaults ------------------------------------
    {"psm2_ep_open_opts_get_defaults", "before_init", Start::Fresh,
     [](World&) {
         psm2_ep_open_opts o;
         return static_cast<int>(psm2_ep_open_opts_get_defaults(&o));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "psm2.h: @return PSM2_INIT_NOT_INIT If psm has not been initialized"},
    {"psm2_ep_open_opts_get_defaults", "null_opts", Start::Initialized,
     [](World&) { return static_cast<int>(psm2_ep_open_opts_get_defaults(nullptr)); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "original returns PSM2_PARAM_ERR"},

    // ---- psm2_ep_open -----------------------------------------------------
    {"psm2_ep_open", "before_init", Start::Fresh, [](World&) { return open_with(nullptr); }, PSM2_INIT_NOT_INIT,
     C, Handler::Auto, "psm2.h lists PSM2_INIT_NOT_INIT"},
    {"psm2_ep_open", "after_finalize", Start::Finalized, [](World&) { return open_with(nullptr); },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "as before_init"},
    {"psm2_ep_open", "null_uuid", Start::Initialized,
     [](World&) {
         psm2_ep_t ep;
         psm2_epid_t epid;
         return static_cast<int>(psm2_ep_open(nullptr, nullptr, &ep, &epid));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "original dereferences it"},
    {"psm2_ep_open", "null_ep_out", Start::Initialized,
     [](World&) {
         psm2_uuid_t u{};
         psm2_epid_t epid;
         return static_cast<int>(psm2_ep_open(u, nullptr, nullptr, &epid));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to return the handle"},
    {"psm2_ep_open", "null_epid_out", Start::Initialized,
     [](World&) {
         psm2_uuid_t u{};
         psm2_ep_t ep;
         return static_cast<int>(psm2_ep_open(u, nullptr, &ep, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to return the epid"},
    {"psm2_ep_open", "timeout_below_minus_one", Start::Initialized,
     [](World&) { return open_with_defaults_changed([](psm2_ep_open_opts& o) { o.timeout = -5; }); },
     PSM2_PARAM_ERR, C, Handler::Auto, "original: 'Invalid timeout value' for timeout < -1"},
    {"psm2_ep_open", "timeout_minus_one_means_default", Start::Initialized,
     [](World&) { return open_with_defaults_changed([](psm2_ep_open_opts& o) { o.timeout = -1; }); }, PSM2_OK,
     C, Handler::Auto, "original: -1 keeps the default timeout"},
    {"psm2_ep_open", "affinity_out_of_range", Start::Initialized,
     [](World&) { return open_with_defaults_changed([](psm2_ep_open_opts& o) { o.affinity = 7; }); },
     PSM2_PARAM_ERR, C, Handler::Auto, "original: 'Invalid Affinity option' outside SKIP..FORCE"},
    {"psm2_ep_open", "service_level_out_of_range", Start::Initialized,
     [](World&) { return open_with_defaults_changed([](psm2_ep_open_opts& o) { o.outsl = 99; }); },
     PSM2_PARAM_ERR, C, Handler::Auto, "original: 'Invalid SL number' outside 0..15"},
    {"psm2_ep_open", "unit_below_minus_one", Start::Initialized,
     [](World&) { return open_with_defaults_changed([](psm2_ep_open_opts& o) { o.unit = -7; }); },
     PSM2_PARAM_ERR, C, Handler::Auto, "original: 'Invalid Device Unit ID' (-1 = any)"},
    {"psm2_ep_open", "negative_port", Start::Initialized,
     [](World&) { return open_with_defaults_changed([](psm2_ep_open_opts& o) { o.port = -3; }); },
     PSM2_PARAM_ERR, C, Handler::Auto, "original: 'Invalid Device port number' (0 = any)"},
    {"psm2_ep_open", "second_without_multi_ep", Start::Endpoint, [](World&) { return open_with(nullptr); },
     PSM2_TOO_MANY_ENDPOINTS, C, Handler::Auto, "psm2.h lists it; PSM2_MULTI_EP unset allows one endpoint"},
    {"psm2_ep_open", "devices_names_nothing_known", Start::Initialized,
     [](World&) {
         setenv("PSM2_DEVICES", "bogus", 1);
         return open_with(nullptr);
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the configuration is the bad argument"},
    {"psm2_ep_open", "hfi_only_without_hfi_fails_at_once", Start::Initialized,
     [](World&) {
         setenv("PSM2_DEVICES", "hfi", 1);
         auto t0 = std::chrono::steady_clock::now();
         int rc = open_with(nullptr);
         bool quick = std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2);
         return quick ? rc : -1;
     },
     PSM2_EP_NO_DEVICE, C, Handler::Auto, "no /dev/hfi1_N and no simulated fabric: said at once, no 15 s wait"},

    // ---- psm2_ep_close ----------------------------------------------------
    {"psm2_ep_close", "null_ep", Start::Endpoint,
     [](World&) { return static_cast<int>(psm2_ep_close(nullptr, PSM2_EP_CLOSE_GRACEFUL, 0)); }, PSM2_PARAM_ERR,
     C, Handler::Auto, "choice: not an endpoint"},
    {"psm2_ep_close", "twice", Start::Mq,
     [](World& w) {
         w.close_ep();
         return static_cast<int>(psm2_ep_close(w.ep, PSM2_EP_CLOSE_GRACEFUL, 0));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "choice: the code psm2.h gives for a closed endpoint"},
    {"psm2_ep_close", "unknown_mode", Start::Mq,
     [](World& w) { return static_cast<int>(psm2_ep_close(w.ep, 7, 0)); }, PSM2_PARAM_ERR, C, Handler::Auto,
     "mode is GRACEFUL or FORCE"},
    {"psm2_ep_close", "after_finalize", Start::Endpoint,
     [](World& w) {
         psm2_finalize();
         w.finalized();
         return static_cast<int>(psm2_ep_close(w.ep, PSM2_EP_CLOSE_FORCE, 0));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "finalize closed it; the library is not initialised any more"},
    {"psm2_ep_close", "inside_its_own_am_handler", Start::SelfPeer,
     [](World& w) {
         return w.in_handler(
             [](psm2_am_token_t) { return static_cast<int>(psm2_ep_close(World::current().ep, PSM2_EP_CLOSE_FORCE, 0)); });
     },
     PSM2_PARAM_ERR, C, Handler::Silent,
     "choice: the poll running the handler still uses the endpoint (was a use after free); not through the "
     "error handler, which may itself be the calling callback"},
    {"psm2_ep_close", "foreign_pointer", Start::Endpoint,
     [](World&) { return static_cast<int>(psm2_ep_close(foreign<psm2_ep_t>(), PSM2_EP_CLOSE_FORCE, 0)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: not one of our endpoints"},

    // ---- psm2_ep_connect --------------------------------------------------
    {"psm2_ep_connect", "before_init", Start::Fresh, [](World& w) { return connect_one(w, nullptr, 0x12); },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "original: PSMI_ERR_UNLESS_INITIALIZED"},
    {"psm2_ep_connect", "null_ep", Start::Mq, [](World& w) { return connect_one(w, nullptr, w.epid); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: not an endpoint"},
    {"psm2_ep_connect", "closed_ep", Start::Mq,
     [](World& w) {
         w.close_ep();
         return connect_one(w, w.ep, w.epid);
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "choice: the stale handle is recognised"},
    {"psm2_ep_connect", "negative_count", Start::Mq,
     [](World& w) {
         psm2_error_t e;
         psm2_epaddr_t a;
         return static_cast<int>(psm2_ep_connect(w.ep, -1, &w.epid, nullptr, &e, &a, 0));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "a count below zero"},
    {"psm2_ep_connect", "null_epid_array", Start::Mq,
     [](World& w) {
         psm2_error_t e;
         psm2_epaddr_t a;
         return static_cast<int>(psm2_ep_connect(w.ep, 1, nullptr, nullptr, &e, &a, 0));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "one epid promised, no array"},
    {"psm2_ep_connect", "null_error_array", Start::Mq,
     [](World& w) {
         psm2_epaddr_t a;
         return static_cast<int>(psm2_ep_connect(w.ep, 1, &w.epid, nullptr, nullptr, &a, 0));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2.h: per-epid errors are always written"},
    {"psm2_ep_connect", "null_epaddr_array", Start::Mq,
     [](World& w) {
         psm2_error_t e;
         return static_cast<int>(psm2_ep_connect(w.ep, 1, &w.epid, nullptr, &e, nullptr, 0));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to return the address"},
    {"psm2_ep_connect", "epid_zero", Start::Mq,
     [](World& w) {
         psm2_error_t per = PSM2_OK;
         int rc = connect_one(w, w.ep, 0, &per);
         return rc == per ? rc : -1;
     },
     PSM2_EPID_INVALID_VERSION, C, Handler::Auto,
     "FACTS: the original ends the process ('Unknown version of EPID'); returned and in array_of_errors"},
    {"psm2_ep_connect", "epid_bad_version", Start::Mq,
     [](World& w) {
         psm2_error_t per = PSM2_OK;
         int rc = connect_one(w, w.ep, (w.epid & ~0x7ull) | 0x7, &per);
         return rc == per ? rc : -1;
     },
     PSM2_EPID_INVALID_VERSION, C, Handler::Auto, "as epid_zero: version bits name no known format"},
    {"psm2_ep_connect", "unreachable_epid", Start::Mq,
     [](World& w) {
         psm2_error_t per = PSM2_OK;
         int rc = connect_one(w, w.ep, kForeignEpid, &per);
         return rc == per ? rc : -1;
     },
     PSM2_EPID_UNREACHABLE, C, Handler::Auto, "well formed, but no enabled device (self only) reaches it"},
    {"psm2_ep_connect", "self_twice_same_address", Start::SelfPeer,
     [](World& w) {
         psm2_epid_t ids[2] = {w.epid, w.epid};
         psm2_error_t errs[2];
         psm2_epaddr_t addrs[2] = {};
         int rc = psm2_ep_connect(w.ep, 2, ids, nullptr, errs, addrs, 0);
         return holds(rc == PSM2_OK && addrs[0] == w.self && addrs[1] == w.self);
     },
     kHolds, H, Handler::Silent, "connecting again returns the existing address (no duplicate peer)"},
    {"psm2_ep_connect", "mask_skips_everything", Start::Mq,
     [](World& w) {
         psm2_epid_t ids[1] = {0};   // malformed, but masked out
         int mask[1] = {0};
         psm2_error_t errs[1] = {PSM2_TIMEOUT};
         psm2_epaddr_t addrs[1] = {reinterpret_cast<psm2_epaddr_t>(g_foreign)};
         int rc = psm2_ep_connect(w.ep, 1, ids, mask, errs, addrs, 0);
         return holds(rc == PSM2_OK && errs[0] == PSM2_TIMEOUT && addrs[0] == foreign<psm2_epaddr_t>());
     },
     kHolds, H, Handler::Silent, "psm2.h: masked-out entries are neither connected nor written"},

    // ---- psm2_ep_disconnect / psm2_ep_disconnect2 ---------------------------
    {"psm2_ep_disconnect", "null_ep", Start::SelfPeer,
     [](World& w) {
         psm2_error_t e;
         return static_cast<int>(psm2_ep_disconnect(nullptr, 1, &w.self, nullptr, &e, 0));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: not an endpoint"},
    {"psm2_ep_disconnect", "closed_ep", Start::SelfPeer,
     [](World& w) {
         psm2_epaddr_t a = w.self;
         w.close_ep();
         psm2_error_t e;
         return static_cast<int>(psm2_ep_disconnect(w.ep, 1, &a, nullptr, &e, 0));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "choice: the stale handle is recognised"},
    {"psm2_ep_disconnect", "twice", Start::SelfPeer,
     [](World& w) {
         psm2_epaddr_t stale = w.stale_self();
         psm2_error_t per = PSM2_OK;
         int rc = psm2_ep_disconnect(w.ep, 1, &stale, nullptr, &per, 0);
         return rc == per ? rc : -1;
     },
     PSM2_EPID_UNKNOWN, C, Handler::Auto, "choice: the address is no longer a connection of this endpoint"},
    {"psm2_ep_disconnect", "null_arrays", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_ep_disconnect(w.ep, 1, nullptr, nullptr, nullptr, 0)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "one address promised, no arrays"},
    {"psm2_ep_disconnect2", "unknown_mode", Start::SelfPeer,
     [](World& w) {
         psm2_error_t e;
         return static_cast<int>(psm2_ep_disconnect2(w.ep, 1, &w.self, nullptr, &e, 5, 0));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "mode is GRACEFUL or FORCE"},
    {"psm2_ep_disconnect2", "negative_count", Start::SelfPeer,
     [](World& w) {
         psm2_error_t e;
         return static_cast<int>(
             psm2_ep_disconnect2(w.ep, -2, &w.self, nullptr, &e, PSM2_EP_DISCONNECT_GRACEFUL, 0));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "a count below zero"},
    {"psm2_ep_disconnect2", "null_error_array", Start::SelfPeer,
     [](World& w) {
         return static_cast<int>(
             psm2_ep_disconnect2(w.ep, 1, &w.self, nullptr, nullptr, PSM2_EP_DISCONNECT_GRACEFUL, 0));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "per-address errors are always written"},
    {"psm2_ep_disconnect2", "null_address_entry", Start::SelfPeer,
     [](World& w) {
         psm2_error_t per = PSM2_OK;
         int rc = disconnect_one(w.ep, nullptr, &per);
         return rc == per ? rc : -1;
     },
     PSM2_EPID_UNKNOWN, C, Handler::Auto, "choice: no such connection"},
    {"psm2_ep_disconnect2", "foreign_pointer_entry", Start::SelfPeer,
     [](World& w) { return disconnect_one(w.ep, foreign<psm2_epaddr_t>()); }, PSM2_EPID_UNKNOWN, C,
     Handler::Auto, "choice: never dereferenced, no such connection"},
    {"psm2_ep_disconnect2", "address_of_other_endpoint", Start::SelfPeer,
     [](World& w) {
         psm2_ep_t ep2;
         psm2_mq_t mq2;
         psm2_epaddr_t other = w.second_endpoint(&ep2, &mq2);
         return disconnect_one(w.ep, other);
     },
     PSM2_EPID_UNKNOWN, C, Handler::Auto, "choice: not a connection of this endpoint"},
    {"psm2_ep_disconnect2", "address_of_closed_endpoint", Start::SelfPeer,
     [](World& w) {
         psm2_ep_t ep2;
         psm2_mq_t mq2;
         psm2_epaddr_t other = w.second_endpoint(&ep2, &mq2);
         psm2_ep_close(ep2, PSM2_EP_CLOSE_GRACEFUL, 0);
         return disconnect_one(w.ep, other);
     },
     PSM2_EPID_UNKNOWN, C, Handler::Auto, "choice: freed with its endpoint, never dereferenced"},

    // ---- psm2_ep_query ----------------------------------------------------
    {"psm2_ep_query", "before_init", Start::Fresh,
     [](World&) {
         int n = 1;
         psm2_epinfo_t info;
         return static_cast<int>(psm2_ep_query(&n, &info));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "psm2.h: @pre PSM2 is initialized"},
    {"psm2_ep_query", "null_count", Start::Endpoint,
     [](World&) { return static_cast<int>(psm2_ep_query(nullptr, nullptr)); }, PSM2_PARAM_ERR, C, Handler::Auto,
     "choice: the original dereferences it"},
    {"psm2_ep_query", "negative_count", Start::Endpoint,
     [](World&) {
         int n = -3;
         return static_cast<int>(psm2_ep_query(&n, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2.h: PSM2_PARAM_ERR if num_of_epinfo is less than or equal to zero"},
    {"psm2_ep_query", "zero_count_asks_how_many", Start::Endpoint,
     [](World&) {
         int n = 0;
         int rc = psm2_ep_query(&n, nullptr);
         return holds(rc == PSM2_OK && n == 1);
     },
     kHolds, H, Handler::Silent,
     "choice: 0 asks for the count (psm2.h: PSM2_PARAM_ERR); our tools and the PSM1 shim size arrays so"},
    {"psm2_ep_query", "no_endpoint_open", Start::Initialized,
     [](World&) {
         int n = 2;
         psm2_epinfo_t info[2];
         return static_cast<int>(psm2_ep_query(&n, info));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "psm2.h: PSM2_EP_WAS_CLOSED if the end-point is closed or does not exist"},
    {"psm2_ep_query", "null_array", Start::Endpoint,
     [](World&) {
         int n = 1;
         return static_cast<int>(psm2_ep_query(&n, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original writes through it"},

    // ---- psm2_ep_epid_lookup / lookup2 --------------------------------------
    {"psm2_ep_epid_lookup", "before_init", Start::Fresh,
     [](World&) {
         psm2_epconn_t c;
         return static_cast<int>(psm2_ep_epid_lookup(0x12, &c));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "psm2.h: @pre PSM2 is initialized"},
    {"psm2_ep_epid_lookup", "null_epconn", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_ep_epid_lookup(w.epid, nullptr)); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "choice: the original writes through it"},
    {"psm2_ep_epid_lookup", "no_endpoint_open", Start::Initialized,
     [](World&) {
         psm2_epconn_t c;
         return static_cast<int>(psm2_ep_epid_lookup(kForeignEpid, &c));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "psm2.h: PSM2_EP_WAS_CLOSED if the end-point is closed or does not exist"},
    {"psm2_ep_epid_lookup", "unknown_epid", Start::SelfPeer,
     [](World&) {
         psm2_epconn_t c;
         return static_cast<int>(psm2_ep_epid_lookup(kForeignEpid, &c));
     },
     PSM2_EPID_UNKNOWN, C, Handler::Silent,
     "psm2.h: PSM2_EPID_UNKNOWN; choice: not through the handler, callers use it to ask 'connected yet?'"},
    {"psm2_ep_epid_lookup", "disconnected_epid", Start::SelfPeer,
     [](World& w) {
         w.stale_self();
         psm2_epconn_t c;
         return static_cast<int>(psm2_ep_epid_lookup(w.epid, &c));
     },
     PSM2_EPID_UNKNOWN, C, Handler::Silent, "as unknown_epid: the connection is gone"},
    {"psm2_ep_epid_lookup2", "null_ep", Start::SelfPeer,
     [](World& w) {
         psm2_epconn_t c;
         return static_cast<int>(psm2_ep_epid_lookup2(nullptr, w.epid, &c));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "psm2.h: PSM2_EP_WAS_CLOSED if [ep] is closed or does not exist"},
    {"psm2_ep_epid_lookup2", "closed_ep", Start::SelfPeer,
     [](World& w) {
         w.close_ep();
         psm2_epconn_t c;
         return static_cast<int>(psm2_ep_epid_lookup2(w.ep, w.epid, &c));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "as null_ep"},
    {"psm2_ep_epid_lookup2", "null_epconn", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_ep_epid_lookup2(w.ep, w.epid, nullptr)); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "psm2.h: PSM2_PARAM_ERR if output [epconn] is NULL"},
    {"psm2_ep_epid_lookup2", "unknown_epid", Start::SelfPeer,
     [](World& w) {
         psm2_epconn_t c;
         return static_cast<int>(psm2_ep_epid_lookup2(w.ep, kForeignEpid, &c));
     },
     PSM2_EPID_UNKNOWN, C, Handler::Silent, "psm2.h: PSM2_EPID_UNKNOWN; choice: silent as for lookup"},

    // ---- psm2_ep_epid_share_memory ----------------------------------------
    {"psm2_ep_epid_share_memory", "null_ep", Start::Endpoint,
     [](World& w) {
         int r;
         return static_cast<int>(psm2_ep_epid_share_memory(nullptr, w.epid, &r));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original asserts"},
    {"psm2_ep_epid_share_memory", "closed_ep", Start::Mq,
     [](World& w) {
         w.close_ep();
         int r;
         return static_cast<int>(psm2_ep_epid_share_memory(w.ep, w.epid, &r));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "choice: the stale handle is recognised"},
    {"psm2_ep_epid_share_memory", "null_result", Start::Endpoint,
     [](World& w) { return static_cast<int>(psm2_ep_epid_share_memory(w.ep, w.epid, nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original writes through it"},
    {"psm2_ep_epid_share_memory", "malformed_epid", Start::Endpoint,
     [](World& w) {
         int r = 5;
         int rc = psm2_ep_epid_share_memory(w.ep, 0x7, &r);
         return r == 5 ? rc : -1;
     },
     PSM2_EPID_UNKNOWN, C, Handler::Auto, "psm2.h: PSM2_EPID_UNKNOWN if the epid is not recognized"},

    // ---- psm2_epaddr_setlabel / setctxt / getctxt / to_epid -----------------
    {"psm2_epaddr_setlabel", "null_epaddr", Start::SelfPeer,
     [](World&) {
         psm2_epaddr_setlabel(nullptr, "x");
         return kHolds;
     },
     kHolds, H, Handler::Silent, "choice: ignored (void, nothing to report through)"},
    {"psm2_epaddr_setlabel", "stale_epaddr_and_null_label", Start::SelfPeer,
     [](World& w) {
         psm2_epaddr_setlabel(w.stale_self(), "x");
         psm2_epaddr_setlabel(foreign<psm2_epaddr_t>(), nullptr);
         return holds(g_foreign[0] == 0);
     },
     kHolds, H, Handler::Silent, "choice: ignored, never written through"},
    {"psm2_epaddr_setctxt", "stale_epaddr", Start::SelfPeer,
     [](World& w) {
         psm2_epaddr_t stale = w.stale_self();
         psm2_epaddr_setctxt(stale, &w);
         psm2_epaddr_setctxt(nullptr, &w);
         return holds(psm2_epaddr_getctxt(stale) == nullptr);
     },
     kHolds, H, Handler::Silent, "choice: ignored; a stale address keeps no context"},
    {"psm2_epaddr_setctxt", "address_of_closed_endpoint", Start::SelfPeer,
     [](World& w) {
         psm2_ep_t ep2;
         psm2_mq_t mq2;
         psm2_epaddr_t other = w.second_endpoint(&ep2, &mq2);
         psm2_ep_close(ep2, PSM2_EP_CLOSE_GRACEFUL, 0);
         psm2_epaddr_setctxt(other, &w);
         return holds(psm2_epaddr_getctxt(other) == nullptr);
     },
     kHolds, H, Handler::Silent, "choice: freed with its endpoint, never dereferenced"},
    {"psm2_epaddr_getctxt", "null_and_foreign", Start::SelfPeer,
     [](World&) {
         return holds(psm2_epaddr_getctxt(nullptr) == nullptr &&
                      psm2_epaddr_getctxt(foreign<psm2_epaddr_t>()) == nullptr);
     },
     kHolds, H, Handler::Silent, "choice: NULL for anything that is not a live address"},
    {"psm2_epaddr_to_epid", "null_epaddr", Start::SelfPeer,
     [](World&) {
         psm2_epid_t e;
         return static_cast<int>(psm2_epaddr_to_epid(nullptr, &e));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2.h: PSM2_PARAM_ERR if input [epaddr] or output [epid] is NULL"},
    {"psm2_epaddr_to_epid", "null_epid", Start::SelfPeer,
     [](World& w) { return static_cast<int>(psm2_epaddr_to_epid(w.self, nullptr)); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "as null_epaddr"},
    {"psm2_epaddr_to_epid", "stale_epaddr", Start::SelfPeer,
     [](World& w) {
         psm2_epid_t e;
         return static_cast<int>(psm2_epaddr_to_epid(w.stale_self(), &e));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a disconnected address is no longer valid"},
    {"psm2_epaddr_to_epid", "foreign_pointer", Start::SelfPeer,
     [](World&) {
         psm2_epid_t e;
         return static_cast<int>(psm2_epaddr_to_epid(foreign<psm2_epaddr_t>(), &e));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: never dereferenced"},

    // ---- psm2_poll --------------------------------------------------------
    {"psm2_poll", "before_init", Start::Fresh, [](World&) { return static_cast<int>(psm2_poll(nullptr)); },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "original: PSMI_ERR_UNLESS_INITIALIZED"},
    {"psm2_poll", "null_ep", Start::Mq, [](World&) { return static_cast<int>(psm2_poll(nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: not an endpoint"},
    {"psm2_poll", "closed_ep", Start::Mq,
     [](World& w) {
         w.close_ep();
         return static_cast<int>(psm2_poll(w.ep));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "choice: the stale handle is recognised"},
    {"psm2_poll", "after_finalize", Start::Mq,
     [](World& w) {
         psm2_finalize();
         w.finalized();
         return static_cast<int>(psm2_poll(w.ep));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "finalize closed everything"},
    {"psm2_poll", "foreign_pointer", Start::Mq,
     [](World&) { return static_cast<int>(psm2_poll(foreign<psm2_ep_t>())); }, PSM2_PARAM_ERR, C, Handler::Auto,
     "choice: never dereferenced"},

    // ---- psm2_setopt ------------------------------------------------------
    {"psm2_setopt", "null_value", Start::Mq,
     [](World& w) {
         return static_cast<int>(psm2_setopt(PSM2_COMPONENT_CORE, w.ep, PSM2_CORE_OPT_DEBUG, nullptr, 4));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "nothing to read the value from"},
    {"psm2_setopt", "unknown_component", Start::Mq,
     [](World& w) {
         uint32_t v = 1;
         return badinput_setopt(99, w.ep, 1, &v, sizeof v);
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2.h: PSM2_PARAM_ERR if the component or optname are not valid"},
    {"psm2_setopt", "unknown_option", Start::Mq,
     [](World& w) {
         uint32_t v = 1;
         return static_cast<int>(psm2_setopt(PSM2_COMPONENT_CORE, w.ep, 0x9999, &v, sizeof v));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "as unknown_component"},
    {"psm2_setopt", "length_too_short", Start::Mq,
     [](World& w) {
         uint32_t v = 1;
         return static_cast<int>(psm2_setopt(PSM2_COMPONENT_CORE, w.ep, PSM2_CORE_OPT_DEBUG, &v, 1));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a 1-byte value for a 4-byte option"},
    {"psm2_setopt", "am_option_is_read_only", Start::Mq,
     [](World& w) {
         uint32_t v = 1;
         return static_cast<int>(psm2_setopt(PSM2_COMPONENT_AM, w.ep, PSM2_AM_OPT_NARGS, &v, sizeof v));
     },
     PSM2_OPT_READONLY, C, Handler::Auto, "psm2.h: PSM2_OPT_READONLY"},
    {"psm2_setopt", "mq_option_on_non_mq", Start::Mq,
     [](World& w) {
         uint32_t v = 1000;
         return static_cast<int>(psm2_setopt(PSM2_COMPONENT_MQ, w.ep, PSM2_MQ_OPT_RNDV_SHM_SZ, &v, sizeof v));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: an endpoint handle where an MQ is needed"},
    {"psm2_setopt", "ep_ctxt_on_non_epaddr", Start::Mq,
     [](World& w) {
         return static_cast<int>(psm2_setopt(PSM2_COMPONENT_CORE, w.mq, PSM2_CORE_OPT_EP_CTXT, &w, sizeof(void*)));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: an MQ handle where an epaddr is needed"},
    {"psm2_setopt", "service_level_out_of_range", Start::Mq,
     [](World& w) {
         uint32_t sl = 99;
         return static_cast<int>(psm2_setopt(PSM2_COMPONENT_IB, w.ep, PSM2_IB_OPT_EP_SL, &sl, sizeof sl));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "service levels are 0..15"},

    // ---- psm2_getopt ------------------------------------------------------
    {"psm2_getopt", "null_value", Start::Mq,
     [](World& w) {
         uint64_t len = 4;
         return static_cast<int>(psm2_getopt(PSM2_COMPONENT_CORE, w.ep, PSM2_CORE_OPT_DEBUG, nullptr, &len));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "nowhere to write the value"},
    {"psm2_getopt", "null_length", Start::Mq,
     [](World& w) {
         uint32_t v;
         return static_cast<int>(psm2_getopt(PSM2_COMPONENT_CORE, w.ep, PSM2_CORE_OPT_DEBUG, &v, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "the length is in/out and required"},
    {"psm2_getopt", "unknown_component", Start::Mq,
     [](World& w) {
         uint32_t v;
         uint64_t len = sizeof v;
         return badinput_getopt(-1, w.ep, 1, &v, &len);
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2.h: PSM2_PARAM_ERR if the component or optname are not valid"},
    {"psm2_getopt", "unknown_option", Start::Mq,
     [](World& w) {
         uint32_t v;
         uint64_t len = sizeof v;
         return static_cast<int>(psm2_getopt(PSM2_COMPONENT_MQ, w.mq, 0x4242, &v, &len));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "as unknown_component"},
    {"psm2_getopt", "buffer_too_small_reports_size", Start::Mq,
     [](World& w) {
         uint16_t v = 0x5555;
         uint64_t len = sizeof v;
         int rc = psm2_getopt(PSM2_COMPONENT_MQ, w.mq, PSM2_MQ_OPT_RNDV_SHM_SZ, &v, &len);
         return len == sizeof(uint32_t) && v == 0x5555 ? rc : -1;
     },
     PSM2_NO_MEMORY, C, Handler::Auto,
     "psm2.h: PSM2_NO_MEMORY if optval is of insufficient size; optlen then holds the size needed"},
    {"psm2_getopt", "ep_ctxt_on_stale_epaddr", Start::SelfPeer,
     [](World& w) {
         void* ctx;
         uint64_t len = sizeof ctx;
         return static_cast<int>(psm2_getopt(PSM2_COMPONENT_CORE, w.stale_self(), PSM2_CORE_OPT_EP_CTXT, &ctx, &len));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: a disconnected address is no longer valid"},
    {"psm2_getopt", "am_option_without_endpoint", Start::Initialized,
     [](World&) {
         uint32_t v;
         uint64_t len = sizeof v;
         return static_cast<int>(psm2_getopt(PSM2_COMPONENT_AM, nullptr, PSM2_AM_OPT_NARGS, &v, &len));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "choice: AM limits belong to an endpoint and none is open"},
};

}  // namespace

std::span<const Row> endpoint_rows() { return kRows; }

}  // namespace badinput
