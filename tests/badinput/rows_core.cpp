// Library-wide calls: init/finalize, error handling, capability mask, uuid,
// info queries, host names and the epid getters.
#include <cstring>

#include "tests/badinput/c_calls.h"
#include "tests/badinput/table.h"

namespace badinput {
namespace {

constexpr auto C = Expect::Code;
constexpr auto H = Expect::Holds;

int init_with(int major, int* minor_out = nullptr) {
    int minor = PSM2_VERNO_MINOR;
    int rc = psm2_init(&major, &minor);
    if (minor_out) *minor_out = minor;
    return rc;
}

psm2_error_t counting_noop(psm2_ep_t, psm2_error_t e, const char*, psm2_error_token_t) { return e; }

// psm2_info_query_arg_t is a union: one helper per member used.
psm2_info_query_arg_t mq_arg(psm2_mq_t mq) {
    psm2_info_query_arg_t arg;
    std::memset(&arg, 0, sizeof arg);
    arg.mq = mq;
    return arg;
}

psm2_info_query_arg_t addr_arg(psm2_epaddr_t a) {
    psm2_info_query_arg_t arg;
    std::memset(&arg, 0, sizeof arg);
    arg.epaddr = a;
    return arg;
}

const Row kRows[] = {
    // ---- psm2_init -------------------------------------------------------
    {"psm2_init", "null_major", Start::Fresh,
     [](World&) {
         int minor = PSM2_VERNO_MINOR;
         return static_cast<int>(psm2_init(nullptr, &minor));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "original dereferences it; a NULL out-pointer is a bad argument"},
    {"psm2_init", "null_minor", Start::Fresh,
     [](World&) {
         int major = PSM2_VERNO_MAJOR;
         return static_cast<int>(psm2_init(&major, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "as null_major"},
    {"psm2_init", "future_major", Start::Fresh, [](World&) { return init_with(PSM2_VERNO_MAJOR + 7); },
     PSM2_INIT_BAD_API_VERSION, C, Handler::Auto, "psm2.h: @returns PSM2_INIT_BAD_API_VERSION"},
    {"psm2_init", "negative_major", Start::Fresh, [](World&) { return init_with(-1); },
     PSM2_INIT_BAD_API_VERSION, C, Handler::Auto, "as future_major"},
    {"psm2_init", "bad_major_reports_ours", Start::Fresh,
     [](World&) {
         int major = 99, minor = 0;
         int rc = psm2_init(&major, &minor);
         return major == PSM2_VERNO_MAJOR && minor == PSM2_VERNO_MINOR ? rc : -1;
     },
     PSM2_INIT_BAD_API_VERSION, C, Handler::Auto, "the caller also learns which version the library offers"},
    {"psm2_init", "twice_is_refcounted", Start::Initialized,
     [](World&) {
         int rc = init_with(PSM2_VERNO_MAJOR);
         if (rc == PSM2_OK) psm2_finalize();   // balance the extra reference
         return rc;
     },
     PSM2_OK, C, Handler::Auto, "PSM2_LIB_REFCOUNT_CAP: each init needs its finalize"},
    {"psm2_init", "after_finalize", Start::Finalized,
     [](World& w) {
         int rc = init_with(PSM2_VERNO_MAJOR);
         w.initialized = rc == PSM2_OK;
         return rc;
     },
     PSM2_OK, C, Handler::Auto,
     "choice: re-initialising is allowed (the original answers PSM2_IS_FINALIZED); a library "
     "unloaded and reloaded by a plugin host must start again"},

    // ---- psm2_finalize ---------------------------------------------------
    {"psm2_finalize", "before_init", Start::Fresh, [](World&) { return static_cast<int>(psm2_finalize()); },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "original: PSMI_ERR_UNLESS_INITIALIZED"},
    {"psm2_finalize", "twice", Start::Finalized, [](World&) { return static_cast<int>(psm2_finalize()); },
     PSM2_IS_FINALIZED, C, Handler::Auto,
     "choice: the code that says what happened (the original answers PSM2_INIT_NOT_INIT)"},
    {"psm2_finalize", "with_open_endpoint_and_pending_requests", Start::SelfPeer,
     [](World& w) {
         w.pending_recv();
         w.unexpected_message(kRowTag);
         int rc = psm2_finalize();
         w.finalized();
         return rc;
     },
     PSM2_OK, C, Handler::Auto, "psm2.h: finalize closes all unclosed endpoints (no leak: LeakSanitizer)"},

    {"psm2_finalize", "inside_an_am_handler", Start::SelfPeer,
     [](World& w) { return w.in_handler([](psm2_am_token_t) { return static_cast<int>(psm2_finalize()); }); },
     PSM2_PARAM_ERR, C, Handler::Silent, "choice: as psm2_ep_close inside_its_own_am_handler (was a use after free)"},

    // ---- psm2_get_capability_mask -----------------------------------------
    {"psm2_get_capability_mask", "unknown_bits_masked_off", Start::Fresh,
     [](World&) {
         uint64_t m = psm2_get_capability_mask(~0ull);
         return holds((m & ~(PSM2_MULTI_EP_CAP | PSM2_LIB_REFCOUNT_CAP)) == 0 && (m & PSM2_MULTI_EP_CAP));
     },
     kHolds, H, Handler::Silent, "psm2.h: the internal bits ANDed with the request; callable before init"},
    {"psm2_get_capability_mask", "zero_request", Start::Fresh,
     [](World&) { return holds(psm2_get_capability_mask(0) == 0); }, kHolds, H, Handler::Silent, "AND with 0"},

    // ---- psm2_error_register_handler ---------------------------------------
    {"psm2_error_register_handler", "global_before_init", Start::Fresh,
     [](World&) { return static_cast<int>(psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER)); },
     PSM2_OK, C, Handler::Auto, "psm2.h: one of the calls allowed before psm2_init"},
    {"psm2_error_register_handler", "closed_endpoint", Start::Mq,
     [](World& w) {
         w.close_ep();
         return static_cast<int>(psm2_error_register_handler(w.ep, counting_noop));
     },
     PSM2_EP_WAS_CLOSED, C, Handler::Auto, "choice: the original dereferences the stale handle"},
    {"psm2_error_register_handler", "foreign_pointer_as_ep", Start::Mq,
     [](World& w) {
         return static_cast<int>(psm2_error_register_handler(reinterpret_cast<psm2_ep_t>(&w), counting_noop));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: not one of our endpoints"},

    // ---- psm2_error_defer / psm2_error_get_string --------------------------
    {"psm2_error_defer", "null_token", Start::Initialized,
     [](World&) { return static_cast<int>(psm2_error_defer(nullptr)); }, PSM2_PARAM_ERR, C, Handler::Silent,
     "choice: original dereferences it; no handler call from inside error handling. (Every Raises row "
     "also passes a real token to psm2_error_defer and checks it returns the same code.)"},
    {"psm2_error_get_string", "every_code_has_text", Start::Fresh,
     [](World&) {
         static const psm2_error_t codes[] = {
             PSM2_OK, PSM2_OK_NO_PROGRESS, PSM2_PARAM_ERR, PSM2_NO_MEMORY, PSM2_INIT_NOT_INIT,
             PSM2_INIT_BAD_API_VERSION, PSM2_NO_AFFINITY, PSM2_INTERNAL_ERR, PSM2_SHMEM_SEGMENT_ERR,
             PSM2_OPT_READONLY, PSM2_TIMEOUT, PSM2_TOO_MANY_ENDPOINTS, PSM2_IS_FINALIZED, PSM2_EP_WAS_CLOSED,
             PSM2_EP_NO_DEVICE, PSM2_EP_UNIT_NOT_FOUND, PSM2_EP_DEVICE_FAILURE, PSM2_EP_CLOSE_TIMEOUT,
             PSM2_EP_NO_PORTS_AVAIL, PSM2_EP_NO_NETWORK, PSM2_EP_INVALID_UUID_KEY, PSM2_EP_NO_RESOURCES,
             PSM2_EPID_UNKNOWN, PSM2_EPID_UNREACHABLE, PSM2_EPID_INVALID_NODE, PSM2_EPID_INVALID_MTU,
             PSM2_EPID_INVALID_UUID_KEY, PSM2_EPID_INVALID_VERSION, PSM2_EPID_INVALID_CONNECT,
             PSM2_EPID_ALREADY_CONNECTED, PSM2_EPID_NETWORK_ERROR, PSM2_EPID_INVALID_PKEY,
             PSM2_EPID_PATH_RESOLUTION, PSM2_MQ_NO_COMPLETIONS, PSM2_MQ_TRUNCATION, PSM2_AM_INVALID_REPLY,
             PSM2_IQ_INVALID_QUERY};
         const char* unknown = badinput_error_string(12345);
         for (psm2_error_t c : codes) {
             const char* s = psm2_error_get_string(c);
             if (!s || !*s || std::strcmp(s, unknown) == 0) return kBroken;
         }
         return kHolds;
     },
     kHolds, H, Handler::Silent, "every code of psm2.h has its own message"},
    {"psm2_error_get_string", "unknown_code", Start::Fresh,
     [](World&) {
         const char* a = badinput_error_string(12345);
         const char* b = badinput_error_string(-1);
         const char* c = psm2_error_get_string(PSM2_ERROR_LAST);
         return holds(a && *a && b && *b && c && *c);
     },
     kHolds, H, Handler::Silent, "choice: a text, never NULL or an index past a table"},

    // ---- psm2_uuid_generate -----------------------------------------------
    {"psm2_uuid_generate", "null_output", Start::Fresh,
     [](World&) {
         psm2_uuid_generate(nullptr);
         return kHolds;
     },
     kHolds, H, Handler::Silent, "choice: ignored (the original writes through it); callable before init"},

    // ---- psm2_ep_num_devunits ---------------------------------------------
    {"psm2_ep_num_devunits", "before_init", Start::Fresh,
     [](World&) {
         uint32_t n = 0;
         return static_cast<int>(psm2_ep_num_devunits(&n));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "psm2.h: 'PSM2_OK unless the user has not called psm2_init'"},
    {"psm2_ep_num_devunits", "after_finalize", Start::Finalized,
     [](World&) {
         uint32_t n = 0;
         return static_cast<int>(psm2_ep_num_devunits(&n));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "as before_init"},
    {"psm2_ep_num_devunits", "null_output", Start::Initialized,
     [](World&) { return static_cast<int>(psm2_ep_num_devunits(nullptr)); }, PSM2_PARAM_ERR, C, Handler::Auto,
     "choice: the original writes through it"},

    // ---- psm2_map_nid_hostname --------------------------------------------
    {"psm2_map_nid_hostname", "before_init", Start::Fresh,
     [](World&) {
         uint64_t nid = 1;
         const char* host = "h";
         return static_cast<int>(psm2_map_nid_hostname(1, &nid, &host));
     },
     PSM2_INIT_NOT_INIT, C, Handler::Auto, "original: PSMI_ERR_UNLESS_INITIALIZED"},
    {"psm2_map_nid_hostname", "negative_count", Start::Initialized,
     [](World&) { return static_cast<int>(psm2_map_nid_hostname(-1, nullptr, nullptr)); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "a count below zero"},
    {"psm2_map_nid_hostname", "null_arrays", Start::Initialized,
     [](World&) { return static_cast<int>(psm2_map_nid_hostname(2, nullptr, nullptr)); }, PSM2_PARAM_ERR, C,
     Handler::Auto, "two entries promised, no arrays"},
    {"psm2_map_nid_hostname", "null_hostname_entry_skipped", Start::Initialized,
     [](World&) {
         uint64_t nids[2] = {1, 2};
         const char* hosts[2] = {nullptr, "node2"};
         return static_cast<int>(psm2_map_nid_hostname(2, nids, hosts));
     },
     PSM2_OK, C, Handler::Auto, "choice: a NULL name only means 'no name for this nid'"},

    // ---- psm2_info_query --------------------------------------------------
    {"psm2_info_query", "null_output", Start::Initialized,
     [](World&) { return static_cast<int>(psm2_info_query(PSM2_INFO_QUERY_NUM_UNITS, nullptr, 0, nullptr)); },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2.h: PSM2_PARAM_ERR for a NULL out"},
    {"psm2_info_query", "unknown_query", Start::Initialized,
     [](World&) {
         uint32_t v = 0;
         return badinput_info_query(PSM2_INFO_QUERY_LAST + 3, &v);
     },
     PSM2_IQ_INVALID_QUERY, C, Handler::Auto, "psm2.h: PSM2_IQ_INVALID_QUERY (unknown type)"},
    {"psm2_info_query", "negative_query", Start::Initialized,
     [](World&) {
         uint32_t v = 0;
         return badinput_info_query(-4, &v);
     },
     PSM2_IQ_INVALID_QUERY, C, Handler::Auto, "as unknown_query"},
    {"psm2_info_query", "unit_status_without_args", Start::Initialized,
     [](World&) {
         uint32_t v = 0;
         return static_cast<int>(psm2_info_query(PSM2_INFO_QUERY_UNIT_STATUS, &v, 0, nullptr));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "psm2.h: wrong nargs"},
    {"psm2_info_query", "unit_status_unit_out_of_range", Start::Initialized,
     [](World&) {
         uint32_t v = 0;
         psm2_info_query_arg_t arg;
         std::memset(&arg, 0, sizeof arg);
         arg.unit = 1000;
         return static_cast<int>(psm2_info_query(PSM2_INFO_QUERY_UNIT_STATUS, &v, 1, &arg));
     },
     PSM2_EP_UNIT_NOT_FOUND, C, Handler::Auto, "choice: the code psm2_ep_open gives for a missing unit"},
    {"psm2_info_query", "config_null_epaddr", Start::SelfPeer,
     [](World& w) {
         uint32_t v = 0;
         psm2_info_query_arg_t args[2] = {mq_arg(w.mq), addr_arg(nullptr)};
         return static_cast<int>(psm2_info_query(PSM2_INFO_QUERY_CONFIG, &v, 2, args));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "choice: the original dereferences it"},
    {"psm2_info_query", "mtu_stale_epaddr", Start::SelfPeer,
     [](World& w) {
         uint32_t v = 0;
         psm2_epaddr_t stale = w.stale_self();
         psm2_info_query_arg_t args[2] = {mq_arg(w.mq), addr_arg(stale)};
         return static_cast<int>(psm2_info_query(PSM2_INFO_QUERY_MTU, &v, 2, args));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "a disconnected address is no longer a connection"},
    {"psm2_info_query", "device_name_zero_length", Start::SelfPeer,
     [](World& w) {
         char name[8];
         psm2_info_query_arg_t args[3] = {mq_arg(w.mq), addr_arg(w.self), addr_arg(nullptr)};
         args[2].length = 0;
         return static_cast<int>(psm2_info_query(PSM2_INFO_QUERY_DEVICE_NAME, name, 3, args));
     },
     PSM2_PARAM_ERR, C, Handler::Auto, "no room even for the terminating NUL"},
    {"psm2_info_query", "device_name_truncated_not_overrun", Start::SelfPeer,
     [](World& w) {
         char name[4] = {'x', 'x', 'x', 'x'};
         psm2_info_query_arg_t args[3] = {mq_arg(w.mq), addr_arg(w.self), addr_arg(nullptr)};
         args[2].length = 2;
         int rc = psm2_info_query(PSM2_INFO_QUERY_DEVICE_NAME, name, 3, args);
         return holds(rc == PSM2_OK && name[1] == '\0' && name[2] == 'x');
     },
     kHolds, H, Handler::Silent, "the length argument bounds the write"},
    {"psm2_info_query", "ips_threshold_on_self_connection", Start::SelfPeer,
     [](World& w) {
         uint32_t v = 0;
         psm2_info_query_arg_t args[3] = {mq_arg(w.mq), addr_arg(w.self), addr_arg(nullptr)};
         args[2].mstq = PSM2_INFO_QUERY_THRESH_IPS_RNDV;
         return static_cast<int>(psm2_info_query(PSM2_INFO_QUERY_THRESH, &v, 3, args));
     },
     PSM2_IQ_INVALID_QUERY, C, Handler::Auto, "the query does not apply to this connection's device"},
    {"psm2_info_query", "unknown_threshold_kind", Start::SelfPeer,
     [](World& w) {
         uint32_t v = 0;
         return badinput_info_query_thresh(w.mq, w.self, 99, &v);
     },
     PSM2_IQ_INVALID_QUERY, C, Handler::Auto, "no such threshold"},
    {"psm2_info_query", "num_units_before_init", Start::Fresh,
     [](World&) {
         uint32_t v = 77;
         return static_cast<int>(psm2_info_query(PSM2_INFO_QUERY_NUM_UNITS, &v, 0, nullptr));
     },
     PSM2_OK, C, Handler::Auto, "choice: hardware probes work before init (libfabric asks before psm2_init)"},

    // ---- psm2_epid_nid / context / port -----------------------------------
    {"psm2_epid_nid", "epid_zero", Start::Fresh, [](World&) { return holds(psm2_epid_nid(0) == 0); }, kHolds, H,
     Handler::Silent, "pure decoding: no state, no crash, 0 for the null epid"},
    {"psm2_epid_context", "epid_all_ones", Start::Fresh,
     [](World&) { return holds(psm2_epid_context(~0ull) <= 0xff); }, kHolds, H, Handler::Silent,
     "a malformed epid still decodes to an 8-bit context"},
    {"psm2_epid_port", "malformed_epid", Start::Fresh,
     [](World&) { return holds(psm2_epid_port(0) == 0 && psm2_epid_port(0x7) == 0); }, kHolds, H,
     Handler::Silent, "choice: a malformed epid has no port"},
};

}  // namespace

std::span<const Row> core_rows() { return kRows; }

}  // namespace badinput
