// Receive side of the reliable protocol: connection handshake, acks and
// naks, in-order acceptance, eager delivery and reassembly, rendezvous
// (CTS on the sender, data placement and completion on the receiver), AM.
#include <sys/uio.h>

#include <algorithm>
#include <cstring>

#include "hal/ips/epid.h"
#include "hal/ips/ips_device_impl.h"
#include "hal/log.h"

namespace psm::hal::ips {

namespace {

constexpr uint32_t kMaxOutstandingRndvBytes = 4u << 20;   // CTS windows in flight per receive
constexpr uint32_t kEagerReserveBytes = 1u << 20;         // up-front buffer of a multi-packet eager message

psm2_epid_t epid_from(const IpsHeader& ih) { return uint64_t(ih.aux0) << 32 | ih.offset; }

}  // namespace

void IpsDevice::handle_packet(const hfi::RecvPacket& pkt) {
    ++stats_.packets_received;
    if (pkt.errors || pkt.hdr_len < gen_.header_bytes + sizeof(IpsHeader)) {
        ++stats_.damaged;   // the sender's retransmission repairs it
        return;
    }
    hfi::WireHeader wh;
    if (!gen_.decode(pkt.hdr, &wh)) return;   // not ours (other generation / raw)
    IpsHeader ih;
    std::memcpy(&ih, pkt.hdr + gen_.header_bytes, sizeof ih);
    if (ih.paylen != pkt.payload_len) return;
    switch (wh.opcode) {
    case kOpConnectReq:
        handle_connect_request(wh, ih, pkt.payload, pkt.payload_len);
        return;
    case kOpConnectRep:
        handle_connect_reply(ih, pkt.payload, pkt.payload_len);
        return;
    default:
        break;
    }
    // Past the handshake only our own job talks to us: a packet with another
    // job's key (a peer that was refused, or a confused one) is dropped, as
    // the hardware's receive-side J_KEY check would.
    if (wh.jkey != ctx_->info().jkey) {
        ++stats_.foreign;
        return;
    }
    IpsConn* c = conn_at(ih.dst_conn);
    if (!c || c->state != IpsConn::kConnected || c->peer_conn != ih.src_conn) return;
    if (wh.opcode == kOpDisconnectReq) {
        // The peer closed: whatever was still under way toward it fails.
        lose_peer(*c, PSM2_EPID_UNREACHABLE);
        return;
    }
    uint64_t now = now_;
    uint32_t released = wh.opcode == kOpNak ? c->tx.on_nak(ih.ack_psn, now) : c->tx.on_ack(ih.ack_psn, now);
    if (released) release_acked(*c, released);
    if (wh.opcode == kOpAck || wh.opcode == kOpNak) return;
    switch (c->rx.on_packet(wh.psn, now)) {
    case RecvSeq::kAccept:
        activate(*c);   // an ack is due
        if (wh.ack_req) c->rx.ack_requested();
        handle_sequenced(*c, wh.opcode, wh, ih, pkt.payload, pkt.payload_len);
        if (!c->ahead.empty()) deliver_ahead(*c, now);
        break;
    case RecvSeq::kGap:
        ++stats_.out_of_order;
        if (psn_diff(wh.psn, c->rx.expected()) < int32_t(set_.window) && c->ahead.size() < set_.window &&
            !c->ahead.count(wh.psn)) {
            AheadPacket& a = c->ahead[wh.psn];
            a.wh = wh;
            a.ih = ih;
            a.opcode = wh.opcode;
            a.payload.assign(pkt.payload, pkt.payload + pkt.payload_len);
        }
        if (c->gap_since_ns == 0) c->gap_since_ns = now;
        activate(*c);   // the NAK timer runs from service_timers
        break;
    case RecvSeq::kDuplicate:
        ++stats_.duplicates;
        activate(*c);   // re-ack: our last ack may have been lost
        break;
    }
}

// The gap closed: hand up what waited behind it, in PSN order.
void IpsDevice::deliver_ahead(IpsConn& c, uint64_t now) {
    for (;;) {
        auto it = c.ahead.find(c.rx.expected());
        if (it == c.ahead.end() || c.state != IpsConn::kConnected) break;
        AheadPacket a = std::move(it->second);
        c.ahead.erase(it);
        c.rx.on_packet(a.wh.psn, now);
        handle_sequenced(c, a.opcode, a.wh, a.ih, a.payload.data(), uint32_t(a.payload.size()));
    }
    // Anything left is further ahead (another gap) or stale.
    for (auto it = c.ahead.begin(); it != c.ahead.end();)
        it = psn_diff(it->first, c.rx.expected()) <= 0 ? c.ahead.erase(it) : std::next(it);
    c.gap_since_ns = c.ahead.empty() ? 0 : now;
}

void IpsDevice::probe_peer_memory(IpsConn& c, const uint8_t* payload, uint32_t len) {
    c.can_read_peer = false;
    if (!cma_enabled_ || len != sizeof(ConnectPayload)) return;
    ConnectPayload cp;
    std::memcpy(&cp, payload, sizeof cp);
    if (cp.pid <= 0 || cp.pid == getpid()) return;   // another host's pid means nothing here
    psm2_epid_t seen = 0;
    iovec local{&seen, sizeof seen};
    iovec remote{reinterpret_cast<void*>(cp.probe_addr), sizeof seen};
    if (process_vm_readv(cp.pid, &local, 1, &remote, 1, 0) == ssize_t(sizeof seen) && seen == c.epid) {
        c.can_read_peer = true;
        c.peer_pid = cp.pid;
        log::trace(log::kDevices, "hfi: epid 0x%llx is on this host: single-copy rendezvous reads",
                   static_cast<unsigned long long>(c.epid));
    }
}

void IpsDevice::handle_connect_request(const hfi::WireHeader& wh, const IpsHeader& ih,
                                       const uint8_t* payload, uint32_t len) {
    psm2_epid_t from = epid_from(ih);
    uint32_t status = kConnOk;
    if (std::memcmp(ih.tag, uuid_, 12) != 0 || std::memcmp(&ih.msg_len, uuid_ + 12, 4) != 0)
        status = kConnBadUuid;
    else if (ih.aux1 != uint32_t(gen_.gen))
        status = kConnBadGeneration;
    IpsHeader rep{};
    rep.dst_conn = ih.src_conn;
    rep.offset = uint32_t(epid_);
    rep.aux0 = uint32_t(epid_ >> 32);
    rep.aux1 = status;
    if (status != kConnOk || !epid_is_hfi(from)) {
        IpsConn tmp(set_.window, set_.timer);   // reply without keeping any state
        tmp.index = kNoConn;
        tmp.route = {wh.slid, epid_context(from)};
        tmp.state = IpsConn::kClosed;
        tmp.peer_conn = ih.src_conn;
        transmit(tmp, kOpConnectRep, rep, 0, nullptr, 0);
        return;
    }
    IpsConn* c = nullptr;
    if (auto it = by_epid_.find(from); it != by_epid_.end()) c = conns_[it->second].get();
    if (c && c->state == IpsConn::kConnected && c->peer_conn != ih.src_conn) {
        // The peer came back with a new connection (it restarted or had
        // dropped us): its old flow is gone, start ours afresh.
        lose_peer(*c, PSM2_EPID_UNREACHABLE);
        c->rx = RecvSeq();
        c->ahead.clear();
        c->gap_since_ns = 0;
        c->state = IpsConn::kConnected;
    } else if (c && (c->state == IpsConn::kLost || c->state == IpsConn::kClosed)) {
        c = nullptr;
    }
    if (!c) {
        c = new_conn(from);
        ctx_->forget({wh.slid, epid_context(from)});
    }
    c->route = {wh.slid, epid_context(from)};
    if (c->peer_conn != ih.src_conn || !c->peer_pid) probe_peer_memory(*c, payload, len);
    note_peer_rails(*c, payload, len);
    c->peer_conn = ih.src_conn;
    c->state = IpsConn::kConnected;
    transmit(*c, kOpConnectRep, rep, 0, reinterpret_cast<const uint8_t*>(&my_probe_), sizeof my_probe_);
}

void IpsDevice::handle_connect_reply(const IpsHeader& ih, const uint8_t* payload, uint32_t len) {
    IpsConn* c = conn_at(ih.dst_conn);
    if (!c || c->epid != epid_from(ih)) return;
    if (ih.aux1 == kConnBadUuid) {
        if (c->state == IpsConn::kConnecting) c->refused = PSM2_EPID_INVALID_UUID_KEY;
        return;
    }
    if (ih.aux1 == kConnBadGeneration) {
        if (c->state == IpsConn::kConnecting) c->refused = PSM2_EPID_INVALID_VERSION;
        return;
    }
    if (c->state == IpsConn::kConnecting) {
        c->peer_conn = ih.src_conn;
        c->state = IpsConn::kConnected;
    }
    if (c->state == IpsConn::kConnected && c->peer_conn == ih.src_conn && !c->peer_pid)
        probe_peer_memory(*c, payload, len);
    if (c->state == IpsConn::kConnected && c->peer_conn == ih.src_conn) note_peer_rails(*c, payload, len);
}

void IpsDevice::handle_sequenced(IpsConn& c, uint8_t op, const hfi::WireHeader& wh,
                                 const IpsHeader& ih, const uint8_t* payload, uint32_t len) {
    switch (op) {
    case kOpShort: {
        Tag96 tag;
        std::memcpy(tag.w, ih.tag, sizeof tag.w);
        if (!defer_ && deferred_.empty()) {
            sink_->on_eager(c, tag, payload, len);   // straight from the eager buffer
            return;
        }
        Event e{Event::kEager};
        e.conn = &c;
        e.tag = tag;
        e.len = len;
        e.data.assign(payload, payload + len);
        emit(std::move(e));
        return;
    }
    case kOpEager: {
        if (ih.offset == 0) {
            // The buffer grows with the fragments that arrive: an announced
            // length alone (a broken peer may claim 4 GiB) allocates at most
            // kEagerReserveBytes up front.
            c.frag.clear();
            c.frag.reserve(std::min(ih.msg_len, kEagerReserveBytes));
            c.frag_len = ih.msg_len;
            std::memcpy(c.frag_tag.w, ih.tag, sizeof c.frag_tag.w);
        }
        if (ih.offset != c.frag.size() || uint64_t(ih.offset) + len > c.frag_len) return;   // cannot happen in order
        c.frag.insert(c.frag.end(), payload, payload + len);
        if (c.frag.size() < c.frag_len) return;
        Event e{Event::kEager};
        e.conn = &c;
        e.tag = c.frag_tag;
        e.len = uint32_t(c.frag.size());
        e.data.swap(c.frag);
        c.frag.clear();
        emit(std::move(e));
        return;
    }
    case kOpLongRts: {
        Event e{Event::kRts};
        e.conn = &c;
        std::memcpy(e.tag.w, ih.tag, sizeof e.tag.w);
        e.len = ih.msg_len;
        e.token = make_token(ih.aux0, ih.msg_len, c.index, ih.offset);
        emit(std::move(e));
        return;
    }
    case kOpLongCts:
        handle_cts(c, ih);
        return;
    case kOpExpTid:
        handle_data(c, wh, ih, payload, len);
        return;
    case kOpAmRequest:
    case kOpAmReply:
        handle_am(c, op, ih, payload, len);
        return;
    default:
        return;
    }
}

void IpsDevice::handle_am(IpsConn& c, uint8_t op, const IpsHeader& ih, const uint8_t* payload,
                          uint32_t len) {
    uint32_t nargs = ih.aux0 >> 16;
    uint32_t args = nargs * uint32_t(sizeof(psm2_amarg_t));
    if (nargs > 8 || uint64_t(args) + ih.msg_len != len) return;   // 64-bit: no wrap-around match
    Event e{Event::kAm};
    e.conn = &c;
    e.am.handler = ih.aux0 & 0xffff;
    e.am.nargs = nargs;
    e.am.len = ih.msg_len;
    e.am.flags = ih.aux1;
    e.am.is_reply = op == kOpAmReply;
    if (!defer_ && deferred_.empty()) {
        // Arguments must be 8-byte aligned; eager buffers are.
        e.am.args = reinterpret_cast<const psm2_amarg_t*>(payload);
        e.am.payload = payload + args;
        sink_->on_am(c, e.am);
        return;
    }
    e.data.assign(payload, payload + len);
    emit(std::move(e));
}

// ---- rendezvous ---------------------------------------------------------

// Sender: the receiver programmed TID entries for one window; stream it.
void IpsDevice::handle_cts(IpsConn& c, const IpsHeader& ih) {
    auto it = send_rndv_.find(ih.aux0);
    if (it == send_rndv_.end() || it->second.conn != &c) return;
    SendRndv& s = it->second;
    // Every CTS repeats what the receiver asks of this rendezvous in all; a
    // striped receiver may raise it later (a range moved over from a failed
    // rail), never lower it.
    uint64_t asked = std::min<uint64_t>(ih.tag[2], s.len);
    s.total = s.total == UINT64_MAX ? asked : std::max(s.total, asked);
    if (s.total == 0 || s.acked >= s.total) {
        Event e{Event::kSendDone};
        e.conn = &c;
        e.cookie = s.cookie;
        --c.rndv_pending;
        send_rndv_.erase(it);
        emit(std::move(e));
        return;
    }
    uint32_t start = ih.offset, end = uint32_t(std::min<uint64_t>(uint64_t(ih.offset) + ih.msg_len, s.len));
    uint32_t tid_bytes = ctx_->info().tid_max_bytes;
    bool reader = (ih.tag[1] & kCtsReadsSender) != 0;
    uint32_t step = reader ? kReadChunk : set_.mtu;
    for (uint32_t off = start; off < end;) {
        uint32_t n = std::min(end - off, step);
        uint32_t rel = off - start;
        Pending p;
        p.opcode = kOpExpTid;
        p.ih.aux0 = ih.aux0;
        p.ih.aux1 = ih.aux1;
        p.ih.offset = off;
        p.expected = true;
        p.tid = uint16_t(ih.tag[0] + rel / tid_bytes);
        p.tid_offset = uint16_t((rel % tid_bytes) / 64);
        p.rndv_id = ih.aux0;
        p.data_len = n;
        p.ack_now = off + n >= end;   // the window's last: its ack completes the send
        stats_.rndv_bytes_sent += n;
        if (reader) {
            // Header only: the receiver reads n bytes at this address.
            uint64_t addr = reinterpret_cast<uint64_t>(s.buf + off);
            p.ih.tag[0] = uint32_t(addr);
            p.ih.tag[1] = uint32_t(addr >> 32);
            p.ih.msg_len = n;
            queue(c, std::move(p), 0);
        } else {
            p.payload = s.buf + off;
            queue(c, std::move(p), n);
        }
        off += n;
    }
    pump(c, 0);
}

// Receiver: program TID entries and announce windows until enough is in flight.
bool IpsDevice::announce_windows(RecvRndv& r) {
    uint32_t id = r.id;
    while (r.next_offset < r.len) {
        uint32_t outstanding = 0;
        for (auto& w : r.windows) outstanding += w.len - w.got;
        if (outstanding >= kMaxOutstandingRndvBytes) return true;
        RecvWindow w;
        w.offset = r.next_offset;
        w.len = std::min(r.len - r.next_offset, set_.rndv_window);
        if (ctx_->tid_program(r.dst + w.offset, w.len, &w.tid, &w.tid_count) != PSM2_OK)
            return !r.windows.empty();   // out of TID entries: retry from progress
        Pending p;
        p.opcode = kOpLongCts;
        p.ih.aux0 = r.sender_id;
        p.ih.aux1 = id;
        p.ih.offset = w.offset;
        p.ih.msg_len = w.len;
        p.ih.tag[0] = w.tid;
        p.ih.tag[1] = w.tid_count | (r.conn->can_read_peer ? kCtsReadsSender : 0);
        p.ih.tag[2] = r.declared;
        queue(*r.conn, std::move(p), 0);
        r.windows.push_back(w);
        r.next_offset += w.len;
    }
    return true;
}

void IpsDevice::handle_data(IpsConn& c, const hfi::WireHeader& wh, const IpsHeader& ih,
                            const uint8_t* payload, uint32_t len) {
    auto it = recv_rndv_.find(ih.aux1);
    if (it == recv_rndv_.end() || it->second.conn != &c) return;
    RecvRndv& r = it->second;
    auto w = std::find_if(r.windows.begin(), r.windows.end(), [&](const RecvWindow& x) {
        return ih.offset >= x.offset && ih.offset - x.offset < x.len;
    });
    if (w == r.windows.end()) return;
    uint32_t bytes = len;
    if (len == 0 && ih.msg_len) {
        // Header only: fetch the bytes from the sender's buffer ourselves.
        bytes = ih.msg_len;
        void* dst = ctx_->tid_target(wh.tid, uint32_t(wh.offset) * 64u, bytes);
        iovec local{dst, bytes};
        iovec remote{reinterpret_cast<void*>(uint64_t(ih.tag[1]) << 32 | ih.tag[0]), bytes};
        if (!dst || !c.can_read_peer ||
            process_vm_readv(c.peer_pid, &local, 1, &remote, 1, 0) != ssize_t(bytes)) {
            finish_recv(ih.aux1, PSM2_EPID_UNREACHABLE);   // the sender's memory is gone
            return;
        }
    } else {
        // The "hardware" places the payload where the TID entry points.
        void* dst = ctx_->tid_target(wh.tid, uint32_t(wh.offset) * 64u, len);
        if (dst && len) std::memcpy(dst, payload, len);
    }
    w->got += bytes;
    r.received += bytes;
    if (w->got >= w->len) {
        ctx_->tid_free(w->tid, w->tid_count);
        r.windows.erase(w);
        if (r.next_offset < r.len && !announce_windows(r)) cts_waiting_.push_back(ih.aux1);
    }
    if (r.received >= r.len - r.begin) finish_recv(ih.aux1, PSM2_OK);
}

void IpsDevice::finish_recv(uint32_t id, psm2_error_t err) {
    auto it = recv_rndv_.find(id);
    if (it == recv_rndv_.end()) return;
    for (auto& w : it->second.windows) ctx_->tid_free(w.tid, w.tid_count);
    Event e{Event::kPullDone};
    e.conn = it->second.conn;
    e.cookie = it->second.cookie;
    e.err = err;
    --it->second.conn->rndv_pending;
    recv_rndv_.erase(it);
    emit(std::move(e));
}

}  // namespace psm::hal::ips
