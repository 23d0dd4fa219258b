// Sits between one device and the engine. A device may deliver traffic from
// a peer this endpoint never connected to (the peer connected to us); the
// engine needs a psm2_epaddr for the message's source, so the first such
// message creates one, exactly as if psm2_ep_connect had been called.
#pragma once

#include "hal/device.h"
#include "psm2.h"

namespace psm {

// Creates (or finds) the epaddr for an inbound connection; defined in endpoint.cpp.
psm2_epaddr* adopt_peer(psm2_ep_t ep, hal::Device* dev, hal::Conn& conn);

class PeerAdopter final : public hal::Sink {
public:
    PeerAdopter(psm2_ep_t ep, hal::Sink* inner) : ep_(ep), inner_(inner) {}
    void set_device(hal::Device* dev) { dev_ = dev; }

    void on_eager(hal::Conn& from, const hal::Tag96& tag, const void* p, uint32_t len) override {
        if (ensure(from)) inner_->on_eager(from, tag, p, len);
    }
    void on_rts(hal::Conn& from, const hal::Tag96& tag, uint32_t len, const hal::RndvToken& t) override {
        if (ensure(from)) inner_->on_rts(from, tag, len, t);
    }
    void on_pull_done(uint64_t c, psm2_error_t e) override { inner_->on_pull_done(c, e); }
    void on_send_done(uint64_t c, psm2_error_t e) override { inner_->on_send_done(c, e); }
    void on_am(hal::Conn& from, const hal::AmPacket& pkt) override {
        if (ensure(from)) inner_->on_am(from, pkt);
    }
    void on_am_done(uint64_t c) override { inner_->on_am_done(c); }
    void on_peer_lost(hal::Conn& peer, psm2_error_t e) override {
        if (peer.peer_cookie) inner_->on_peer_lost(peer, e);
    }

private:
    bool ensure(hal::Conn& from) {
        if (__builtin_expect(from.peer_cookie != nullptr, 1)) return true;
        return adopt_peer(ep_, dev_, from) != nullptr;
    }

    psm2_ep_t ep_;
    hal::Sink* inner_;
    hal::Device* dev_ = nullptr;
};

}  // namespace psm
