// Send paths, rendezvous (CMA or bounce) and dispatch of received messages.
#include <cerrno>
#include <cstring>

#include "hal/log.h"
#include "hal/shm/cma.h"
#include "hal/shm/shm_device_impl.h"
#include "hal/shm/split_claim.h"

namespace psm::hal::shm {
namespace {

void put_tag(MsgHeader* h, const Tag96& tag) {
    h->tag[0] = tag.w[0];
    h->tag[1] = tag.w[1];
    h->tag[2] = tag.w[2];
}

Tag96 get_tag(const MsgHeader& h) { return Tag96{{h.tag[0], h.tag[1], h.tag[2]}}; }

psm2_error_t cma_error(int err) {
    return err == ESRCH ? PSM2_EPID_UNREACHABLE : PSM2_INTERNAL_ERR;
}

}  // namespace

// ---- sending ---------------------------------------------------------------

psm2_error_t ShmDevice::send_eager(Conn& conn, const Tag96& tag, const void* buf, uint32_t len) {
    auto& c = static_cast<ShmConn&>(conn);
    if (c.lost || !c.tx.valid()) return PSM2_EPID_UNREACHABLE;
    if (len > kMaxMessagePayload) return PSM2_PARAM_ERR;
    uint32_t n = lines_for(len);
    MsgHeader* h = c.tx.reserve(n);
    if (!h) return PSM2_EP_NO_RESOURCES;
    h->len = len;
    h->kind = Kind::Eager;
    put_tag(h, tag);
    if (len) std::memcpy(payload_of(h), buf, len);
    c.tx.publish(h, n);
    return PSM2_OK;
}

psm2_error_t ShmDevice::send_rts(Conn& conn, const Tag96& tag, const void* buf, uint32_t len,
                                 uint64_t send_cookie) {
    auto& c = static_cast<ShmConn&>(conn);
    if (c.lost || !c.tx.valid()) return PSM2_EPID_UNREACHABLE;
    constexpr uint32_t n = lines_for(sizeof(RtsBody));
    MsgHeader* h = c.tx.reserve(n);
    if (!h) return PSM2_EP_NO_RESOURCES;
    h->len = len;
    h->kind = Kind::Rts;
    put_tag(h, tag);
    RtsBody body{reinterpret_cast<uint64_t>(buf), send_cookie};
    std::memcpy(payload_of(h), &body, sizeof body);
    c.tx.publish(h, n);
    return PSM2_OK;
}

psm2_error_t ShmDevice::send_am(Conn& conn, const AmPacket& pkt) {
    auto& c = static_cast<ShmConn&>(conn);
    if (c.lost || !c.tx.valid()) return PSM2_EPID_UNREACHABLE;
    if (pkt.nargs > 8 || pkt.len > kMaxAmPayload) return PSM2_PARAM_ERR;
    uint32_t arg_bytes = pkt.nargs * static_cast<uint32_t>(sizeof(psm2_amarg_t));
    uint32_t total = arg_bytes + pkt.len;
    uint32_t n = lines_for(total);
    MsgHeader* h = c.tx.reserve(n);
    if (!h) return PSM2_EP_NO_RESOURCES;
    h->len = total;
    h->kind = pkt.is_reply ? Kind::AmReply : Kind::AmRequest;
    h->nargs = static_cast<uint8_t>(pkt.nargs);
    h->aux = pkt.handler;
    h->tag[0] = pkt.flags;
    h->tag[1] = static_cast<uint32_t>(pkt.completion);
    h->tag[2] = static_cast<uint32_t>(pkt.completion >> 32);
    if (arg_bytes) std::memcpy(payload_of(h), pkt.args, arg_bytes);
    if (pkt.len) std::memcpy(payload_of(h) + arg_bytes, pkt.payload, pkt.len);
    c.tx.publish(h, n);
    return PSM2_OK;
}

// Device-generated messages never fail: when the ring is full they wait in
// the conn's queue, flushed first by every progress() call.
bool ShmDevice::send_control(ShmConn& c, Kind kind, const void* body, uint32_t len) {
    if (c.lost || !c.tx.valid()) return false;
    if (c.control.empty()) {
        if (MsgHeader* h = c.tx.reserve(1)) {
            h->len = len;
            h->kind = kind;
            std::memcpy(payload_of(h), body, len);
            c.tx.publish(h, 1);
            return true;
        }
    }
    PendingControl p{kind, len, {}};
    std::memcpy(p.body, body, len);
    c.control.push_back(p);
    if (!c.busy) {
        c.busy = true;
        busy_.push_back(&c);
    }
    return false;
}

int ShmDevice::flush_control(ShmConn& c) {
    int sent = 0;
    while (!c.control.empty()) {
        MsgHeader* h = c.tx.reserve(1);
        if (!h) break;
        const PendingControl& p = c.control.front();
        h->len = p.len;
        h->kind = p.kind;
        std::memcpy(payload_of(h), p.body, p.len);
        c.tx.publish(h, 1);
        c.control.pop_front();
        ++sent;
    }
    return sent;
}

// ---- rendezvous ------------------------------------------------------------

psm2_error_t ShmDevice::pull(Conn& conn, const RndvToken& token, void* dst, uint32_t len,
                             uint64_t recv_cookie) {
    auto& c = static_cast<ShmConn&>(conn);
    if (c.lost || !c.tx.valid()) return PSM2_EPID_UNREACHABLE;
    uint64_t addr = token.w[0];
    uint64_t send_cookie = token.w[2];
    len = std::min<uint64_t>(len, token.w[1]);
    if (len > 0 && (mode_ == RndvMode::Bounce || c.cma_refused)) {
        ++stats_.bounce_pulls;
        CtsBody cts{addr, send_cookie, new_job(c, dst, len, recv_cookie), len};
        send_control(c, Kind::Cts, &cts, sizeof cts);
        return PSM2_OK;
    }
    if (split_threshold_ && len >= split_threshold_ && len >= 2 * kSplitChunk && c.cma_worked &&
        start_split_pull(c, addr, send_cookie, dst, len, recv_cookie))
        return PSM2_OK;
    int err = len ? cma_read(c.peer_pid, addr, dst, len) : 0;
    if (err == 0 && len) c.cma_worked = true;
    if (len) ++stats_.cma_pulls;
    if (err == EPERM || err == ENOSYS) {
        // This peer's ptrace policy refuses us (yama, containers): bounce from now on.
        log::trace(log::kProtocol, "shm: CMA from pid %d refused (%s); using bounce copies",
                   c.peer_pid, std::strerror(err));
        c.cma_refused = true;
        return pull(conn, token, dst, len, recv_cookie);
    }
    psm2_error_t result = err ? cma_error(err) : PSM2_OK;
    if (err) log::trace(log::kErrors, "shm: CMA read from pid %d failed: %s", c.peer_pid,
                        std::strerror(err));
    DoneBody done{send_cookie, result, 0};
    send_control(c, Kind::Done, &done, sizeof done);
    completions_.push_back({recv_cookie, result});
    return PSM2_OK;
}

uint32_t ShmDevice::new_job(ShmConn& c, void* dst, uint32_t len, uint64_t recv_cookie) {
    uint32_t id;
    if (!free_jobs_.empty()) {
        id = free_jobs_.back();
        free_jobs_.pop_back();
    } else {
        id = static_cast<uint32_t>(jobs_.size());
        jobs_.emplace_back();
    }
    jobs_[id] = PullJob{static_cast<unsigned char*>(dst), len, 0, recv_cookie, &c};
    return id;
}

void ShmDevice::fail_jobs_of(ShmConn& c, psm2_error_t err) {
    for (uint32_t id = 0; id < jobs_.size(); ++id) {
        if (jobs_[id].conn != &c) continue;
        if (jobs_[id].slot >= 0) c.split_busy &= static_cast<uint8_t>(~(1u << jobs_[id].slot));
        jobs_[id].conn = nullptr;
        jobs_[id].slot = -1;
        free_jobs_.push_back(id);
        sink_->on_pull_done(jobs_[id].recv_cookie, err);
    }
}

// Bounce mode, sender side: copy as many chunks as the ring takes now.
int ShmDevice::push_bounce(ShmConn& c) {
    int pushed = 0;
    while (!c.pushes.empty()) {
        PushJob& p = c.pushes.front();
        while (p.offset < p.len) {
            uint32_t chunk = std::min(kBounceChunk, p.len - p.offset);
            uint32_t n = lines_for(chunk);
            MsgHeader* h = c.tx.reserve(n);
            if (!h) return pushed;
            h->len = chunk;
            h->kind = Kind::Data;
            h->aux = p.job;
            std::memcpy(payload_of(h), p.src + p.offset, chunk);
            c.tx.publish(h, n);
            p.offset += chunk;
            ++pushed;
        }
        // Every byte is in the receiver's ring: the user buffer is free.
        uint64_t cookie = p.send_cookie;
        c.pushes.pop_front();
        sink_->on_send_done(cookie, PSM2_OK);
    }
    return pushed;
}

// Bounce mode, receiver side: one chunk of a pull landed in the ring.
void ShmDevice::on_data(const MsgHeader& h) {
    if (h.aux >= jobs_.size() || !jobs_[h.aux].conn) return;   // pull abandoned
    PullJob& j = jobs_[h.aux];
    uint32_t n = std::min(h.len, j.len - j.received);
    std::memcpy(j.dst + j.received, payload_of(&h), n);
    j.received += n;
    if (j.received < j.len) return;
    j.conn = nullptr;
    free_jobs_.push_back(h.aux);
    sink_->on_pull_done(j.recv_cookie, PSM2_OK);
}

int ShmDevice::deliver_completions() {
    if (completions_.empty()) return 0;
    // Upcalls may call pull() again, which appends: take the list first.
    std::vector<Completion> done;
    done.swap(completions_);
    for (const Completion& d : done) sink_->on_pull_done(d.cookie, d.err);
    return static_cast<int>(done.size());
}

// ---- receiving -------------------------------------------------------------

int ShmDevice::drain(ShmConn& c, int budget) {
    // Nothing waiting (the common poll): leave before the dispatch loop.
    if (!c.rx.valid() || !c.rx.peek()) return 0;
    int n = 0;
    while (n < budget && c.rx.valid()) {
        const MsgHeader* h = c.rx.peek();
        if (!h) break;
        dispatch(c, *h);
        c.rx.release(h);
        ++n;
        if (c.retired) {            // the upcall disconnected this peer
            c.rx.publish_head();
            break;
        }
    }
    return n;
}

void ShmDevice::dispatch(ShmConn& c, const MsgHeader& h) {
    switch (h.kind) {
    case Kind::Eager:
        sink_->on_eager(c, get_tag(h), payload_of(&h), h.len);
        break;
    case Kind::Rts: {
        RtsBody b;
        std::memcpy(&b, payload_of(&h), sizeof b);
        sink_->on_rts(c, get_tag(h), h.len, RndvToken{{b.addr, h.len, b.send_cookie, 0}});
        break;
    }
    case Kind::Done: {
        DoneBody b;
        std::memcpy(&b, payload_of(&h), sizeof b);
        sink_->on_send_done(b.send_cookie, static_cast<psm2_error_t>(b.err));
        break;
    }
    case Kind::Cts: {
        CtsBody b;
        std::memcpy(&b, payload_of(&h), sizeof b);
        c.pushes.push_back(PushJob{reinterpret_cast<const unsigned char*>(b.addr), b.len, 0,
                                   b.job, b.send_cookie});
        if (!c.busy) {
            c.busy = true;
            busy_.push_back(&c);
        }
        break;
    }
    case Kind::Data:
        on_data(h);
        break;
    case Kind::AmRequest:
    case Kind::AmReply: {
        uint32_t arg_bytes = h.nargs * static_cast<uint32_t>(sizeof(psm2_amarg_t));
        AmPacket pkt;
        pkt.handler = h.aux;
        pkt.nargs = h.nargs;
        pkt.args = reinterpret_cast<const psm2_amarg_t*>(payload_of(&h));
        pkt.payload = payload_of(&h) + arg_bytes;
        pkt.len = h.len - arg_bytes;
        pkt.flags = h.tag[0];
        pkt.is_reply = h.kind == Kind::AmReply;
        pkt.completion = h.tag[1] | (uint64_t{h.tag[2]} << 32);
        sink_->on_am(c, pkt);
        if (pkt.completion) {
            AmDoneBody b{pkt.completion};
            send_control(c, Kind::AmDone, &b, sizeof b);
        }
        break;
    }
    case Kind::AmDone: {
        AmDoneBody b;
        std::memcpy(&b, payload_of(&h), sizeof b);
        sink_->on_am_done(b.completion);
        break;
    }
    case Kind::Put: {
        PutBody b;
        std::memcpy(&b, payload_of(&h), sizeof b);
        on_put(c, b);
        break;
    }
    case Kind::PutDone: {
        PutDoneBody b;
        std::memcpy(&b, payload_of(&h), sizeof b);
        on_put_done(b);
        break;
    }
    case Kind::Pad:
        break;
    }
}

}  // namespace psm::hal::shm
