// Eager flow control: the configuration, returning consumed credits to
// senders in batches, taking returned credits, and the request-limit
// warnings. The per-message accounting is inline in engine_impl.h.
#include <utility>

#include "hal/env.h"
#include "hal/log.h"
#include "mq/engine_impl.h"

namespace psm::mq {

CreditConfig read_credit_config() {
    CreditConfig c;
    const int64_t msgs = env::get_int("PSM2_MQ_EAGER_CREDITS");
    const int64_t bytes = env::get_int("PSM2_MQ_EAGER_CREDIT_BYTES");
    c.msgs = msgs <= 0 ? 0u : msgs > int64_t(UINT32_MAX) ? UINT32_MAX : static_cast<uint32_t>(msgs);
    // A byte budget below one small message would turn every send into a
    // rendezvous; keep at least 64 KiB.
    c.bytes = static_cast<uint64_t>(std::max<int64_t>(bytes, 64 << 10));
    // Return batches: a quarter of the budget keeps a sender that is matched
    // promptly from ever running dry (it has three quarters in hand while a
    // batch travels back). With our own sends unlimited, senders may still be
    // limited: batch as for the defaults.
    const CreditConfig defaults;
    const uint32_t m = c.msgs ? c.msgs : defaults.msgs;
    const uint64_t b = c.msgs ? c.bytes : defaults.bytes;
    c.return_msgs = std::max<uint32_t>(1, m / 4);
    c.return_bytes = std::max<uint64_t>(1, b / 4);
    return c;
}

void Engine::note_small_rts(psm2_epaddr* src, uint32_t len) {
    PeerState* ps = src ? src->mq_state : nullptr;
    if (!ps || len >= ps->rndv_threshold) return;
    // Either src chose rendezvous for a small message (SENDSYNC, another
    // threshold) or it has no credits left. A batch may be far from full
    // (src's budget can be smaller than ours), so send what we owe now, and
    // at once for what we consume next.
    ps->owed.flush = true;
    if (ps->owed.due(credit_cfg_)) schedule_credit_return(src);
}

void Engine::schedule_credit_return(psm2_epaddr* p) {
    PeerState* ps = p->mq_state;
    if (ps->in_credit_list) return;
    ps->in_credit_list = true;
    credit_peers_.push_back(p);
}

// One small AM per peer: (messages, bytes) consumed since the last return.
// The AM path queues it if the device has no room, so nothing owed is lost.
int Engine::return_credits() {
    std::vector<psm2_epaddr*> due;
    due.swap(credit_peers_);
    int sent = 0;
    for (psm2_epaddr* p : due) {
        PeerState* ps = p->mq_state;
        if (!ps) continue;   // removed meanwhile (remove_peer also erases it)
        ps->in_credit_list = false;
        const OwedCredits owed = std::exchange(ps->owed, OwedCredits{});
        if (!owed.msgs || check_destination(p) != PSM2_OK) continue;
        psm2_amarg_t args[2];
        args[0].u64 = owed.msgs;
        args[1].u64 = owed.bytes;
        hal::AmPacket pkt;
        pkt.handler = kCreditAmHandler;
        pkt.nargs = 2;
        pkt.args = args;
        pkt.flags = PSM2_AM_FLAG_NOREPLY;
        if (send_am(p, pkt) == PSM2_OK) {
            ++flow_.credit_msgs_sent;
            ++sent;
        }
    }
    if (credit_peers_.empty()) {   // keep the capacity for the next round
        due.clear();
        credit_peers_.swap(due);
    }
    return sent;
}

void Engine::on_credit_return(psm2_epaddr* src, const hal::AmPacket& pkt) {
    PeerState* ps = src ? src->mq_state : nullptr;
    if (!ps || pkt.nargs < 2 || !pkt.args) return;
    ++flow_.credit_msgs_received;
    ps->tx_credits.give_back(pkt.args[0].u64, pkt.args[1].u64, credit_cfg_);
}

void Engine::warn_request_limit(ReqKind kind, bool refused) {
    const bool send = kind == ReqKind::Send;
    bool& warned = send ? warned_send_limit_ : warned_recv_limit_;
    if (warned) return;
    warned = true;
    if (send)
        log::warn("mq: %lu send requests outstanding, the PSM2_MQ_SENDREQS_MAX limit: further sends fail "
                  "with PSM2_NO_MEMORY until some complete",
                  static_cast<unsigned long>(max_sends_));
    else if (refused)
        log::warn("mq: %lu receive requests and unexpected messages held, the PSM2_MQ_RECVREQS_MAX limit: "
                  "further receives that find no waiting message fail with PSM2_NO_MEMORY",
                  static_cast<unsigned long>(max_recvs_));
    else
        log::warn("mq: over %lu receive requests and unexpected messages held (PSM2_MQ_RECVREQS_MAX): "
                  "senders outpace this process's receives; arrivals are still kept",
                  static_cast<unsigned long>(max_recvs_));
}

}  // namespace psm::mq
