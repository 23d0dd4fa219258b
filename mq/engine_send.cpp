// Send side: eager and rendezvous sends, the per-peer backlog that keeps send
// order when a device runs out of room, and rendezvous completion.
#include <algorithm>

#include "hal/log.h"
#include "mq/engine_impl.h"

namespace psm::mq {

psm2_error_t Engine::check_destination(const psm2_epaddr* dest) const {
    if (!dest || dest->magic != psm2_epaddr::kMagic || dest->ep != ep_ || !dest->mq_state) return PSM2_PARAM_ERR;
    if (dest->lost || !dest->dev || !dest->conn) return PSM2_EPID_UNREACHABLE;
    return PSM2_OK;
}

psm2_error_t Engine::send_blocking(psm2_epaddr* dest, uint32_t flags, const Tag96& tag, const void* buf,
                                   uint32_t len, psm2_mq_req** wait_on) {
    *wait_on = nullptr;
    PeerState* ps = dest->mq_state;
    if (trace_)
        log::trace(log::kMessages, "mq: send to %#lx tag %08x.%08x.%08x len %u flags %#x",
                   static_cast<unsigned long>(dest->epid), tag.w[0], tag.w[1], tag.w[2], len, flags);
    // The common case: a small message, nothing queued ahead of it, credit
    // left at the receiver. The device copies the bytes out, so no request is
    // needed at all.
    if (!(flags & PSM2_MQ_FLAG_SENDSYNC) && len < ps->rndv_threshold && ps->backlog.empty() &&
        ps->tx_credits.available(len)) {
        psm2_error_t err = dest->dev->send_eager(*dest->conn, tag, buf, len);
        if (err == PSM2_OK) {
            ps->tx_credits.take(len);
            ++stats_.tx_num;
            ++stats_.tx_eager_num;
            stats_.tx_eager_bytes += len;
            if (ps->shm_like) ++stats_.tx_shm_num;
            return PSM2_OK;
        }
        if (err != PSM2_EP_NO_RESOURCES) return err;
    }
    return isend(dest, flags, tag, buf, len, nullptr, wait_on, /*internal=*/true);
}

psm2_error_t Engine::isend(psm2_epaddr* dest, uint32_t flags, const Tag96& tag, const void* buf, uint32_t len,
                           void* ctx, psm2_mq_req** out, bool internal) {
    PeerState* ps = dest->mq_state;
    // Out of credits for an eager-sized message: credits may be waiting to
    // be read (a sender whose sends all complete at once never polls), so
    // poll once before falling back to rendezvous.
    if (!(flags & PSM2_MQ_FLAG_SENDSYNC) && len < ps->rndv_threshold && !ps->tx_credits.available(len)) [[unlikely]]
        progress();
    if (trace_ && !internal)
        log::trace(log::kMessages, "mq: isend to %#lx tag %08x.%08x.%08x len %u flags %#x",
                   static_cast<unsigned long>(dest->epid), tag.w[0], tag.w[1], tag.w[2], len, flags);
    psm2_mq_req* r = new_request(ReqKind::Send, /*user_limit=*/true);
    if (!r) return PSM2_NO_MEMORY;   // PSM2_MQ_SENDREQS_MAX reached (warned once) or out of memory
    r->user.peer = dest;
    r->user.tag.tag[0] = tag.w[0];
    r->user.tag.tag[1] = tag.w[1];
    r->user.tag.tag[2] = tag.w[2];
    r->user.buf = static_cast<uint8_t*>(const_cast<void*>(buf));
    r->user.buf_len = len;
    r->user.send_msglen = len;
    r->user.recv_msglen = len;
    r->user.context = ctx;
    r->internal = internal;
    // SENDSYNC: completing only after the receiver matched is exactly what
    // the rendezvous protocol does, whatever the size. A small message goes
    // by rendezvous too when the receiver holds all the unconsumed eager data
    // we may leave there (eager_credits.h): its memory stays bounded and a
    // blocking send waits for the match.
    r->rndv = (flags & PSM2_MQ_FLAG_SENDSYNC) || len >= ps->rndv_threshold;
    if (!r->rndv) {
        if (ps->tx_credits.available(len)) {
            ps->tx_credits.take(len);
        } else {
            r->rndv = true;
            ++flow_.credit_rndv_sends;
        }
    }

    ++stats_.tx_num;
    if (r->rndv) {
        ++stats_.tx_rndv_num;
        stats_.tx_rndv_bytes += len;
    } else {
        ++stats_.tx_eager_num;
        stats_.tx_eager_bytes += len;
    }
    if (ps->shm_like) ++stats_.tx_shm_num;

    *out = r;
    if (!ps->backlog.empty()) {   // order: never overtake a queued send
        queue_send(r);
        return PSM2_OK;
    }
    psm2_error_t err = start_send(r);
    if (err == PSM2_EP_NO_RESOURCES) {
        queue_send(r);
        return PSM2_OK;
    }
    if (err != PSM2_OK) {
        if (!r->rndv) ps->tx_credits.give_back(1, len, credit_cfg_);   // never reached the peer
        *out = nullptr;
        release(r);
        return err;
    }
    return PSM2_OK;
}

// Hands r to the device. On PSM2_OK an eager send is complete and a
// rendezvous send waits in the peer's in-flight list for on_send_done (which
// a loopback device may deliver before send_rts even returns). On any error
// r is in no list and keeps its previous state.
psm2_error_t Engine::start_send(psm2_mq_req* r) {
    psm2_epaddr* dest = r->user.peer;
    const Tag96 tag = req_tag(r);
    if (!r->rndv) {
        psm2_error_t err = dest->dev->send_eager(*dest->conn, tag, r->user.buf, r->user.buf_len);
        if (err == PSM2_OK) complete(r, PSM2_OK);
        return err;
    }
    PeerState* ps = dest->mq_state;
    const ReqState before = r->state;
    r->state = ReqState::SendInFlight;
    ps->inflight.push_back(r, kMainSlot);
    psm2_error_t err = dest->dev->send_rts(*dest->conn, tag, r->user.buf, r->user.buf_len, cookie_of(r));
    if (err != PSM2_OK) {
        ps->inflight.unlink(r, kMainSlot);
        r->state = before;
    }
    return err;
}

void Engine::queue_send(psm2_mq_req* r) {
    psm2_epaddr* dest = r->user.peer;
    PeerState* ps = dest->mq_state;
    r->state = ReqState::SendQueued;
    ps->backlog.push_back(r, kMainSlot);
    if (!ps->in_backlog_list) {
        ps->in_backlog_list = true;
        backlog_peers_.push_back(dest);
    }
}

int Engine::retry_backlog() {
    int sent = 0;
    // Index loop: a handler run by a synchronous device may queue sends to a
    // new peer (push_back) while we walk.
    for (size_t i = 0; i < backlog_peers_.size(); ++i) {
        psm2_epaddr* p = backlog_peers_[i];
        PeerState* ps = p->mq_state;
        while (psm2_mq_req* r = ps->backlog.pop_front(kMainSlot)) {
            psm2_error_t err = start_send(r);
            if (err == PSM2_EP_NO_RESOURCES) {
                ps->backlog.push_front(r, kMainSlot);
                break;
            }
            if (err != PSM2_OK) complete(r, err);
            ++sent;
        }
    }
    std::erase_if(backlog_peers_, [](psm2_epaddr* p) {
        if (!p->mq_state->backlog.empty()) return false;
        p->mq_state->in_backlog_list = false;
        return true;
    });
    return sent;
}

void Engine::on_send_done(uint64_t send_cookie, psm2_error_t err) {
    psm2_mq_req* r = from_cookie(send_cookie, ReqState::SendInFlight);
    if (!r) return;   // stale: already failed with its peer
    r->user.peer->mq_state->inflight.unlink(r, kMainSlot);
    complete(r, err);
}

}  // namespace psm::mq
