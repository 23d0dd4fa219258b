#include "hal/ips/ips_device.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "hal/env.h"
#include "hal/hfi/context.h"
#include "hal/ips/epid.h"
#include "hal/ips/ips_device_impl.h"
#include "hal/log.h"

namespace psm::hal::ips {

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kConnectRetryNs = 50 * kMs;
constexpr uint64_t kDefaultConnectTimeoutNs = 30'000 * kMs;
constexpr uint64_t kDisconnectDrainNs = 1000 * kMs;
constexpr uint32_t kTokenMagic = 0x49505354;   // "IPST"
constexpr int kReceiveBudget = 256;            // packets per progress call
// An ack waits this long for data going back to ride on (coalescing); far
// below the retransmit timer, so the sender never notices.
constexpr uint64_t kAckDelayNs = 20'000;

uint32_t round_down(uint32_t v, uint32_t unit) { return v / unit * unit; }

bool parse_errchk(const std::string& text, RetransmitTimer* t) {
    unsigned long lo = 0, hi = 0, f = 0;
    if (std::sscanf(text.c_str(), "%lu:%lu:%lu", &lo, &hi, &f) != 3 || lo == 0 || hi < lo || f == 0)
        return false;
    t->min_ns = lo * kMs;
    t->max_ns = hi * kMs;
    t->factor = uint32_t(f);
    return true;
}

}  // namespace

Settings settings_from_env(const hfi::ContextInfo& info) {
    Settings s;
    const auto& g = hfi::generation_info(info.gen);
    s.mtu = std::min(info.mtu, g.default_mtu);
    int64_t mtu = env::get_int("PSM2_MTU");
    if (mtu > 0) {
        // The valid OPA MTUs; anything else rounds down to one of them.
        uint32_t want = 2048;
        for (uint32_t m : {2048u, 4096u, 8192u, 10240u})
            if (uint64_t(mtu) >= m) want = m;
        s.mtu = std::min(want, info.mtu);
    }
    int64_t credits = env::get_int("PSM2_FLOW_CREDITS");
    s.window = uint32_t(std::clamp<int64_t>(credits, 4, 1024));
    std::string errchk = env::get_str("PSM2_ERRCHK_TIMEOUT");
    if (!parse_errchk(errchk, &s.timer))
        log::warn("PSM2_ERRCHK_TIMEOUT=\"%s\" is not min:max:factor; using 160:640:2", errchk.c_str());
    int64_t thresh = env::get_int("PSM2_MQ_RNDV_HFI_THRESH");
    if (thresh >= 0) s.rndv_threshold = uint32_t(std::min<int64_t>(thresh, UINT32_MAX));
    // One rendezvous window is one TID entry and a whole number of packets.
    int64_t win = env::get_int("PSM2_MQ_RNDV_HFI_WINDOW");
    uint32_t max_win = round_down(info.tid_max_bytes ? info.tid_max_bytes : (2u << 20), s.mtu);
    s.rndv_window = std::clamp<uint32_t>(round_down(uint32_t(std::clamp<int64_t>(win, 0, INT32_MAX)), s.mtu),
                                         s.mtu, max_win);
    int64_t ct = env::get_int("PSM2_CONNECT_TIMEOUT");
    if (ct > 0) s.connect_timeout_ns = ct * 1000 * int64_t(kMs);
    return s;
}

psm2_error_t open_hfi_device(const hal::OpenParams& params, std::unique_ptr<hal::Device>* out) {
    if (!hfi::device_present()) return PSM2_EP_NO_DEVICE;
    hfi::OpenRequest req;
    req.unit = params.unit;
    req.port = params.port;
    std::memcpy(req.uuid, params.uuid, sizeof(req.uuid));
    std::unique_ptr<hfi::Context> ctx;
    psm2_error_t err = hfi::open_context(req, &ctx);
    if (err != PSM2_OK) return err;
    Settings s = settings_from_env(ctx->info());
    log::trace(log::kDevices, "hfi: %s unit %u context %u lid %u mtu %u",
               hfi::generation_info(ctx->info().gen).name, ctx->info().unit, ctx->info().context,
               ctx->info().lid, s.mtu);
    out->reset(new IpsDevice(params, std::move(ctx), s));
    return PSM2_OK;
}

