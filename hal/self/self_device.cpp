#include "hal/self/self_device.h"

#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "hal/log.h"

namespace psm::hal {
namespace {

class SelfDevice;

// Endpoints of this process by epid; guarded because endpoints may be
// opened and closed from different threads.
struct Registry {
    std::mutex mu;
    std::unordered_map<psm2_epid_t, SelfDevice*> by_epid;
};
Registry& registry() {
    static Registry r;
    return r;
}

struct SelfConn final : Conn {
    SelfDevice* target = nullptr;   // device of the remote endpoint (may be this one)
};

// Eager payloads up to this size travel inside the event: no allocation per
// small message.
constexpr uint32_t kInlinePayload = 64;

// One queued event toward a device.
struct Event {
    enum class Kind : uint8_t { Eager, Rts, PullDone, SendDone, Am, AmDone } kind;
    psm2_epid_t from = 0;
    Tag96 tag{};
    std::vector<std::byte> data;         // eager payload past kInlinePayload / AM payload
    alignas(8) std::byte inline_data[kInlinePayload];
    uint32_t inline_len = 0;
    // User-provided so that emplace_back() does not zero inline_data first.
    Event() {}
    std::vector<psm2_amarg_t> args;
    const void* src = nullptr;           // rendezvous: sender's buffer
    uint32_t len = 0;
    uint64_t cookie = 0;                 // send cookie (RTS, SendDone) / recv cookie (PullDone)
    SelfDevice* origin = nullptr;        // RTS: device to notify on completion
    AmPacket am{};
    psm2_error_t err = PSM2_OK;
};

class SelfDevice final : public Device {
public:
    SelfDevice(const OpenParams& p) : sink_(p.sink), epid_(p.epid) {
        std::lock_guard lk(registry().mu);
        registry().by_epid[epid_] = this;
    }
    ~SelfDevice() override {
        std::lock_guard lk(registry().mu);
        registry().by_epid.erase(epid_);
        // Endpoints still pointing at us must not deliver into freed memory.
        for (auto& [id, dev] : registry().by_epid) dev->forget(this);
    }

    std::string_view name() const override { return "self"; }

    bool reaches(psm2_epid_t epid) const override {
        std::lock_guard lk(registry().mu);
        return registry().by_epid.count(epid) != 0;
    }

    psm2_error_t connect(psm2_epid_t epid, int64_t, Conn** out) override {
        SelfDevice* target = nullptr;
        {
            std::lock_guard lk(registry().mu);
            auto it = registry().by_epid.find(epid);
            if (it == registry().by_epid.end()) return PSM2_EPID_UNREACHABLE;
            target = it->second;
        }
        *out = conn_for(epid, target);
        return PSM2_OK;
    }

    void disconnect(Conn* c) override {
        auto* sc = static_cast<SelfConn*>(c);
        sc->peer_cookie = nullptr;   // further inbound traffic re-adopts the peer
    }

    psm2_error_t send_eager(Conn& c, const Tag96& tag, const void* buf, uint32_t len) override {
        SelfDevice* t = target_of(c);
        if (!t) return PSM2_EPID_UNREACHABLE;
        Event& e = t->push(Event::Kind::Eager);
        e.from = epid_;
        e.tag = tag;
        if (len <= kInlinePayload) {
            e.inline_len = len;
            if (len) std::memcpy(e.inline_data, buf, len);
        } else {
            e.data.resize(len);
            std::memcpy(e.data.data(), buf, len);
        }
        return PSM2_OK;
    }

    psm2_error_t send_rts(Conn& c, const Tag96& tag, const void* buf, uint32_t len,
                          uint64_t send_cookie) override {
        SelfDevice* t = target_of(c);
        if (!t) return PSM2_EPID_UNREACHABLE;
        Event& e = t->push(Event::Kind::Rts);
        e.from = epid_;
        e.tag = tag;
        e.src = buf;
        e.len = len;
        e.cookie = send_cookie;
        e.origin = this;
        return PSM2_OK;
    }

    psm2_error_t pull(Conn&, const RndvToken& token, void* dst, uint32_t len,
                      uint64_t recv_cookie) override {
        // Token: w[0] = source address, w[1] = announced length, w[2] = send
        // cookie, w[3] = sender's device. Same address space: one memcpy.
        auto* origin = reinterpret_cast<SelfDevice*>(token.w[3]);
        const void* src = reinterpret_cast<const void*>(token.w[0]);
        uint32_t n = len < token.w[1] ? len : static_cast<uint32_t>(token.w[1]);
        bool origin_alive = alive(origin);
        if (n && origin_alive) std::memcpy(dst, src, n);
        Event& done = push(Event::Kind::PullDone);
        done.cookie = recv_cookie;
        done.err = origin_alive ? PSM2_OK : PSM2_EPID_UNREACHABLE;
        if (origin_alive) {
            Event& sent = origin->push(Event::Kind::SendDone);
            sent.cookie = token.w[2];
        }
        return PSM2_OK;
    }

    psm2_error_t send_am(Conn& c, const AmPacket& pkt) override {
        SelfDevice* t = target_of(c);
        if (!t) return PSM2_EPID_UNREACHABLE;
        Event& e = t->push(Event::Kind::Am);
        e.from = epid_;
        e.am = pkt;
        e.args.assign(pkt.args, pkt.args + pkt.nargs);
        e.data.resize(pkt.len);
        if (pkt.len) std::memcpy(e.data.data(), pkt.payload, pkt.len);
        e.origin = this;
        return PSM2_OK;
    }

