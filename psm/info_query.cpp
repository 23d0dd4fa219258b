// psm2_info_query: every query type either answers or returns
// PSM2_PARAM_ERR / PSM2_IQ_INVALID_QUERY with a message.
#include <cstring>
#include <string_view>

#include "hal/units.h"
#include "psm/api_lock.h"
#include "psm/c_enum.h"
#include "psm/endpoint.h"
#include "psm/error.h"

namespace {

psm2_error_t bad(const char* msg) { return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_info_query: %s", msg); }

// Connection queries take (mq, epaddr[, ...]); returns the peer's epaddr.
psm2_epaddr_t conn_arg(size_t nargs, size_t need, psm2_info_query_arg_t args[], psm2_error_t* err) {
    if (nargs < need || args == nullptr) {
        *err = bad("this query needs an mq and an epaddr argument");
        return nullptr;
    }
    psm2_epaddr_t a = psm::find_live_epaddr(args[1].epaddr);
    if (a == nullptr || a->dev == nullptr) {
        *err = bad("epaddr argument is not a connected peer");
        return nullptr;
    }
    *err = PSM2_OK;
    return a;
}

uint32_t config_of(std::string_view dev) {
    if (dev == "self") return PSM2_INFO_QUERY_CONFIG_SELF;
    if (dev == "shm") return PSM2_INFO_QUERY_CONFIG_AMSH;
    return PSM2_INFO_QUERY_CONFIG_IPS | PSM2_INFO_QUERY_CONFIG_PIO | PSM2_INFO_QUERY_CONFIG_DMA;
}

psm2_error_t copy_string(std::string_view s, void* out, size_t nargs, psm2_info_query_arg_t args[], size_t idx) {
    if (nargs <= idx || args == nullptr) return bad("missing output buffer length argument");
    size_t cap = args[idx].length;
    if (cap == 0) return bad("output buffer length is 0");
    size_t n = s.size() < cap - 1 ? s.size() : cap - 1;
    std::memcpy(out, s.data(), n);
    static_cast<char*>(out)[n] = '\0';
    return PSM2_OK;
}

}  // namespace

extern "C" psm2_error_t psm2_info_query(psm2_info_query_t query, void* out, size_t nargs,
                                        psm2_info_query_arg_t args[]) {
    psm::ApiGuard g;
    const int q = psm::c_enum_value(query);   // any int from a C caller
    if (out == nullptr) return bad("NULL output pointer");
    auto* out32 = static_cast<uint32_t*>(out);
    switch (q) {
    case PSM2_INFO_QUERY_NUM_UNITS:
        *out32 = static_cast<uint32_t>(psm::hal::discover_units().size());
        return PSM2_OK;
    case PSM2_INFO_QUERY_NUM_PORTS: {
        auto units = psm::hal::discover_units();
        *out32 = units.empty() ? 0 : units.front().ports;
        return PSM2_OK;
    }
    case PSM2_INFO_QUERY_UNIT_STATUS:
    case PSM2_INFO_QUERY_UNIT_PORT_STATUS:
    case PSM2_INFO_QUERY_NUM_FREE_CONTEXTS:
    case PSM2_INFO_QUERY_NUM_CONTEXTS: {
        size_t need = q == PSM2_INFO_QUERY_UNIT_PORT_STATUS ? 2 : 1;
        if (nargs < need || args == nullptr) return bad("this query needs a unit (and port) argument");
        auto units = psm::hal::discover_units();
        uint32_t unit = args[0].unit;
        if (unit >= units.size())
            return psm::raise(nullptr, PSM2_EP_UNIT_NOT_FOUND, "psm2_info_query: unit %u does not exist (%zu units)",
                              unit, units.size());
        const auto& u = units[unit];
        if (q == PSM2_INFO_QUERY_UNIT_STATUS) *out32 = u.port_active ? 1 : 0;
        else if (q == PSM2_INFO_QUERY_UNIT_PORT_STATUS) {
            uint32_t port = args[1].port;
            if (port < 1 || port > u.ports)
                return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_info_query: port %u of unit %u does not exist",
                                  port, unit);
            *out32 = u.port_active ? 1 : 0;
        } else if (q == PSM2_INFO_QUERY_NUM_FREE_CONTEXTS) *out32 = u.free_contexts;
        else *out32 = u.contexts;
        return PSM2_OK;
    }
    case PSM2_INFO_QUERY_CONFIG: {
        psm2_error_t err;
        psm2_epaddr_t a = conn_arg(nargs, 2, args, &err);
        if (!a) return err;
        *out32 = config_of(a->dev->name());
        return PSM2_OK;
    }
    case PSM2_INFO_QUERY_THRESH: {
        psm2_error_t err;
        psm2_epaddr_t a = conn_arg(nargs, 3, args, &err);
        if (!a) return err;
        psm::hal::Limits lim = a->dev->limits();
        bool ips = (config_of(a->dev->name()) & PSM2_INFO_QUERY_CONFIG_IPS) != 0;
        switch (psm::c_enum_value(args[2].mstq)) {
        case PSM2_INFO_QUERY_THRESH_IPS_RNDV:
            if (!ips) break;
            *out32 = lim.rndv_threshold;
            return PSM2_OK;
        case PSM2_INFO_QUERY_THRESH_IPS_PIO_FRAG_SIZE:
        case PSM2_INFO_QUERY_THRESH_IPS_DMA_FRAG_SIZE:
            if (!ips) break;
            *out32 = lim.mtu;
            return PSM2_OK;
        case PSM2_INFO_QUERY_THRESH_IPS_TINY:
            if (!ips) break;
            *out32 = 8;
            return PSM2_OK;
        case PSM2_INFO_QUERY_THRESH_IPS_PIO_DMA:
            if (!ips) break;
            *out32 = 16384;
            return PSM2_OK;
        default: break;
        }
        return psm::raise(nullptr, PSM2_IQ_INVALID_QUERY,
                          "psm2_info_query: threshold query %d does not apply to a %.*s connection",
                          psm::c_enum_value(args[2].mstq), static_cast<int>(a->dev->name().size()),
                          a->dev->name().data());
    }
    case PSM2_INFO_QUERY_DEVICE_NAME: {
        psm2_error_t err;
        psm2_epaddr_t a = conn_arg(nargs, 3, args, &err);
        if (!a) return err;
        return copy_string(a->dev->name(), out, nargs, args, 2);
    }
    case PSM2_INFO_QUERY_MTU: {
        psm2_error_t err;
        psm2_epaddr_t a = conn_arg(nargs, 2, args, &err);
        if (!a) return err;
        *out32 = a->dev->limits().mtu;
        return PSM2_OK;
    }
    case PSM2_INFO_QUERY_LINK_SPEED: {
        psm2_error_t err;
        psm2_epaddr_t a = conn_arg(nargs, 2, args, &err);
        if (!a) return err;
        *out32 = a->dev->limits().link_speed_mbps;
        return PSM2_OK;
    }
    case PSM2_INFO_QUERY_NETWORK_TYPE:
        return copy_string("Intel(R) Omni-Path", out, nargs, args, 0);
    case PSM2_INFO_QUERY_FEATURE_MASK:
        *out32 = 0;   // no CUDA support in this build
        return PSM2_OK;
    default:
        return psm::raise(nullptr, PSM2_IQ_INVALID_QUERY, "psm2_info_query: unknown query %d", q);
    }
}
