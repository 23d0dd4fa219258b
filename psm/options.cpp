// psm2_setopt / psm2_getopt: the component-generic option interface. MQ
// options are forwarded to psm2_mq_setopt/getopt, AM options are read-only
// views of psm2_am_get_parameters.
#include <cstring>

#include "hal/log.h"
#include "psm/api_lock.h"
#include "psm/c_enum.h"
#include "psm/endpoint.h"
#include "psm/error.h"
#include "psm/library.h"

namespace {

uint32_t g_debug_mask = 0;

bool live_addr(const void* obj) { return psm::find_live_epaddr(obj) != nullptr; }

psm2_error_t need_len(uint64_t have, uint64_t need, const char* what) {
    if (have < need)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "%s: option length %llu, need %llu", what,
                          static_cast<unsigned long long>(have), static_cast<unsigned long long>(need));
    return PSM2_OK;
}

// psm2_getopt with an output buffer smaller than the value: psm2.h says
// PSM2_NO_MEMORY, with *optlen set to the size needed.
psm2_error_t out_too_small(uint64_t* optlen, uint64_t need, const char* what) {
    if (*optlen >= need) return PSM2_OK;
    unsigned long long have = *optlen;
    *optlen = need;
    return psm::raise(nullptr, PSM2_NO_MEMORY, "%s: output buffer of %llu bytes, need %llu", what, have,
                      static_cast<unsigned long long>(need));
}

psm2_ep_t ep_for_am(const void* obj) {
    auto* ep = static_cast<psm2_ep_t>(const_cast<void*>(obj));
    if (psm::is_live_endpoint(ep)) return ep;
    const auto& eps = psm::library().endpoints;
    return eps.empty() ? nullptr : eps.front();
}

}  // namespace

extern "C" psm2_error_t psm2_setopt(psm2_component_t component_arg, const void* obj, int optname,
                                    const void* optval, uint64_t optlen) {
    psm::ApiGuard g;
    const int component = psm::c_enum_value(component_arg);   // any int from a C caller
    if (optval == nullptr) return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_setopt: NULL value");
    switch (component) {
    case PSM2_COMPONENT_CORE:
        if (optname == PSM2_CORE_OPT_DEBUG) {
            if (psm2_error_t e = need_len(optlen, sizeof(uint32_t), "psm2_setopt(DEBUG)")) return e;
            std::memcpy(&g_debug_mask, optval, sizeof g_debug_mask);
            return PSM2_OK;
        }
        if (optname == PSM2_CORE_OPT_EP_CTXT) {
            if (!live_addr(obj))
                return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_setopt(EP_CTXT): object is not an epaddr");
            static_cast<psm2_epaddr*>(const_cast<void*>(obj))->user_ctxt = const_cast<void*>(optval);
            return PSM2_OK;
        }
        break;
    case PSM2_COMPONENT_IB:
        // One service level on a simulated or single-SL fabric: accepted
        // and remembered nowhere, as the device has no SL to change.
        if (optname == PSM2_IB_OPT_DF_SL || optname == PSM2_IB_OPT_EP_SL) {
            if (psm2_error_t e = need_len(optlen, sizeof(uint32_t), "psm2_setopt(SL)")) return e;
            uint32_t sl;
            std::memcpy(&sl, optval, sizeof sl);
            if (sl > 15) return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_setopt: SL %u out of range", sl);
            return PSM2_OK;
        }
        break;
    case PSM2_COMPONENT_MQ:
        if (optname == PSM2_MQ_OPT_RNDV_IB_SZ || optname == PSM2_MQ_OPT_RNDV_SHM_SZ ||
            optname == PSM2_MQ_OPT_SYSBUF_MYBYTES) {
            if (psm2_error_t e = need_len(optlen, sizeof(uint32_t), "psm2_setopt(MQ)")) return e;
            return psm2_mq_setopt(static_cast<psm2_mq_t>(const_cast<void*>(obj)), optname, optval);
        }
        break;
    case PSM2_COMPONENT_AM:
        if (optname == PSM2_AM_OPT_FRAG_SZ || optname == PSM2_AM_OPT_NARGS || optname == PSM2_AM_OPT_HANDLERS)
            return psm::raise(nullptr, PSM2_OPT_READONLY, "psm2_setopt: AM option 0x%x is read-only", optname);
        break;
    default:
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_setopt: unknown component %d",
                          component);
    }
    return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_setopt: unknown option 0x%x for component %d", optname,
                      component);
}