    int progress() override {
        // The idle case stays a few instructions: the delivery loop (with
        // its frame) lives in its own function.
        if (queue_.empty()) return 0;
        return deliver_queued();
    }

    [[gnu::noinline]] int deliver_queued() {
        // Deliver only what is queued now: handlers may queue more (replies),
        // which land in queue_ and wait for the next call, so one call always
        // terminates. The two vectors trade places and keep their capacity:
        // no allocation per event once warm.
        draining_.swap(queue_);
        int handled = 0;
        for (Event& e : draining_) {
            deliver(e);
            ++handled;
        }
        draining_.clear();
        return handled;
    }

    Limits limits() const override {
        Limits l;
        l.rndv_threshold = rndv_threshold_;
        l.am_max_nargs = 8;
        l.am_max_request_short = 65536;
        l.am_max_reply_short = 65536;
        return l;
    }
    void set_rndv_threshold(uint32_t bytes) override { rndv_threshold_ = bytes; }

private:
    Event& push(Event::Kind kind) {
        Event& e = queue_.emplace_back();
        e.kind = kind;
        return e;
    }

    static bool alive(SelfDevice* d) {
        std::lock_guard lk(registry().mu);
        for (auto& [id, dev] : registry().by_epid)
            if (dev == d) return true;
        return false;
    }

    SelfConn* conn_for(psm2_epid_t epid, SelfDevice* target) {
        auto& slot = conns_[epid];
        if (!slot) {
            slot = std::make_unique<SelfConn>();
            slot->epid = epid;
        }
        slot->target = target;
        return slot.get();
    }

    SelfDevice* target_of(Conn& c) {
        auto& sc = static_cast<SelfConn&>(c);
        return sc.target;
    }

    void forget(SelfDevice* gone) {
        for (auto& [id, c] : conns_) {
            if (c->target == gone) {
                c->target = nullptr;
                if (c->peer_cookie) lost_.push_back(c.get());
            }
        }
        std::erase_if(queue_, [gone](const Event& e) { return e.origin == gone && e.kind == Event::Kind::Rts; });
    }

    void deliver(Event& e) {
        switch (e.kind) {
        case Event::Kind::Eager: {
            Conn& from = inbound(e.from);
            if (e.data.empty()) sink_->on_eager(from, e.tag, e.inline_data, e.inline_len);
            else sink_->on_eager(from, e.tag, e.data.data(), static_cast<uint32_t>(e.data.size()));
            break;
        }
        case Event::Kind::Rts: {
            Conn& from = inbound(e.from);
            RndvToken tok{{reinterpret_cast<uint64_t>(e.src), e.len, e.cookie,
                           reinterpret_cast<uint64_t>(e.origin)}};
            sink_->on_rts(from, e.tag, e.len, tok);
            break;
        }
        case Event::Kind::PullDone: sink_->on_pull_done(e.cookie, e.err); break;
        case Event::Kind::SendDone: sink_->on_send_done(e.cookie, e.err); break;
        case Event::Kind::Am: {
            Conn& from = inbound(e.from);
            AmPacket pkt = e.am;
            pkt.args = e.args.data();
            pkt.payload = e.data.data();
            sink_->on_am(from, pkt);
            // The handler has run: tell the requester (completion callbacks).
            if (pkt.completion && !pkt.is_reply && alive(e.origin)) {
                Event& done = e.origin->push(Event::Kind::AmDone);
                done.cookie = pkt.completion;
            }
            break;
        }
        case Event::Kind::AmDone: sink_->on_am_done(e.cookie); break;
        }
        while (!lost_.empty()) {
            Conn* c = lost_.back();
            lost_.pop_back();
            sink_->on_peer_lost(*c, PSM2_EPID_UNREACHABLE);
        }
    }

    // The connection an inbound message arrives on; created on first contact
    // so that a peer that never called connect toward us is still known.
    Conn& inbound(psm2_epid_t from) {
        // Connections are never dropped from conns_, so the last one found
        // stays valid: a stream from one sender costs one compare.
        if (last_inbound_ && last_inbound_->epid == from) return *last_inbound_;
        if (auto it = conns_.find(from); it != conns_.end()) {
            last_inbound_ = it->second.get();
            return *last_inbound_;
        }
        SelfDevice* t = nullptr;
        {
            std::lock_guard lk(registry().mu);
            auto it = registry().by_epid.find(from);
            if (it != registry().by_epid.end()) t = it->second;
        }
        last_inbound_ = conn_for(from, t);
        return *last_inbound_;
    }

    Sink* sink_;
    psm2_epid_t epid_;
    uint32_t rndv_threshold_ = 16000;
    std::vector<Event> queue_;      // events toward this device, in order
    std::vector<Event> draining_;   // the batch progress() is delivering
    std::unordered_map<psm2_epid_t, std::unique_ptr<SelfConn>> conns_;
    std::vector<Conn*> lost_;
    SelfConn* last_inbound_ = nullptr;
};

}  // namespace

psm2_error_t open_self_device(const OpenParams& params, std::unique_ptr<Device>* out) {
    if (!params.sink || params.epid == 0) return PSM2_PARAM_ERR;
    *out = std::make_unique<SelfDevice>(params);
    return PSM2_OK;
}

}  // namespace psm::hal
