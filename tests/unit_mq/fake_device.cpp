#include "fake_device.h"

namespace mqtest {

psm2_error_t FakeDevice::send_eager(psm::hal::Conn& c, const Tag96& tag, const void* buf, uint32_t len) {
    if (refuse_sends > 0) {
        --refuse_sends;
        return PSM2_EP_NO_RESOURCES;
    }
    auto& fc = static_cast<FakeConn&>(c);
    Packet p{Kind::Eager};
    p.from = fc.remote_conn;
    p.tag = tag;
    p.len = len;
    if (len) p.data.assign(static_cast<const uint8_t*>(buf), static_cast<const uint8_t*>(buf) + len);
    fc.remote->inbox_.push_back(std::move(p));
    ++eager_sent;
    return PSM2_OK;
}

psm2_error_t FakeDevice::send_rts(psm::hal::Conn& c, const Tag96& tag, const void* buf, uint32_t len,
                                  uint64_t send_cookie) {
    if (refuse_sends > 0) {
        --refuse_sends;
        return PSM2_EP_NO_RESOURCES;
    }
    auto& fc = static_cast<FakeConn&>(c);
    Packet p{Kind::Rts};
    p.from = fc.remote_conn;
    p.tag = tag;
    p.len = len;
    p.token.w[0] = reinterpret_cast<uintptr_t>(buf);
    p.token.w[1] = len;
    p.token.w[2] = send_cookie;
    p.token.w[3] = reinterpret_cast<uintptr_t>(this);
    fc.remote->inbox_.push_back(std::move(p));
    ++rts_sent;
    return PSM2_OK;
}

psm2_error_t FakeDevice::pull(psm::hal::Conn&, const psm::hal::RndvToken& token, void* dst, uint32_t len,
                              uint64_t recv_cookie) {
    if (refuse_pulls > 0) {
        --refuse_pulls;
        return PSM2_EP_NO_RESOURCES;
    }
    if (len > token.w[1]) return PSM2_INTERNAL_ERR;   // the engine must never ask for more
    if (len) std::memcpy(dst, reinterpret_cast<const void*>(token.w[0]), len);
    ++pulls;
    Packet done{Kind::PullDone};
    done.cookie = recv_cookie;
    inbox_.push_back(std::move(done));
    auto* sender = reinterpret_cast<FakeDevice*>(token.w[3]);
    if (!sender->drop_send_done) {
        Packet sd{Kind::SendDone};
        sd.cookie = token.w[2];
        sender->inbox_.push_back(std::move(sd));
    }
    return PSM2_OK;
}

psm2_error_t FakeDevice::send_am(psm::hal::Conn& c, const psm::hal::AmPacket& pkt) {
    if (refuse_sends > 0) {
        --refuse_sends;
        return PSM2_EP_NO_RESOURCES;
    }
    auto& fc = static_cast<FakeConn&>(c);
    Packet p{Kind::Am};
    p.from = fc.remote_conn;
    p.handler = pkt.handler;
    p.flags = pkt.flags;
    p.is_reply = pkt.is_reply;
    p.cookie = pkt.completion;
    if (pkt.nargs) p.args.assign(pkt.args, pkt.args + pkt.nargs);
    p.len = pkt.len;
    if (pkt.len) {
        auto* b = static_cast<const uint8_t*>(pkt.payload);
        p.data.assign(b, b + pkt.len);
    }
    fc.remote->inbox_.push_back(std::move(p));
    ++am_sent;
    return PSM2_OK;
}

void FakeDevice::deliver(Packet& p) {
    switch (p.kind) {
    case Kind::Eager: sink_->on_eager(*p.from, p.tag, p.data.data(), p.len); break;
    case Kind::Rts: sink_->on_rts(*p.from, p.tag, p.len, p.token); break;
    case Kind::PullDone: sink_->on_pull_done(p.cookie, p.err); break;
    case Kind::SendDone: sink_->on_send_done(p.cookie, p.err); break;
    case Kind::AmDone: sink_->on_am_done(p.cookie); break;
    case Kind::Am: {
        psm::hal::AmPacket pkt;
        pkt.handler = p.handler;
        pkt.nargs = static_cast<uint32_t>(p.args.size());
        pkt.args = p.args.data();
        pkt.payload = p.data.data();
        pkt.len = p.len;
        pkt.flags = p.flags;
        pkt.is_reply = p.is_reply;
        pkt.completion = p.cookie;
        sink_->on_am(*p.from, pkt);
        if (p.cookie) {   // acknowledge: the handler ran
            Packet ack{Kind::AmDone};
            ack.cookie = p.cookie;
            p.from->remote->inbox_.push_back(std::move(ack));
        }
        break;
    }
    }
}

int FakeDevice::progress() {
    int n = 0;
    // Only what is queued now; packets a handler adds wait for the next call.
    for (size_t todo = inbox_.size(); todo > 0 && !inbox_.empty(); --todo) {
        Packet p = std::move(inbox_.front());
        inbox_.pop_front();
        deliver(p);
        ++n;
    }
    return n;
}

}  // namespace mqtest
