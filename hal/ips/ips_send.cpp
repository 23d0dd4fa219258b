// Sending side of the reliable protocol: building packets, the send queue
// and window, eager/RTS/AM/pull requests from the engine, acks releasing the
// queue, and the timers that retransmit.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "hal/hfi/context.h"
#include "hal/ips/epid.h"
#include "hal/ips/ips_device_impl.h"
#include "hal/log.h"

namespace psm::hal::ips {

// ---- sending ------------------------------------------------------------

psm2_error_t IpsDevice::transmit(IpsConn& c, uint8_t opcode, const IpsHeader& ih_in, uint32_t psn,
                                 const uint8_t* payload, uint32_t len, bool expected, uint16_t tid,
                                 uint16_t tid_offset, bool ack_now) {
    const auto& info = ctx_->info();
    hfi::WireHeader wh;
    wh.dlid = c.route.dlid;
    wh.slid = info.lid;
    wh.opcode = opcode;
    wh.pkey = info.pkey;
    wh.context = uint8_t(c.route.context);
    wh.bthqp = info.bthqp;
    wh.psn = psn;
    // AckReq: every quarter window, and on packets whose ack completes
    // something the sender waits for (the receiver then acks at once).
    wh.ack_req = ack_now || (set_.window >= 8 && (psn % (set_.window / 4)) == 0);
    wh.jkey = info.jkey;
    if (expected) {
        wh.tid = tid;
        wh.offset = tid_offset;
        wh.om = true;
        wh.tid_ctrl = 1;
    }
    uint32_t padded = (len + gen_.l4_align - 1) / gen_.l4_align * gen_.l4_align;
    wh.pad = uint8_t((padded - len) & 3);
    IpsHeader ih = ih_in;
    ih.paylen = len;
    if (c.peer_conn != kNoConn && opcode != kOpConnectReq) ih.dst_conn = c.peer_conn;
    ih.src_conn = c.index;
    ih.ack_psn = c.rx.expected();
    gen_.encode(wh, uint32_t(sizeof(IpsHeader)) + padded, txbuf_.data());
    std::memcpy(txbuf_.data() + gen_.header_bytes, &ih, sizeof ih);
    psm2_error_t err = ctx_->send(c.route, txbuf_.data(), gen_.header_bytes + uint32_t(sizeof ih),
                                  payload, len);
    stats_.packets_sent += err == PSM2_OK;
    if (err == PSM2_OK && c.state == IpsConn::kConnected) c.rx.ack_sent();   // the ack rode along
    return err;
}

void IpsDevice::send_control(IpsConn& c, uint8_t opcode, IpsHeader ih) {
    // Unsequenced and best effort: a lost ack is covered by the next one or
    // by the sender's retransmission.
    transmit(c, opcode, ih, 0, nullptr, 0);
}

psm2_error_t IpsDevice::queue(IpsConn& c, Pending&& p, uint32_t payload_len) {
    p.psn = c.tx.assign();
    p.ih.paylen = payload_len;
    c.q.push_back(std::move(p));
    activate(c);
    return PSM2_OK;
}

void IpsDevice::service_active(uint64_t now, const IpsConn* skip) {
    for (size_t i = 0; i < active_.size();) {
        IpsConn* c = active_[i];
        if (c != skip) service_timers(*c, now);
        bool idle = c->state != IpsConn::kConnected ||
                    (c->q.empty() && !c->rx.ack_due() && c->rndv_pending == 0 && !c->gap_since_ns);
        if (idle && c != skip) {
            c->active = false;
            active_[i] = active_.back();
            active_.pop_back();
        } else {
            ++i;
        }
    }
}

void IpsDevice::pump(IpsConn& c, uint64_t now) {
    // now == 0: read the clock only if something actually goes out.
    while (c.state == IpsConn::kConnected && c.tx.can_send()) {
        Pending& p = c.q[c.tx.sent()];
        psm2_error_t err = transmit(c, p.opcode, p.ih, p.psn, p.payload, p.ih.paylen, p.expected,
                                    p.tid, p.tid_offset, p.ack_now);
        if (err == PSM2_EP_NO_RESOURCES) return;   // receiver's queue full: later
        if (err != PSM2_OK) {
            if (!ctx_->peer_alive(c.route)) lose_peer(c, PSM2_EPID_UNREACHABLE);
            return;
        }
        if (now == 0) now = now_ns();
        c.tx.mark_sent(now);
    }
}

psm2_error_t IpsDevice::send_eager(Conn& conn, const Tag96& tag, const void* buf, uint32_t len) {
    IpsConn* c;
    if (psm2_error_t err = check_conn(conn, &c)) return err;
    if (c->queued_bytes > set_.max_queued_bytes) {
        pump(*c, 0);
        return PSM2_EP_NO_RESOURCES;
    }
    if (len <= Pending::kInlineBytes) {
        // Small message: its bytes ride inside the queue entry, no allocation.
        Pending p;
        p.opcode = kOpShort;
        std::memcpy(p.ih.tag, tag.w, sizeof p.ih.tag);
        p.ih.msg_len = len;
        if (len) std::memcpy(p.inline_bytes, buf, len);
        queue(*c, std::move(p), len);
        c->q.back().payload = c->q.back().inline_bytes;   // deque entries do not move
        pump(*c, 0);
        return PSM2_OK;
    }
    std::shared_ptr<uint8_t[]> copy;
    try {
        copy = std::make_shared_for_overwrite<uint8_t[]>(len);   // one allocation
    } catch (const std::bad_alloc&) {
        return PSM2_NO_MEMORY;
    }
    std::memcpy(copy.get(), buf, len);
    uint32_t off = 0;
    do {
        uint32_t n = std::min(len - off, set_.mtu);
        Pending p;
        p.opcode = len <= set_.mtu ? kOpShort : kOpEager;
        std::memcpy(p.ih.tag, tag.w, sizeof p.ih.tag);
        p.ih.msg_len = len;
        p.ih.offset = off;
        p.payload = copy.get() + off;
        p.owned = copy;
        queue(*c, std::move(p), n);
        off += n;
    } while (off < len);
    c->queued_bytes += len;
    pump(*c, 0);
    return PSM2_OK;
}

psm2_error_t IpsDevice::send_rts(Conn& conn, const Tag96& tag, const void* buf, uint32_t len,
                                 uint64_t send_cookie) {
    uint32_t id;
    return send_rts_striped(conn, tag, buf, len, send_cookie, 0, &id);
}

psm2_error_t IpsDevice::send_rts_striped(Conn& conn, const Tag96& tag, const void* buf, uint32_t len,
                                         uint64_t send_cookie, uint32_t rail_mask, uint32_t* id_out) {
    IpsConn* c;
    if (psm2_error_t err = check_conn(conn, &c)) return err;
    uint32_t id = next_rndv_id_++;
    if (next_rndv_id_ == 0) next_rndv_id_ = 1;
    send_rndv_[id] = SendRndv{c, static_cast<const uint8_t*>(buf), len, send_cookie, 0, UINT64_MAX};
    ++c->rndv_pending;
    Pending p;
    p.opcode = kOpLongRts;
    std::memcpy(p.ih.tag, tag.w, sizeof p.ih.tag);
    p.ih.msg_len = len;
    p.ih.offset = rail_mask;
    p.ih.aux0 = id;
    queue(*c, std::move(p), 0);
    *id_out = id;
    pump(*c, 0);
    return PSM2_OK;
}

psm2_error_t IpsDevice::send_am(Conn& conn, const AmPacket& pkt) {
    IpsConn* c;
    if (psm2_error_t err = check_conn(conn, &c)) return err;
    uint32_t args = pkt.nargs * uint32_t(sizeof(psm2_amarg_t));
    if (pkt.nargs > 8 || args + pkt.len > set_.mtu) return PSM2_PARAM_ERR;
    std::shared_ptr<uint8_t[]> copy(new (std::nothrow) uint8_t[args + pkt.len + 1]);
    if (!copy) return PSM2_NO_MEMORY;
    if (args) std::memcpy(copy.get(), pkt.args, args);
    if (pkt.len) std::memcpy(copy.get() + args, pkt.payload, pkt.len);
    Pending p;
    p.opcode = pkt.is_reply ? kOpAmReply : kOpAmRequest;
    p.ih.aux0 = pkt.handler | pkt.nargs << 16;
    p.ih.aux1 = pkt.flags;
    p.ih.msg_len = pkt.len;
    p.payload = copy.get();
    p.owned = copy;
    p.am_completion = pkt.completion;
    p.ack_now = pkt.completion != 0;   // the sender waits for this ack
    queue(*c, std::move(p), args + pkt.len);
    c->queued_bytes += args + pkt.len;
    pump(*c, 0);
    return PSM2_OK;
}

psm2_error_t IpsDevice::pull(Conn& conn, const RndvToken& token, void* dst, uint32_t len,
                             uint64_t recv_cookie) {
    if (uint32_t(token.w[3]) != kTokenMagic || token.w[2] != static_cast<IpsConn&>(conn).index)
        return PSM2_PARAM_ERR;
    uint32_t n = std::min(len, token_len(token));
    return pull_range(conn, token_sender_id(token), dst, 0, n, n, recv_cookie);
}

psm2_error_t IpsDevice::pull_range(Conn& conn, uint32_t sender_id, void* dst, uint32_t begin, uint32_t end,
                                   uint32_t declared, uint64_t recv_cookie) {
    IpsConn* c;
    if (psm2_error_t err = check_conn(conn, &c)) return err;
    uint32_t id = next_rndv_id_++;
    if (next_rndv_id_ == 0) next_rndv_id_ = 1;
    RecvRndv r;
    r.id = id;
    r.conn = c;
    r.sender_id = sender_id;
    r.dst = static_cast<uint8_t*>(dst);
    r.begin = r.next_offset = begin;
    r.len = end;
    r.declared = declared;
    r.cookie = recv_cookie;
    if (r.len <= r.begin) {
        // Nothing to move: tell the sender, complete here.
        Pending p;
        p.opcode = kOpLongCts;
        p.ih.aux0 = r.sender_id;
        p.ih.aux1 = id;
        p.ih.offset = begin;
        p.ih.tag[2] = declared;
        queue(*c, std::move(p), 0);
        Event e{Event::kPullDone};
        e.conn = c;
        e.cookie = recv_cookie;
        deferred_.push_back(std::move(e));
        pump(*c, 0);
        return PSM2_OK;
    }
    auto& stored = recv_rndv_[id] = std::move(r);
    ++c->rndv_pending;
    if (!announce_windows(stored)) cts_waiting_.push_back(id);
    pump(*c, 0);
    return PSM2_OK;
}

// ---- acks, timers, loss -------------------------------------------------

void IpsDevice::release_acked(IpsConn& c, uint32_t count) {
    for (uint32_t i = 0; i < count && !c.q.empty(); ++i) {
        Pending& p = c.q.front();
        if (p.owned) c.queued_bytes -= std::min<uint64_t>(c.queued_bytes, p.ih.paylen);
        if (p.am_completion) {
            Event e{Event::kAmDone};
            e.cookie = p.am_completion;
            emit(std::move(e));
        }
        if (p.rndv_id) {
            auto it = send_rndv_.find(p.rndv_id);
            if (it != send_rndv_.end()) {
                it->second.acked += p.data_len;
                if (it->second.acked >= it->second.total) {
                    Event e{Event::kSendDone};
                    e.conn = it->second.conn;
                    e.cookie = it->second.cookie;
                    --it->second.conn->rndv_pending;
                    send_rndv_.erase(it);
                    emit(std::move(e));
                }
            }
        }
        c.q.pop_front();
    }
}

void IpsDevice::service_timers(IpsConn& c, uint64_t now) {
    if (c.state != IpsConn::kConnected) return;
    if (c.tx.check_timeout(now)) {
        ++stats_.timeouts;
        log::trace(log::kProtocol, "hfi: retransmit to epid 0x%llx from psn %u (rto %llu ms)",
                   static_cast<unsigned long long>(c.epid), c.tx.oldest_unacked(),
                   static_cast<unsigned long long>(c.tx.current_rto() / kMs));
        if (!ctx_->peer_alive(c.route)) {
            lose_peer(c, PSM2_EPID_UNREACHABLE);
            return;
        }
    }
    // Checked at every visit, not only at retransmissions (which come every
    // 640 ms at full backoff), so the peer timeout is kept to a few ms.
    if (set_.peer_timeout_ns && c.tx.stalled_for(now) > set_.peer_timeout_ns) {
        lose_peer(c, PSM2_TIMEOUT);
        return;
    }
    if (c.rndv_pending && now - c.liveness_checked_ns > set_.timer.min_ns) {
        // A transfer can wait on the peer with nothing of ours in flight
        // (RTS acked, CTS not yet sent; or our CTS acked, data not yet sent):
        // only the peer's existence tells then whether to keep waiting.
        c.liveness_checked_ns = now;
        if (!ctx_->peer_alive(c.route)) {
            lose_peer(c, PSM2_EPID_UNREACHABLE);
            return;
        }
        // A peer on another host cannot be looked up: probe it. The probe is
        // retransmitted like data, so a dead peer runs into the peer timeout.
        if (set_.peer_timeout_ns && c.q.empty()) {
            Pending probe;
            probe.opcode = kOpErrChk;
            probe.ack_now = true;
            queue(c, std::move(probe), 0);
        }
    }
    if (c.gap_since_ns && now - c.gap_since_ns >= kNakDelayNs) {
        // Still waiting for the packet at the gap: ask for a resend from it.
        ++stats_.naks_sent;
        c.gap_since_ns = now;   // and again after another delay if need be
        IpsHeader nak{};
        send_control(c, kOpNak, nak);   // carries ack_psn = the PSN we wait for
    }
    pump(c, now);
    if (c.state == IpsConn::kConnected &&
        c.rx.ack_urgent(now, std::max(set_.window / 4, 1u), kAckDelayNs)) {
        IpsHeader ack{};
        ack.ack_psn = c.rx.expected();
        send_control(c, kOpAck, ack);
    }
}

}  // namespace psm::hal::ips
