// Active messages: sending requests and replies, running handlers, the
// completion callbacks, and the parameters reported to the user.
#include <algorithm>

#include "hal/log.h"
#include "mq/engine_impl.h"

namespace psm::mq {

namespace {

// What the original's shm device offers; used when a device leaves a limit
// unset (0) and as the answer for an endpoint without devices.
constexpr uint32_t kDefaultAmShort = 8192;
constexpr uint32_t kDefaultAmArgs = 8;

struct AmLimits {
    uint32_t nargs;
    uint32_t request_short;
    uint32_t reply_short;
};

AmLimits limits_of(const hal::Limits& l) {
    auto or_default = [](uint32_t v, uint32_t d) { return v ? v : d; };
    return AmLimits{std::min(or_default(l.am_max_nargs, kDefaultAmArgs), kAmMaxArgs),
                    or_default(l.am_max_request_short, kDefaultAmShort),
                    or_default(l.am_max_reply_short, kDefaultAmShort)};
}

}  // namespace

psm2_am_parameters Engine::am_parameters() const {
    AmLimits m{kDefaultAmArgs, kDefaultAmShort, kDefaultAmShort};
    bool first = true;
    for (hal::Device* d : devices_) {
        AmLimits l = limits_of(d->limits());
        if (first) {
            m = l;
            first = false;
            continue;
        }
        m.nargs = std::min(m.nargs, l.nargs);
        m.request_short = std::min(m.request_short, l.request_short);
        m.reply_short = std::min(m.reply_short, l.reply_short);
    }
    return psm2_am_parameters{kAmMaxHandlers, m.nargs, m.request_short, m.reply_short};
}

// The caller's args and payload may be reused as soon as the call returns
// (psm2_am.h), so when the device has no room the packet is copied and sent
// later from progress(); packets to one peer keep their order.
psm2_error_t Engine::send_am(psm2_epaddr* dest, const hal::AmPacket& pkt) {
    PeerState* ps = dest->mq_state;
    if (ps->am_backlog.empty()) {
        psm2_error_t err = dest->dev->send_am(*dest->conn, pkt);
        if (err != PSM2_EP_NO_RESOURCES) return err;
    }
    PendingAm& q = ps->am_backlog.emplace_back();
    q.pkt = pkt;
    if (pkt.nargs) q.args.assign(pkt.args, pkt.args + pkt.nargs);
    if (pkt.len) {
        auto* b = static_cast<const uint8_t*>(pkt.payload);
        q.payload.assign(b, b + pkt.len);
    }
    q.pkt.args = q.args.data();
    q.pkt.payload = q.payload.data();
    if (!ps->in_am_backlog_list) {
        ps->in_am_backlog_list = true;
        am_backlog_peers_.push_back(dest);
    }
    return PSM2_OK;
}

int Engine::retry_am_backlog() {
    int sent = 0;
    for (size_t i = 0; i < am_backlog_peers_.size(); ++i) {
        psm2_epaddr* p = am_backlog_peers_[i];
        PeerState* ps = p->mq_state;
        while (!ps->am_backlog.empty()) {
            PendingAm& q = ps->am_backlog.front();
            psm2_error_t err = p->dev->send_am(*p->conn, q.pkt);
            if (err == PSM2_EP_NO_RESOURCES) break;
            if (err != PSM2_OK) {
                log::warn("mq: queued active message to %#lx failed (%d); dropped",
                          static_cast<unsigned long>(p->epid), static_cast<int>(err));
                if (q.pkt.completion) am_.drop_completion(q.pkt.completion);
            }
            ps->am_backlog.pop_front();
            ++sent;
        }
    }
    std::erase_if(am_backlog_peers_, [](psm2_epaddr* p) {
        if (!p->mq_state->am_backlog.empty()) return false;
        p->mq_state->in_am_backlog_list = false;
        return true;
    });
    return sent;
}

namespace {
// The packet of a request or reply; nargs and len were checked by the caller.
hal::AmPacket am_packet(psm2_handler_t handler, const psm2_amarg_t* args, int nargs, const void* src,
                        size_t len, int flags, bool is_reply) {
    hal::AmPacket pkt;
    pkt.handler = handler;
    pkt.nargs = static_cast<uint32_t>(nargs);
    pkt.args = nargs ? args : nullptr;
    pkt.payload = len ? src : nullptr;
    pkt.len = static_cast<uint32_t>(len);
    pkt.flags = static_cast<uint32_t>(flags);
    pkt.is_reply = is_reply;
    return pkt;
}
}  // namespace

psm2_error_t Engine::am_request(psm2_epaddr* dest, psm2_handler_t handler, const psm2_amarg_t* args, int nargs,
                                const void* src, size_t len, int flags, psm2_am_completion_fn_t fn,
                                void* ctxt) {
    AmLimits l = limits_of(dest->dev->limits());
    if (nargs < 0 || uint32_t(nargs) > l.nargs || len > l.request_short) return PSM2_PARAM_ERR;
    hal::AmPacket pkt = am_packet(handler, args, nargs, src, len, flags, false);
    pkt.completion = fn ? am_.add_completion(fn, ctxt) : 0;
    psm2_error_t err = send_am(dest, pkt);
    if (err != PSM2_OK && pkt.completion) am_.drop_completion(pkt.completion);
    return err;
}

psm2_error_t Engine::am_reply(AmToken* token, psm2_handler_t handler, const psm2_amarg_t* args, int nargs,
                              const void* src, size_t len, int flags, psm2_am_completion_fn_t fn, void* ctxt) {
    if (!token->can_reply || token->replied) return PSM2_AM_INVALID_REPLY;
    psm2_epaddr* dest = token->source;
    if (psm2_error_t e = check_destination(dest); e != PSM2_OK) return e;
    AmLimits l = limits_of(dest->dev->limits());
    if (nargs < 0 || uint32_t(nargs) > l.nargs || len > l.reply_short) return PSM2_PARAM_ERR;
    hal::AmPacket pkt = am_packet(handler, args, nargs, src, len, flags, true);
    pkt.completion = fn ? am_.add_completion(fn, ctxt) : 0;
    token->replied = true;
    psm2_error_t err = send_am(dest, pkt);
    if (err != PSM2_OK) {
        token->replied = false;
        if (pkt.completion) am_.drop_completion(pkt.completion);
    }
    return err;
}

void Engine::on_am(hal::Conn& from, const hal::AmPacket& pkt) {
    if (pkt.handler == kCreditAmHandler && !pkt.is_reply) {
        on_credit_return(static_cast<psm2_epaddr*>(from.peer_cookie), pkt);
        return;
    }
    const AmHandler* h = am_.lookup(pkt.handler);
    if (!h) {
        log::trace(log::kProtocol, "mq: AM for unregistered handler %u ignored", pkt.handler);
        return;
    }
    // Handlers get a mutable argument array (the C signature says so); the
    // device's copy is const and only valid during this call anyway.
    psm2_amarg_t args[kAmMaxArgs];
    const int nargs = static_cast<int>(std::min(pkt.nargs, kAmMaxArgs));
    std::copy_n(pkt.args ? pkt.args : args, pkt.args ? nargs : 0, args);

    AmToken token;
    token.engine = this;
    token.source = static_cast<psm2_epaddr*>(from.peer_cookie);
    token.can_reply = !pkt.is_reply && !(pkt.flags & PSM2_AM_FLAG_NOREPLY);
    {
        AmTokenScope active(&token);
        void* payload = const_cast<void*>(pkt.payload);
        if (h->fn2) h->fn2(&token, args, nargs, payload, pkt.len, h->hctx);
        else h->fn(&token, args, nargs, payload, pkt.len);
    }
    token.magic = 0;
}

void Engine::on_am_done(uint64_t completion) {
    AmTable::Completion c = am_.take_completion(completion);
    if (c.fn) c.fn(c.ctxt);
}

}  // namespace psm::mq