IpsDevice::IpsDevice(const hal::OpenParams& p, std::unique_ptr<hfi::Context> ctx, const Settings& s)
    : sink_(p.sink), ctx_(std::move(ctx)), gen_(hfi::generation_info(ctx_->info().gen)), set_(s) {
    std::memcpy(uuid_, p.uuid, sizeof(uuid_));
    const auto& i = ctx_->info();
    epid_ = make_epid(i.lid, i.context, i.subcontext);
    txbuf_.resize(hfi::kMaxWireHeaderBytes + sizeof(IpsHeader));
    my_probe_.pid = getpid();
    my_probe_.probe_addr = reinterpret_cast<uint64_t>(&epid_);
    cma_enabled_ = env::get_str("PSM2_KASSIST_MODE") != "none";
}

IpsDevice::~IpsDevice() {
    // One bounded drain for everybody, then a disconnect to each peer (so a
    // job closing with many dead peers does not wait once per peer).
    defer_ = true;
    uint64_t start = now_ns();
    auto busy = [&] {
        for (auto& c : conns_)
            if (c->state == IpsConn::kConnected && !c->q.empty()) return true;
        return false;
    };
    while (busy() && now_ns() - start < kDisconnectDrainNs) {
        poll_receive(kReceiveBudget);
        for (auto& c : conns_) service_timers(*c, now_ns());
        sched_yield();
    }
    for (auto& c : conns_)
        if (c->state == IpsConn::kConnected) {
            c->q.clear();
            disconnect(c.get());
        }
}

bool IpsDevice::reaches(psm2_epid_t epid) const {
    return epid_is_hfi(epid) && epid_lid(epid) <= gen_.max_lid;
}

Limits IpsDevice::limits() const {
    Limits l;
    l.rndv_threshold = set_.rndv_threshold;
    l.am_max_nargs = 8;
    l.am_max_request_short = set_.mtu - 8 * sizeof(psm2_amarg_t);
    l.am_max_reply_short = l.am_max_request_short;
    l.mtu = set_.mtu;
    l.link_speed_mbps = gen_.link_gbps * 1000;
    return l;
}

IpsConn* IpsDevice::new_conn(psm2_epid_t epid) {
    auto c = std::make_unique<IpsConn>(set_.window, set_.timer);
    c->index = uint32_t(conns_.size());
    c->epid = epid;
    c->route = {epid_lid(epid), epid_context(epid)};
    IpsConn* raw = c.get();
    conns_.push_back(std::move(c));
    by_epid_[epid] = raw->index;
    return raw;
}

psm2_error_t IpsDevice::check_conn(Conn& c, IpsConn** out) {
    auto* ic = static_cast<IpsConn*>(&c);
    if (ic->state != IpsConn::kConnected) return PSM2_EPID_UNREACHABLE;
    *out = ic;
    return PSM2_OK;
}

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

// ---- sending ------------------------------------------------------------

psm2_error_t IpsDevice::transmit(IpsConn& c, uint8_t opcode, const IpsHeader& ih_in, uint32_t psn,
                                 const uint8_t* payload, uint32_t len, bool expected, uint16_t tid,
                                 uint16_t tid_offset) {
    const auto& info = ctx_->info();
    hfi::WireHeader wh;
    wh.dlid = c.route.dlid;
    wh.slid = info.lid;
    wh.opcode = opcode;
    wh.pkey = info.pkey;
    wh.context = uint8_t(c.route.context);
    wh.bthqp = info.bthqp;
    wh.psn = psn;
    wh.ack_req = set_.window >= 8 && (psn % (set_.window / 4)) == 0;
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
                    (c->q.empty() && !c->rx.ack_due() && c->rndv_pending == 0);
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
                                    p.tid, p.tid_offset);
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
    p.ih.aux0 = id;
    queue(*c, std::move(p), 0);
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
    queue(*c, std::move(p), args + pkt.len);
    c->queued_bytes += args + pkt.len;
    pump(*c, 0);
    return PSM2_OK;
}

