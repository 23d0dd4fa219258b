// What the multirail device (rails.h) needs from each rail's protocol: the
// handshake introduces an endpoint's other rails, and a rendezvous announced
// on rail 0 can be served on the other rails as well - the sender exposes
// its buffer there under the same id, the receiver asks each rail for a
// range of it.
#include <algorithm>
#include <cstring>

#include "hal/ips/epid.h"
#include "hal/ips/ips_device_impl.h"

namespace psm::hal::ips {

void IpsDevice::set_rail_epids(const psm2_epid_t* epids, uint32_t count) {
    my_probe_.extra_rails = std::min(count, kMaxExtraRails);
    for (uint32_t i = 0; i < my_probe_.extra_rails; ++i) my_probe_.rail_epids[i] = epids[i];
}

void IpsDevice::note_peer_rails(IpsConn& c, const uint8_t* payload, uint32_t len) {
    c.peer_extra_rails = 0;
    if (len != sizeof(ConnectPayload)) return;
    ConnectPayload cp;
    std::memcpy(&cp, payload, sizeof cp);
    uint32_t n = std::min(cp.extra_rails, kMaxExtraRails);
    for (uint32_t i = 0; i < n; ++i) {
        if (!epid_is_hfi(cp.rail_epids[i])) return;   // malformed: treat the peer as single rail
        c.peer_rails[i] = cp.rail_epids[i];
    }
    c.peer_extra_rails = n;
}

IpsConn* IpsDevice::find_connected(psm2_epid_t epid) {
    auto it = by_epid_.find(epid);
    if (it == by_epid_.end()) return nullptr;
    IpsConn* c = conns_[it->second].get();
    return c->state == IpsConn::kConnected ? c : nullptr;
}

psm2_error_t IpsDevice::expose(Conn& conn, uint32_t id, const void* buf, uint32_t len) {
    IpsConn* c;
    if (psm2_error_t err = check_conn(conn, &c)) return err;
    if (send_rndv_.count(id)) return PSM2_INTERNAL_ERR;   // ids come from rail 0, unique there
    send_rndv_[id] = SendRndv{c, static_cast<const uint8_t*>(buf), len, 0, 0, UINT64_MAX};
    ++c->rndv_pending;
    activate(*c);   // watched for the peer's liveness while exposed
    return PSM2_OK;
}

void IpsDevice::withdraw(uint32_t id) {
    auto it = send_rndv_.find(id);
    if (it == send_rndv_.end()) return;
    IpsConn& c = *it->second.conn;
    --c.rndv_pending;
    send_rndv_.erase(it);
    // The user's buffer may be freed from now on: what is still queued of
    // this exposure (only ever a resend: the receiver has the data) keeps
    // its PSN but carries nothing.
    for (Pending& p : c.q) {
        if (p.rndv_id != id) continue;
        p.rndv_id = 0;
        p.data_len = 0;
        p.payload = nullptr;
        p.ih.paylen = 0;
        p.ih.msg_len = 0;
    }
}

}  // namespace psm::hal::ips