extern "C" psm2_error_t psm2_getopt(psm2_component_t component_arg, const void* obj, int optname, void* optval,
                                    uint64_t* optlen) {
    psm::ApiGuard g;
    const int component = psm::c_enum_value(component_arg);   // any int from a C caller
    if (optval == nullptr || optlen == nullptr)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_getopt: NULL value or length");
    auto put_u32 = [&](uint32_t v, const char* what) -> psm2_error_t {
        if (psm2_error_t e = out_too_small(optlen, sizeof v, what)) return e;
        std::memcpy(optval, &v, sizeof v);
        *optlen = sizeof v;
        return PSM2_OK;
    };
    switch (component) {
    case PSM2_COMPONENT_CORE:
        if (optname == PSM2_CORE_OPT_DEBUG) return put_u32(g_debug_mask, "psm2_getopt(DEBUG)");
        if (optname == PSM2_CORE_OPT_EP_CTXT) {
            if (!live_addr(obj))
                return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_getopt(EP_CTXT): object is not an epaddr");
            if (psm2_error_t e = out_too_small(optlen, sizeof(void*), "psm2_getopt(EP_CTXT)")) return e;
            void* ctx = static_cast<const psm2_epaddr*>(obj)->user_ctxt;
            std::memcpy(optval, &ctx, sizeof ctx);
            *optlen = sizeof(void*);
            return PSM2_OK;
        }
        break;
    case PSM2_COMPONENT_IB:
        if (optname == PSM2_IB_OPT_DF_SL || optname == PSM2_IB_OPT_EP_SL) return put_u32(0, "psm2_getopt(SL)");
        break;
    case PSM2_COMPONENT_MQ:
        if (optname == PSM2_MQ_OPT_RNDV_IB_SZ || optname == PSM2_MQ_OPT_RNDV_SHM_SZ ||
            optname == PSM2_MQ_OPT_SYSBUF_MYBYTES) {
            if (psm2_error_t e = out_too_small(optlen, sizeof(uint32_t), "psm2_getopt(MQ)")) return e;
            *optlen = sizeof(uint32_t);
            return psm2_mq_getopt(static_cast<psm2_mq_t>(const_cast<void*>(obj)), optname, optval);
        }
        break;
    case PSM2_COMPONENT_AM: {
        if (optname != PSM2_AM_OPT_FRAG_SZ && optname != PSM2_AM_OPT_NARGS && optname != PSM2_AM_OPT_HANDLERS)
            break;
        psm2_ep_t ep = ep_for_am(obj);
        if (ep == nullptr)
            return psm::raise(nullptr, PSM2_EP_WAS_CLOSED, "psm2_getopt(AM): no endpoint is open");
        psm2_am_parameters params{};
        size_t out = 0;
        if (psm2_error_t e = psm2_am_get_parameters(ep, &params, sizeof params, &out)) return e;
        uint32_t v = optname == PSM2_AM_OPT_FRAG_SZ ? params.max_request_short
                     : optname == PSM2_AM_OPT_NARGS ? params.max_nargs
                                                    : params.max_handlers;
        return put_u32(v, "psm2_getopt(AM)");
    }
    default:
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_getopt: unknown component %d",
                          component);
    }
    return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_getopt: unknown option 0x%x for component %d", optname,
                      component);
}