psm2_error_t IpsDevice::pull(Conn& conn, const RndvToken& token, void* dst, uint32_t len,
                             uint64_t recv_cookie) {
    IpsConn* c;
    if (psm2_error_t err = check_conn(conn, &c)) return err;
    if (token.w[3] != kTokenMagic || token.w[2] != c->index) return PSM2_PARAM_ERR;
    uint32_t id = next_rndv_id_++;
    if (next_rndv_id_ == 0) next_rndv_id_ = 1;
    RecvRndv r;
    r.id = id;
    r.conn = c;
    r.sender_id = uint32_t(token.w[0]);
    r.dst = static_cast<uint8_t*>(dst);
    r.len = std::min<uint64_t>(len, token.w[1]);
    r.cookie = recv_cookie;
    if (r.len == 0) {
        // Nothing to move: tell the sender, complete here.
        Pending p;
        p.opcode = kOpLongCts;
        p.ih.aux0 = r.sender_id;
        p.ih.aux1 = id;
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
        log::trace(log::kProtocol, "hfi: retransmit to epid 0x%llx from psn %u (rto %llu ms)",
                   static_cast<unsigned long long>(c.epid), c.tx.oldest_unacked(),
                   static_cast<unsigned long long>(c.tx.current_rto() / kMs));
        if (!ctx_->peer_alive(c.route)) {
            lose_peer(c, PSM2_EPID_UNREACHABLE);
            return;
        }
        if (c.tx.stalled_for(now) > set_.peer_timeout_ns) {
            lose_peer(c, PSM2_TIMEOUT);
            return;
        }
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
    }
    pump(c, now);
    if (c.state == IpsConn::kConnected &&
        c.rx.ack_urgent(now, std::max(set_.window / 4, 1u), kAckDelayNs)) {
        IpsHeader ack{};
        ack.ack_psn = c.rx.expected();
        send_control(c, kOpAck, ack);
    }
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

// ---- upcalls and progress ---------------------------------------------

void IpsDevice::emit(Event&& e) {
    if (defer_ || !deferred_.empty()) {
        deferred_.push_back(std::move(e));
        return;
    }
    dispatch(e);
}

void IpsDevice::dispatch(Event& e) {
    switch (e.kind) {
    case Event::kEager:
        sink_->on_eager(*e.conn, e.tag, e.data.data(), e.len);
        break;
    case Event::kRts:
        sink_->on_rts(*e.conn, e.tag, e.len, e.token);
        break;
    case Event::kPullDone:
        sink_->on_pull_done(e.cookie, e.err);
        break;
    case Event::kSendDone:
        sink_->on_send_done(e.cookie, e.err);
        break;
    case Event::kAm:
        e.am.args = reinterpret_cast<const psm2_amarg_t*>(e.data.data());
        e.am.payload = e.data.data() + e.am.nargs * sizeof(psm2_amarg_t);
        sink_->on_am(*e.conn, e.am);
        break;
    case Event::kAmDone:
        sink_->on_am_done(e.cookie);
        break;
    case Event::kPeerLost:
        sink_->on_peer_lost(*e.conn, e.err);
        break;
    }
}

int IpsDevice::drain_deferred() {
    int n = 0;
    while (!deferred_.empty()) {
        Event e = std::move(deferred_.front());
        deferred_.pop_front();
        // A connection the engine has let go of gets no more upcalls.
        if (e.conn && e.conn->state == IpsConn::kClosed) continue;
        dispatch(e);
        ++n;
    }
    return n;
}

int IpsDevice::poll_receive(int budget) {
    int n = 0;
    hfi::RecvPacket pkt;
    while (n < budget && ctx_->peek(&pkt)) {
        if (n == 0) now_ = now_ns();   // one clock read per batch, none when idle
        handle_packet(pkt);
        ctx_->release();
        ++n;
    }
    return n;
}

int IpsDevice::progress() {
    int n = 0;
    if (!deferred_.empty() && !defer_) n += drain_deferred();
    int got = poll_receive(kReceiveBudget);
    n += got;
    // Timers and retries need no attention on every idle call: after a
    // receive batch (acks are due) always, otherwise every 16th call.
    if (!active_.empty() && (got || (++idle_calls_ & 15) == 0)) service_active(got ? now_ : now_ns());
    if (!cts_waiting_.empty()) {
        std::vector<uint32_t> waiting;
        waiting.swap(cts_waiting_);
        for (uint32_t id : waiting) {
            auto it = recv_rndv_.find(id);
            if (it == recv_rndv_.end()) continue;
            if (!announce_windows(it->second)) cts_waiting_.push_back(id);
            pump(*it->second.conn, 0);
        }
    }
    if (!deferred_.empty() && !defer_) n += drain_deferred();
    return n;
}

// Token layout: sender's rendezvous id, announced length, connection index, magic.
RndvToken make_token(uint32_t id, uint32_t len, uint32_t conn) {
    return RndvToken{{id, len, conn, kTokenMagic}};
}

}  // namespace psm::hal::ips
