// Per-peer user data, labels, and epid lookups.
#include <unistd.h>

#include "psm/api_lock.h"
#include "psm/endpoint.h"
#include "psm/epid.h"
#include "psm/error.h"
#include "psm/library.h"

namespace {
// Membership, not a magic number: these calls are rare and a stale or
// foreign pointer must never be dereferenced.
bool live(psm2_epaddr_t a) { return psm::find_live_epaddr(a) != nullptr; }
}  // namespace

extern "C" void psm2_epaddr_setlabel(psm2_epaddr_t epaddr, const char* label) {
    psm::ApiGuard g;
    if (!live(epaddr)) return;
    epaddr->label = label ? label : "";
}

extern "C" void psm2_epaddr_setctxt(psm2_epaddr_t epaddr, void* ctxt) {
    psm::ApiGuard g;
    if (!live(epaddr)) return;
    epaddr->user_ctxt = ctxt;
}

extern "C" void* psm2_epaddr_getctxt(psm2_epaddr_t epaddr) {
    psm::ApiGuard g;
    if (!live(epaddr)) return nullptr;
    return epaddr->user_ctxt;
}

extern "C" psm2_error_t psm2_epaddr_to_epid(psm2_epaddr_t epaddr, psm2_epid_t* epid) {
    psm::ApiGuard g;
    if (!live(epaddr) || epid == nullptr)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_epaddr_to_epid: invalid epaddr or NULL epid");
    *epid = epaddr->epid;
    return PSM2_OK;
}

namespace {
psm2_error_t lookup_in(psm2_ep_t ep, psm2_epid_t epid, psm2_epconn_t* out) {
    auto it = ep->peers.find(epid);
    if (it == ep->peers.end()) return PSM2_EPID_UNKNOWN;
    out->addr = it->second.get();
    out->ep = ep;
    out->mq = psm::mq::as_mq(ep->engine);
    return PSM2_OK;
}
}  // namespace

extern "C" psm2_error_t psm2_ep_epid_lookup(psm2_epid_t epid, psm2_epconn_t* epconn) {
    psm::ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_ep_epid_lookup"); e != PSM2_OK) return e;
    if (epconn == nullptr) return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_epid_lookup: NULL epconn");
    if (psm::library().endpoints.empty())
        return psm::raise(nullptr, PSM2_EP_WAS_CLOSED, "psm2_ep_epid_lookup: no endpoint is open");
    for (psm2_ep_t ep : psm::library().endpoints)
        if (lookup_in(ep, epid, epconn) == PSM2_OK) return PSM2_OK;
    // Not an error worth the handler: callers use this to ask "connected yet?".
    return PSM2_EPID_UNKNOWN;
}

extern "C" psm2_error_t psm2_ep_epid_lookup2(psm2_ep_t ep, psm2_epid_t epid, psm2_epconn_t* epconn) {
    psm::ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_ep_epid_lookup2"); e != PSM2_OK) return e;
    // psm2.h: PSM2_EP_WAS_CLOSED for an endpoint that is closed or does not exist.
    if (!psm::is_live_endpoint(ep))
        return psm::raise(nullptr, PSM2_EP_WAS_CLOSED, "psm2_ep_epid_lookup2: %p is not an open endpoint",
                          static_cast<void*>(ep));
    if (epconn == nullptr) return psm::raise(ep, PSM2_PARAM_ERR, "psm2_ep_epid_lookup2: NULL epconn");
    return lookup_in(ep, epid, epconn);
}

extern "C" psm2_error_t psm2_ep_epid_share_memory(psm2_ep_t ep, psm2_epid_t epid, int* result) {
    psm::ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_ep_epid_share_memory"); e != PSM2_OK) return e;
    if (!psm::is_live_endpoint(ep)) return psm::raise_stale_handle(ep, "psm2_ep_epid_share_memory", "endpoint");
    if (result == nullptr) return psm::raise(ep, PSM2_PARAM_ERR, "psm2_ep_epid_share_memory: NULL result");
    if (!psm::epid::is_valid(epid))   // psm2.h: PSM2_EPID_UNKNOWN if the epid is not recognized
        return psm::raise(ep, PSM2_EPID_UNKNOWN, "psm2_ep_epid_share_memory: malformed epid 0x%llx",
                          static_cast<unsigned long long>(epid));
    // Same host when both are shm-only (no fabric: one node), or when the
    // LIDs match (same HFI, hence same host).
    bool mine_shm = psm::epid::is_shm_only(ep->epid), theirs_shm = psm::epid::is_shm_only(epid);
    if (mine_shm || theirs_shm) *result = 1;
    else *result = psm::epid::lid(ep->epid) == psm::epid::lid(epid);
    return PSM2_OK;
}
