// Connection setup and teardown of the reliable protocol: the handshake's
// active side, disconnect, and what happens when a peer is lost. (The
// passive side of the handshake is in ips_recv.cpp.)
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "hal/hfi/context.h"
#include "hal/ips/epid.h"
#include "hal/ips/ips_device_impl.h"
#include "hal/ips/process_devices.h"
#include "hal/log.h"

namespace psm::hal::ips {

// ---- connection setup -------------------------------------------------

void IpsDevice::send_connect_request(IpsConn& c, uint64_t now) {
    IpsHeader ih{};
    ih.src_conn = c.index;
    ih.dst_conn = kNoConn;
    std::memcpy(ih.tag, uuid_, 12);
    std::memcpy(&ih.msg_len, uuid_ + 12, 4);
    ih.offset = uint32_t(epid_);
    ih.aux0 = uint32_t(epid_ >> 32);
    ih.aux1 = uint32_t(gen_.gen);
    c.last_request_ns = now;
    transmit(c, kOpConnectReq, ih, 0, reinterpret_cast<const uint8_t*>(&my_probe_), sizeof my_probe_);
}

psm2_error_t IpsDevice::connect(psm2_epid_t epid, int64_t timeout_ns, Conn** out) {
    if (!reaches(epid)) return PSM2_EPID_UNREACHABLE;
    IpsConn* c = nullptr;
    if (auto it = by_epid_.find(epid); it != by_epid_.end()) {
        c = conns_[it->second].get();
        if (c->state == IpsConn::kConnected) {
            *out = c;
            return PSM2_OK;
        }
        if (c->state != IpsConn::kConnecting) c = nullptr;   // lost/closed: start afresh
    }
    if (!c) {
        c = new_conn(epid);
        ctx_->forget(c->route);
        if (!ctx_->peer_alive(c->route)) {
            c->state = IpsConn::kClosed;
            by_epid_.erase(epid);
            return PSM2_EPID_UNREACHABLE;
        }
    }
    int64_t limit = timeout_ns > 0 ? timeout_ns
                    : set_.connect_timeout_ns > 0 ? set_.connect_timeout_ns
                                                  : int64_t(kDefaultConnectTimeoutNs);
    uint64_t start = now_ns();
    bool was_deferring = defer_;
    defer_ = true;   // no upcalls from inside connect(); progress() delivers them
    psm2_error_t result = PSM2_TIMEOUT;
    send_connect_request(*c, start);
    for (int spins = 0;; ++spins) {
        poll_receive(kReceiveBudget);
        poll_other_devices(this);   // the peer may be waiting for one of them to answer
        uint64_t now = now_ns();
        if (c->refused != PSM2_OK) {
            result = c->refused;
            break;
        }
        if (c->state == IpsConn::kConnected) {
            result = PSM2_OK;
            break;
        }
        if (int64_t(now - start) >= limit) break;
        if (now - c->last_request_ns >= kConnectRetryNs) {
            if (!ctx_->peer_alive(c->route)) {
                result = PSM2_EPID_UNREACHABLE;
                break;
            }
            send_connect_request(*c, now);
        }
        service_active(now, c);
        if (spins > 64) sched_yield();
    }
    defer_ = was_deferring;
    if (result != PSM2_OK) {
        c->state = IpsConn::kClosed;
        by_epid_.erase(epid);
        return result;
    }
    *out = c;
    return PSM2_OK;
}

void IpsDevice::disconnect(Conn* conn) {
    auto* c = static_cast<IpsConn*>(conn);
    if (!c || c->state == IpsConn::kClosed) return;
    if (c->state == IpsConn::kConnected) {
        // Let what is queued reach the peer first (bounded: the peer may be gone).
        bool was_deferring = defer_;
        defer_ = true;
        uint64_t start = now_ns();
        while (!c->q.empty() && c->state == IpsConn::kConnected && now_ns() - start < kDisconnectDrainNs) {
            poll_receive(kReceiveBudget);
            service_timers(*c, now_ns());
            sched_yield();
        }
        defer_ = was_deferring;
        if (c->rx.ack_due()) {
            IpsHeader ack{};
            ack.ack_psn = c->rx.expected();
            send_control(*c, kOpAck, ack);
        }
        send_control(*c, kOpDisconnectReq, IpsHeader{});
    }
    // The engine already failed what it had pending toward this peer
    // (peer_removed comes first): drop ours without completions.
    lose_peer(*c, PSM2_EPID_UNREACHABLE, false);
    c->state = IpsConn::kClosed;
    c->peer_cookie = nullptr;
    if (auto it = by_epid_.find(c->epid); it != by_epid_.end() && it->second == c->index)
        by_epid_.erase(it);
}

void IpsDevice::lose_peer(IpsConn& c, psm2_error_t err, bool notify) {
    bool had_work = !c.q.empty();
    for (auto it = send_rndv_.begin(); it != send_rndv_.end();) {
        if (it->second.conn != &c) {
            ++it;
            continue;
        }
        if (notify) {
            Event e{Event::kSendDone};
            e.conn = &c;
            e.cookie = it->second.cookie;
            e.err = err;
            emit(std::move(e));
        }
        --c.rndv_pending;
        it = send_rndv_.erase(it);
        had_work = true;
    }
    for (auto it = recv_rndv_.begin(); it != recv_rndv_.end();) {
        if (it->second.conn != &c) {
            ++it;
            continue;
        }
        uint32_t id = it->first;
        ++it;
        if (notify) {
            finish_recv(id, err);
        } else {
            auto gone = recv_rndv_.find(id);
            for (auto& w : gone->second.windows) ctx_->tid_free(w.tid, w.tid_count);
            --c.rndv_pending;
            recv_rndv_.erase(gone);
        }
        had_work = true;
    }
    c.q.clear();
    c.queued_bytes = 0;
    c.ahead.clear();
    c.gap_since_ns = 0;
    c.tx = SendSeq(set_.window, set_.timer);
    bool was_connected = c.state == IpsConn::kConnected;
    c.state = IpsConn::kLost;
    if (notify && was_connected && had_work && err != PSM2_OK && c.peer_cookie) {
        log::trace(log::kDevices, "hfi: peer epid 0x%llx lost (%d)", static_cast<unsigned long long>(c.epid), err);
        Event e{Event::kPeerLost};
        e.conn = &c;
        e.err = err;
        emit(std::move(e));
    }
}

}  // namespace psm::hal::ips
