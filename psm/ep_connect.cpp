// psm2_ep_connect / disconnect: choose a device per peer, in PSM2_DEVICES
// order, and create the epaddr the engine uses for it.
#include <cinttypes>
#include <string>

#include "hal/env.h"
#include "hal/log.h"
#include "psm/api_lock.h"
#include "psm/endpoint.h"
#include "psm/epid.h"
#include "psm/error.h"
#include "psm/library.h"

namespace {

psm2_error_t connect_one(psm2_ep_t ep, psm2_epid_t epid, int64_t timeout_ns, psm2_epaddr_t* out) {
    if (!psm::epid::is_valid(epid)) return PSM2_EPID_INVALID_VERSION;
    if (auto it = ep->peers.find(epid); it != ep->peers.end()) {
        *out = it->second.get();
        return PSM2_OK;
    }
    psm2_error_t last = PSM2_EPID_UNREACHABLE;
    for (auto& dev : ep->devices) {
        if (!dev->reaches(epid)) continue;
        psm::hal::Conn* conn = nullptr;
        psm2_error_t err = dev->connect(epid, timeout_ns, &conn);
        if (err != PSM2_OK) {
            psm::log::trace(psm::log::kDevices, "connect 0x%" PRIx64 " over %.*s: %s", epid,
                            static_cast<int>(dev->name().size()), dev->name().data(),
                            psm2_error_get_string(err));
            last = err;
            continue;
        }
        // The device may already have adopted this peer from inbound traffic.
        if (conn->peer_cookie) {
            *out = static_cast<psm2_epaddr_t>(conn->peer_cookie);
            return PSM2_OK;
        }
        psm2_epaddr* addr = psm::adopt_peer(ep, dev.get(), *conn);
        *out = addr;
        psm::log::trace(psm::log::kDevices, "connected 0x%" PRIx64 " over %.*s", epid,
                        static_cast<int>(dev->name().size()), dev->name().data());
        return PSM2_OK;
    }
    return last;
}

}  // namespace

extern "C" psm2_error_t psm2_ep_connect(psm2_ep_t ep, int num_of_epid, const psm2_epid_t* array_of_epid,
                                        const int* array_of_epid_mask, psm2_error_t* array_of_errors,
                                        psm2_epaddr_t* array_of_epaddr, int64_t timeout) {
    psm::ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_ep_connect"); e != PSM2_OK) return e;
    if (!psm::is_live_endpoint(ep)) return psm::raise_stale_handle(ep, "psm2_ep_connect", "endpoint");
    if (num_of_epid < 0 || (num_of_epid > 0 && (!array_of_epid || !array_of_errors || !array_of_epaddr)))
        return psm::raise(ep, PSM2_PARAM_ERR, "psm2_ep_connect: bad count %d or NULL array", num_of_epid);

    // The environment overrides the caller, as in the original (seconds).
    int64_t env_s = psm::env::get_int("PSM2_CONNECT_TIMEOUT");
    if (env_s > 0) timeout = env_s * 1'000'000'000;

    psm2_error_t first_err = PSM2_OK;
    int failed = 0;
    std::string detail;
    for (int i = 0; i < num_of_epid; ++i) {
        if (array_of_epid_mask && !array_of_epid_mask[i]) continue;
        array_of_epaddr[i] = nullptr;
        psm2_error_t err = connect_one(ep, array_of_epid[i], timeout, &array_of_epaddr[i]);
        array_of_errors[i] = err;
        if (err != PSM2_OK) {
            if (first_err == PSM2_OK) first_err = err;
            if (++failed <= 4) {
                char buf[160];
                snprintf(buf, sizeof buf, " [%d] epid 0x%" PRIx64 ": %s;", i, array_of_epid[i],
                         psm2_error_get_string(err));
                detail += buf;
            }
        }
    }
    if (first_err != PSM2_OK)
        return psm::raise(ep, first_err, "psm2_ep_connect: %d of %d endpoints failed (devices %s):%s",
                          failed, num_of_epid, psm::env::get_str("PSM2_DEVICES").c_str(), detail.c_str());
    return PSM2_OK;
}

extern "C" psm2_error_t psm2_ep_disconnect2(psm2_ep_t ep, int num_of_epaddr, psm2_epaddr_t* array_of_epaddr,
                                            const int* array_of_epaddr_mask, psm2_error_t* array_of_errors,
                                            int mode, int64_t /*timeout*/) {
    psm::ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_ep_disconnect"); e != PSM2_OK) return e;
    if (!psm::is_live_endpoint(ep)) return psm::raise_stale_handle(ep, "psm2_ep_disconnect", "endpoint");
    if (mode != PSM2_EP_DISCONNECT_GRACEFUL && mode != PSM2_EP_DISCONNECT_FORCE)
        return psm::raise(ep, PSM2_PARAM_ERR, "psm2_ep_disconnect: unknown mode %d", mode);
    if (num_of_epaddr < 0 || (num_of_epaddr > 0 && (!array_of_epaddr || !array_of_errors)))
        return psm::raise(ep, PSM2_PARAM_ERR, "psm2_ep_disconnect: bad count or NULL array");
    psm2_error_t first_err = PSM2_OK;
    for (int i = 0; i < num_of_epaddr; ++i) {
        if (array_of_epaddr_mask && !array_of_epaddr_mask[i]) continue;
        // Membership before any dereference: the caller's pointer may be
        // stale (disconnected, or of a closed endpoint) or not an address.
        psm2_epaddr_t a = psm::find_live_epaddr(array_of_epaddr[i]);
        auto it = a ? ep->peers.find(a->epid) : ep->peers.end();
        if (it == ep->peers.end() || it->second.get() != a) {
            array_of_errors[i] = PSM2_EPID_UNKNOWN;
            if (first_err == PSM2_OK) first_err = PSM2_EPID_UNKNOWN;
            continue;
        }
        if (mode == PSM2_EP_DISCONNECT_GRACEFUL) {
            // Let sends already handed to the device leave before the
            // connection goes away.
            for (int k = 0; k < 16; ++k) psm::mq::progress(ep->engine);
        }
        psm::remove_peer(ep, a);
        array_of_errors[i] = PSM2_OK;
    }
    if (first_err != PSM2_OK)
        return psm::raise(ep, first_err, "psm2_ep_disconnect: an epaddr is not connected to this endpoint");
    return PSM2_OK;
}

extern "C" psm2_error_t psm2_ep_disconnect(psm2_ep_t ep, int num_of_epaddr, psm2_epaddr_t* array_of_epaddr,
                                           const int* array_of_epaddr_mask, psm2_error_t* array_of_errors,
                                           int64_t timeout) {
    return psm2_ep_disconnect2(ep, num_of_epaddr, array_of_epaddr, array_of_epaddr_mask, array_of_errors,
                               PSM2_EP_DISCONNECT_GRACEFUL, timeout);
}
