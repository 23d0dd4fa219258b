// Receive side: posting, probing, the eager and rendezvous arrival paths.
#include <algorithm>
#include <cstring>

#include "hal/log.h"
#include "mq/engine_impl.h"

namespace psm::mq {

namespace {

inline psm2_epaddr* peer_of(hal::Conn& c) { return static_cast<psm2_epaddr*>(c.peer_cookie); }

inline unsigned long epid_of(const psm2_epaddr* p) { return p ? static_cast<unsigned long>(p->epid) : 0ul; }

inline void set_public_tag(psm2_mq_req* r, const Tag96& t) {
    r->user.tag.tag[0] = t.w[0];
    r->user.tag.tag[1] = t.w[1];
    r->user.tag.tag[2] = t.w[2];
}

inline void set_public_tagsel(psm2_mq_req* r, const Tag96& t) {
    r->user.tagsel.tag[0] = t.w[0];
    r->user.tagsel.tag[1] = t.w[1];
    r->user.tagsel.tag[2] = t.w[2];
}

// Sets the length fields of a matched receive; the error code says whether
// the message is longer than the buffer.
inline uint32_t settle_lengths(psm2_mq_req* r, uint32_t sent) {
    uint32_t n = std::min(sent, r->user.buf_len);
    r->user.send_msglen = sent;
    r->user.recv_msglen = n;
    r->user.error_code = sent > r->user.buf_len ? PSM2_MQ_TRUNCATION : PSM2_OK;
    return n;
}

}  // namespace

psm2_error_t Engine::irecv(psm2_epaddr_t src, const Tag96& tag, const Tag96& sel, void* buf, uint32_t len,
                           void* ctx, psm2_mq_req** out) {
    if (trace_)
        log::trace(log::kMessages, "mq: irecv src %#lx tag %08x.%08x.%08x sel %08x.%08x.%08x len %u", epid_of(src),
                   tag.w[0], tag.w[1], tag.w[2], sel.w[0], sel.w[1], sel.w[2], len);
    // A message that already arrived becomes the request itself: no second
    // request, no queueing.
    if (psm2_mq_req* m = unexpected_.find(src, tag, sel)) {
        unexpected_.remove(m);
        set_public_tagsel(m, sel);
        deliver_unexpected(m, buf, len, ctx);
        *out = m;
        return PSM2_OK;
    }
    psm2_mq_req* r = new_request(ReqKind::Recv, /*user_limit=*/true);
    if (!r) return PSM2_NO_MEMORY;
    r->user.peer = src;
    set_public_tag(r, tag);
    set_public_tagsel(r, sel);
    r->user.buf = static_cast<uint8_t*>(buf);
    r->user.buf_len = len;
    r->user.context = ctx;
    r->state = ReqState::Posted;
    posted_.post(r);
    *out = r;
    return PSM2_OK;
}

psm2_mq_req* Engine::mprobe(psm2_epaddr_t src, const Tag96& tag, const Tag96& sel) {
    psm2_mq_req* m = unexpected_.find(src, tag, sel);
    if (!m) return nullptr;
    unexpected_.remove(m);
    m->state = ReqState::Probed;
    return m;
}

psm2_error_t Engine::imrecv(psm2_mq_req* probed, void* buf, uint32_t len, void* ctx) {
    if (probed->state != ReqState::Probed || probed->engine != this) return PSM2_PARAM_ERR;
    deliver_unexpected(probed, buf, len, ctx);
    return PSM2_OK;
}

bool Engine::cancel(psm2_mq_req* r) {
    if (r->kind != ReqKind::Recv || r->state != ReqState::Posted) return false;
    posted_.remove(r);
    r->user.send_msglen = 0;
    r->user.recv_msglen = 0;
    complete(r, PSM2_OK);
    return true;
}

// A message (eager payload in a system buffer, or a rendezvous announcement)
// meets its receive buffer.
void Engine::deliver_unexpected(psm2_mq_req* m, void* buf, uint32_t len, void* ctx) {
    m->user.buf = static_cast<uint8_t*>(buf);
    m->user.buf_len = len;
    m->user.context = ctx;
    uint32_t n = settle_lengths(m, m->user.send_msglen);
    if (m->rndv) {
        if (m->peer_lost) {
            m->user.recv_msglen = 0;
            complete(m, PSM2_EPID_UNREACHABLE);
            return;
        }
        start_pull(m);
        return;
    }
    if (n) std::memcpy(buf, m->sysbuf, n);
    sysbufs_.release(m->sysbuf, m->sysbuf_cap);
    m->sysbuf = nullptr;
    m->sysbuf_cap = 0;
    release_unexpected_eager(m->user.send_msglen);
    owe_credit(m->user.peer, m->user.send_msglen);
    complete(m, PSM2_OK);
}

void Engine::deliver_eager(psm2_mq_req* r, psm2_epaddr* src, const Tag96& tag, const void* payload,
                           uint32_t len) {
    r->user.peer = src;
    set_public_tag(r, tag);
    uint32_t n = settle_lengths(r, len);
    if (n) std::memcpy(r->user.buf, payload, n);
    ++stats_.rx_user_num;
    stats_.rx_user_bytes += n;
    complete(r, PSM2_OK);
}

void Engine::on_eager(hal::Conn& from, const Tag96& tag, const void* payload, uint32_t len) {
    psm2_epaddr* src = peer_of(from);
    if (src && src->mq_state && src->mq_state->shm_like) ++stats_.rx_shm_num;
    if (trace_)
        log::trace(log::kMessages, "mq: eager from %#lx tag %08x.%08x.%08x len %u", epid_of(src), tag.w[0],
                   tag.w[1], tag.w[2], len);
    if (psm2_mq_req* r = posted_.take_match(src, tag)) {
        deliver_eager(r, src, tag, payload, len);
        owe_credit(src, len);
        return;
    }
    psm2_mq_req* m = new_request(ReqKind::Recv);
    uint32_t cap = 0;
    uint8_t* copy = m ? sysbufs_.acquire(len, &cap) : nullptr;
    if (!m || (len && !copy)) {
        // Out of memory: the message cannot be kept. Say so loudly; dropping
        // silently would turn into a hang at the receiver.
        log::warn("mq: out of memory for an unexpected message of %u bytes; message dropped", len);
        if (m) release(m);
        return;
    }
    if (len) std::memcpy(copy, payload, len);
    m->user.peer = src;
    set_public_tag(m, tag);
    m->user.send_msglen = len;
    m->user.buf = copy;
    m->user.buf_len = len;
    m->sysbuf = copy;
    m->sysbuf_cap = cap;
    m->state = ReqState::Unexpected;
    unexpected_.add(m);
    hold_unexpected_eager(len);
    ++stats_.rx_sys_num;
    stats_.rx_sys_bytes += len;
}

void Engine::on_rts(hal::Conn& from, const Tag96& tag, uint32_t len, const hal::RndvToken& token) {
    psm2_epaddr* src = peer_of(from);
    if (src && src->mq_state && src->mq_state->shm_like) ++stats_.rx_shm_num;
    if (trace_)
        log::trace(log::kMessages, "mq: rts from %#lx tag %08x.%08x.%08x len %u", epid_of(src), tag.w[0],
                   tag.w[1], tag.w[2], len);
    note_small_rts(src, len);
    if (psm2_mq_req* r = posted_.take_match(src, tag)) {
        r->user.peer = src;
        set_public_tag(r, tag);
        settle_lengths(r, len);
        r->rndv = true;
        r->token = token;
        start_pull(r);
        return;
    }
    psm2_mq_req* m = new_request(ReqKind::Recv);
    if (!m) {
        log::warn("mq: out of memory for an unexpected rendezvous message; message dropped");
        return;
    }
    m->user.peer = src;
    set_public_tag(m, tag);
    m->user.send_msglen = len;
    m->rndv = true;
    m->token = token;
    m->state = ReqState::Unexpected;
    unexpected_.add(m);
}

// The receive knows its buffer and the announced length; ask the sender's
// device for the bytes. The request is in the peer's in-flight list before
// the call because a loopback device may finish the pull inside it.
void Engine::start_pull(psm2_mq_req* r) {
    auto* src = r->user.peer;
    if (!src || !src->mq_state || !src->dev || !src->conn || src->lost) {
        r->user.recv_msglen = 0;
        complete(r, PSM2_EPID_UNREACHABLE);
        return;
    }
    PeerState* ps = src->mq_state;
    r->state = ReqState::Pulling;
    ps->inflight.push_back(r, kMainSlot);
    const uint32_t n = r->user.recv_msglen;
    psm2_error_t err = src->dev->pull(*src->conn, r->token, r->user.buf, n, cookie_of(r));
    if (err == PSM2_OK) {
        ++stats_.rx_user_num;
        stats_.rx_user_bytes += n;
        return;
    }
    ps->inflight.unlink(r, kMainSlot);
    if (err == PSM2_EP_NO_RESOURCES) {
        r->state = ReqState::PullQueued;
        pending_pulls_.push_back(r, kMainSlot);
        return;
    }
    complete(r, err);
}

int Engine::retry_pulls() {
    int started = 0;
    // Each request is tried once per call; one that is refused again goes to
    // the back of the list and waits for the next progress.
    size_t n = pending_pulls_.size;
    while (n-- > 0) {
        psm2_mq_req* r = pending_pulls_.pop_front(kMainSlot);
        if (!r) break;
        start_pull(r);
        if (r->state != ReqState::PullQueued) ++started;
    }
    return started;
}

void Engine::on_pull_done(uint64_t recv_cookie, psm2_error_t err) {
    psm2_mq_req* r = from_cookie(recv_cookie, ReqState::Pulling);
    if (!r) return;   // stale: the request already failed with its peer
    if (r->user.peer && r->user.peer->mq_state) r->user.peer->mq_state->inflight.unlink(r, kMainSlot);
    complete(r, err);
}

}  // namespace psm::mq
