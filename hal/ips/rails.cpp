#include "hal/ips/rails.h"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <string>
#include <unordered_map>

#include "hal/ips/conn.h"
#include "hal/ips/ips_device_impl.h"
#include "hal/log.h"

namespace psm::hal::ips {
namespace {

// The last bytes of rail 0's slice, asked for once every other slice landed.
constexpr uint32_t kHoldBytes = 16u << 10;
constexpr uint32_t kSliceAlign = 4096;

class RailsDevice;

// The engine's connection: the peer's rail 0 and those of its other rails
// that are up.
struct RailsConn final : Conn {
    IpsConn* rail[kMaxRails]{};
};

// Sink of one rail: reports go to the multirail device, which speaks to the
// engine for all rails.
class RailSink final : public Sink {
public:
    RailSink(RailsDevice* dev, uint32_t rail) : dev_(dev), rail_(rail) {}
    void on_eager(Conn& from, const Tag96& tag, const void* p, uint32_t len) override;
    void on_rts(Conn& from, const Tag96& tag, uint32_t len, const RndvToken& t) override;
    void on_pull_done(uint64_t cookie, psm2_error_t err) override;
    void on_send_done(uint64_t cookie, psm2_error_t err) override;
    void on_am(Conn& from, const AmPacket& pkt) override;
    void on_am_done(uint64_t cookie) override;
    void on_peer_lost(Conn& peer, psm2_error_t err) override;

private:
    RailsDevice* dev_;
    uint32_t rail_;
};

class RailsDevice final : public Device {
public:
    explicit RailsDevice(Sink* outer) : outer_(outer) {}
    ~RailsDevice() override {
        for (const RailCounters& r : counters())
            log::trace(log::kDevices, "hfi rail unit %u epid 0x%" PRIx64 ": %" PRIu64 " packets, %" PRIu64
                       " rendezvous bytes sent", r.unit, r.epid, r.packets_sent, r.rndv_bytes_sent);
        rails_.clear();   // before the sinks and connections they report to
    }

    void add_rail(std::unique_ptr<RailSink> sink, std::unique_ptr<IpsDevice> dev) {
        units_.push_back(dev->context().info().unit);
        sinks_.push_back(std::move(sink));
        rails_.push_back(std::move(dev));
    }
    size_t rail_count() const { return rails_.size(); }
    IpsDevice& rail(size_t k) { return *rails_[k]; }

    std::vector<RailCounters> counters() const {
        std::vector<RailCounters> v;
        for (size_t k = 0; k < rails_.size(); ++k) {
            const IpsDevice& d = *rails_[k];
            v.push_back({units_[k], d.local_epid(), d.stats().packets_sent, d.stats().rndv_bytes_sent});
        }
        return v;
    }

    std::string_view name() const override { return "hfi"; }
    bool reaches(psm2_epid_t epid) const override { return rails_[0]->reaches(epid); }
    psm2_epid_t local_epid() const override { return rails_[0]->local_epid(); }

    psm2_error_t connect(psm2_epid_t epid, int64_t timeout_ns, Conn** out) override {
        Conn* c = nullptr;
        if (psm2_error_t err = rails_[0]->connect(epid, timeout_ns, &c)) return err;
        auto& c0 = static_cast<IpsConn&>(*c);
        RailsConn& rc = conn_of(c0);
        size_t n = std::min<size_t>(rails_.size(), 1 + c0.peer_extra_rails);
        for (size_t k = 1; k < n; ++k) {
            if (rail_conn(rc, k)) continue;
            Conn* ck = nullptr;
            psm2_error_t err = rails_[k]->connect(c0.peer_rails[k - 1], timeout_ns, &ck);
            if (err != PSM2_OK) {
                log::trace(log::kDevices, "hfi: rail %zu to epid 0x%" PRIx64 " (rail 0 0x%" PRIx64 "): %s; "
                           "messages to that peer use the other rails", k, c0.peer_rails[k - 1], epid,
                           psm2_error_get_string(err));
                continue;
            }
            bind(rc, k, static_cast<IpsConn*>(ck));
        }
        *out = &rc;
        return PSM2_OK;
    }

    void disconnect(Conn* c) override {
        auto* rc = static_cast<RailsConn*>(c);
        // The engine has already failed what it had toward this peer.
        for (auto it = sends_.begin(); it != sends_.end();)
            it = it->second.rc == rc ? (withdraw_exposures(it->second), sends_.erase(it)) : std::next(it);
        std::erase_if(pulls_, [rc](const auto& kv) { return kv.second.rc == rc; });
        for (size_t k = rails_.size(); k-- > 0;) {
            if (!rc->rail[k]) continue;
            rc->rail[k]->peer_cookie = nullptr;
            rails_[k]->disconnect(rc->rail[k]);
            rc->rail[k] = nullptr;
        }
        rc->peer_cookie = nullptr;
    }

    psm2_error_t send_eager(Conn& c, const Tag96& tag, const void* buf, uint32_t len) override {
        IpsConn* c0 = static_cast<RailsConn&>(c).rail[0];
        return c0 ? rails_[0]->send_eager(*c0, tag, buf, len) : PSM2_EPID_UNREACHABLE;
    }

    psm2_error_t send_am(Conn& c, const AmPacket& pkt) override {
        IpsConn* c0 = static_cast<RailsConn&>(c).rail[0];
        return c0 ? rails_[0]->send_am(*c0, pkt) : PSM2_EPID_UNREACHABLE;
    }

    psm2_error_t send_rts(Conn& c, const Tag96& tag, const void* buf, uint32_t len, uint64_t cookie) override {
        auto& rc = static_cast<RailsConn&>(c);
        if (!rc.rail[0]) return PSM2_EPID_UNREACHABLE;
        uint32_t mask = 0;
        if (len >= kStripeMinBytes)
            for (size_t k = 1; k < rails_.size(); ++k)
                if (rail_conn(rc, k)) mask |= 1u << k;
        uint64_t key = next_key_++;
        uint32_t id = 0;
        if (psm2_error_t err = rails_[0]->send_rts_striped(*rc.rail[0], tag, buf, len, key, mask, &id)) return err;
        // Before any progress: the receiver's CTS on rail k cannot come sooner.
        for (size_t k = 1; k < rails_.size(); ++k)
            if (mask >> k & 1 && rails_[k]->expose(*rc.rail[k], id, buf, len) != PSM2_OK)
                log::warn("hfi: rail %zu could not expose a rendezvous buffer", k);
        sends_[key] = SendRecord{cookie, id, mask, &rc};
        return PSM2_OK;
    }

    psm2_error_t pull(Conn& c, const RndvToken& token, void* dst, uint32_t len, uint64_t cookie) override {
        auto& rc = static_cast<RailsConn&>(c);
        if (!rc.rail[0]) return PSM2_EPID_UNREACHABLE;
        if (uint32_t(token.w[3]) != kTokenMagic || token.w[2] != rc.rail[0]->index) return PSM2_PARAM_ERR;
        uint32_t n = std::min(len, token_len(token));
        uint32_t offered = token_rail_mask(token);
        std::vector<size_t> use;
        if (n >= kStripeMinBytes)
            for (size_t k = 1; k < rails_.size(); ++k)
                if (offered >> k & 1 && rail_conn(rc, k)) use.push_back(k);
        uint64_t key = next_key_++;
        PullRecord r;
        r.cookie = cookie;
        r.rc = &rc;
        r.sender_id = token_sender_id(token);
        r.dst = static_cast<uint8_t*>(dst);
        if (use.empty()) {
            // Whole message on rail 0; the sender withdraws what it exposed
            // elsewhere when rail 0 completes.
            if (psm2_error_t err = rails_[0]->pull(*rc.rail[0], token, dst, len, key << 2)) return err;
            r.pending = 1;
            pulls_[key] = r;
            return PSM2_OK;
        }
        uint32_t slice = n / uint32_t(1 + use.size()) / kSliceAlign * kSliceAlign;
        r.striped = true;
        r.hold_end = r.declared0 = slice;
        r.hold_begin = slice - std::min(slice, kHoldBytes);
        if (psm2_error_t err = rails_[0]->pull_range(*rc.rail[0], r.sender_id, dst, 0, r.hold_begin, r.declared0,
                                                     key << 2))
            return err;
        r.pending = 1;
        for (size_t i = 0; i < use.size(); ++i) {
            size_t k = use[i];
            r.begin[k] = slice * uint32_t(i + 1);
            r.end[k] = i + 1 == use.size() ? n : slice * uint32_t(i + 2);
            if (rails_[k]->pull_range(*rc.rail[k], r.sender_id, dst, r.begin[k], r.end[k], r.end[k] - r.begin[k],
                                      key << 2 | k) == PSM2_OK)
                ++r.pending;
            else
                refetch_on_rail0(r, key, k);
        }
        pulls_[key] = r;
        return PSM2_OK;
    }

    int progress() override {
        int n = 0;
        for (auto& r : rails_) n += r->progress();
        return n;
    }

    Limits limits() const override {
        Limits l = rails_[0]->limits();
        l.link_speed_mbps *= uint32_t(rails_.size());
        return l;
    }
    void set_rndv_threshold(uint32_t bytes) override {
        for (auto& r : rails_) r->set_rndv_threshold(bytes);
    }

    // ---- from the rails' sinks ----------------------------------------

    RailsConn& conn_of(IpsConn& c0) {
        if (c0.peer_cookie) return *static_cast<RailsConn*>(c0.peer_cookie);
        // First contact (our connect, or a peer that connected to us).
        conns_.push_back(std::make_unique<RailsConn>());
        RailsConn& rc = *conns_.back();
        rc.epid = c0.epid;
        rc.rail[0] = &c0;
        c0.peer_cookie = &rc;
        return rc;
    }

    Sink& outer() { return *outer_; }

    void rail_lost(size_t k, Conn& c, psm2_error_t err) {
        auto* rc = static_cast<RailsConn*>(c.peer_cookie);
        if (!rc) return;
        if (k == 0) {
            outer_->on_peer_lost(*rc, err);
            return;
        }
        // Rail 0 still reaches the peer; this rail is no longer used for it.
        log::trace(log::kDevices, "hfi: rail %zu to epid 0x%" PRIx64 " lost", k, rc->epid);
        rc->rail[k] = nullptr;
        c.peer_cookie = nullptr;
    }

    void send_done(size_t k, uint64_t key, psm2_error_t err) {
        if (k != 0) return;   // an exposure: rail 0's completion covers it
        auto it = sends_.find(key);
        if (it == sends_.end()) return;
        SendRecord s = it->second;
        sends_.erase(it);
        withdraw_exposures(s);
        outer_->on_send_done(s.cookie, err);
    }

    void pull_done(uint64_t cookie, psm2_error_t err) {
        uint64_t key = cookie >> 2;
        size_t k = cookie & 3;
        auto it = pulls_.find(key);
        if (it == pulls_.end()) return;
        PullRecord& r = it->second;
        --r.pending;
        if (err != PSM2_OK) {
            if (k != 0)
                refetch_on_rail0(r, key, k);   // the slice comes over rail 0 instead
            else if (r.err == PSM2_OK)
                r.err = err;
        }
        if (r.pending > 0) return;
        if (r.striped && !r.hold_sent && r.err == PSM2_OK) {
            // Every other slice landed: the last bytes complete the sender.
            r.hold_sent = true;
            psm2_error_t e = r.rc->rail[0] ? rails_[0]->pull_range(*r.rc->rail[0], r.sender_id, r.dst, r.hold_begin,
                                                                 r.hold_end, r.declared0, key << 2)
                                           : PSM2_EPID_UNREACHABLE;
            if (e == PSM2_OK) {
                ++r.pending;
                return;
            }
            r.err = e;
        }
        uint64_t engine_cookie = r.cookie;
        psm2_error_t result = r.err;
        pulls_.erase(it);
        outer_->on_pull_done(engine_cookie, result);
    }

private:
    struct SendRecord {
        uint64_t cookie = 0;   // the engine's
        uint32_t id = 0;       // rendezvous id on every rail
        uint32_t mask = 0;     // rails that expose the buffer
        RailsConn* rc = nullptr;
    };
    struct PullRecord {
        uint64_t cookie = 0;   // the engine's
        RailsConn* rc = nullptr;
        uint32_t sender_id = 0;
        uint8_t* dst = nullptr;
        uint32_t pending = 0;  // slices in flight
        psm2_error_t err = PSM2_OK;
        bool striped = false;
        bool hold_sent = false;
        uint32_t hold_begin = 0, hold_end = 0;
        uint32_t declared0 = 0;   // bytes asked of rail 0 altogether
        uint32_t begin[kMaxRails]{}, end[kMaxRails]{};
    };

    IpsConn* rail_conn(RailsConn& rc, size_t k) {
        IpsConn* c0 = rc.rail[0];
        if (!c0 || k > c0->peer_extra_rails || k >= rails_.size()) return nullptr;
        psm2_epid_t want = c0->peer_rails[k - 1];
        IpsConn* c = rc.rail[k];
        if (c && c->state == IpsConn::kConnected && c->epid == want) return c;
        // The peer may have connected this rail to us (we are its passive side).
        c = rails_[k]->find_connected(want);
        if (c) bind(rc, k, c);
        else rc.rail[k] = nullptr;
        return c;
    }

    void bind(RailsConn& rc, size_t k, IpsConn* c) {
        rc.rail[k] = c;
        c->peer_cookie = &rc;
    }

    void withdraw_exposures(const SendRecord& s) {
        for (size_t k = 1; k < rails_.size(); ++k)
            if (s.mask >> k & 1) rails_[k]->withdraw(s.id);
    }

    // The slice of rail k is asked of rail 0 (which exposes the whole
    // buffer too); rail 0's total grows by it, before its last bytes are asked.
    void refetch_on_rail0(PullRecord& r, uint64_t key, size_t k) {
        uint32_t b = r.begin[k], e = r.end[k];
        r.declared0 += e - b;
        psm2_error_t err = r.rc->rail[0]
                               ? rails_[0]->pull_range(*r.rc->rail[0], r.sender_id, r.dst, b, e, r.declared0, key << 2)
                               : PSM2_EPID_UNREACHABLE;
        if (err == PSM2_OK) ++r.pending;
        else if (r.err == PSM2_OK) r.err = err;
    }

    Sink* outer_;
    std::vector<uint32_t> units_;                     // unit of each rail
    std::vector<std::unique_ptr<RailSink>> sinks_;
    std::vector<std::unique_ptr<RailsConn>> conns_;   // kept until close: the engine and the rails point here
    std::vector<std::unique_ptr<IpsDevice>> rails_;   // destroyed first (declared last)
    std::unordered_map<uint64_t, SendRecord> sends_;
    std::unordered_map<uint64_t, PullRecord> pulls_;
    uint64_t next_key_ = 1;
};

void RailSink::on_eager(Conn& from, const Tag96& tag, const void* p, uint32_t len) {
    if (rail_ == 0) dev_->outer().on_eager(dev_->conn_of(static_cast<IpsConn&>(from)), tag, p, len);
}
void RailSink::on_rts(Conn& from, const Tag96& tag, uint32_t len, const RndvToken& t) {
    if (rail_ == 0) dev_->outer().on_rts(dev_->conn_of(static_cast<IpsConn&>(from)), tag, len, t);
}
void RailSink::on_am(Conn& from, const AmPacket& pkt) {
    if (rail_ == 0) dev_->outer().on_am(dev_->conn_of(static_cast<IpsConn&>(from)), pkt);
}
void RailSink::on_am_done(uint64_t cookie) {
    if (rail_ == 0) dev_->outer().on_am_done(cookie);
}
void RailSink::on_pull_done(uint64_t cookie, psm2_error_t err) { dev_->pull_done(cookie, err); }
void RailSink::on_send_done(uint64_t cookie, psm2_error_t err) { dev_->send_done(rail_, cookie, err); }
void RailSink::on_peer_lost(Conn& peer, psm2_error_t err) { dev_->rail_lost(rail_, peer, err); }

}  // namespace

psm2_error_t make_rails_device(const OpenParams& params, std::vector<std::unique_ptr<hfi::Context>> contexts,
                               std::unique_ptr<Device>* out, std::string* why) {
    if (contexts.empty() || contexts.size() > kMaxRails) return PSM2_INTERNAL_ERR;
    const hfi::ContextInfo& first = contexts[0]->info();
    for (size_t k = 1; k < contexts.size(); ++k) {
        const hfi::ContextInfo& i = contexts[k]->info();
        if (i.gen != first.gen) {
            *why = "multirail: rail " + std::to_string(k) + " (unit " + std::to_string(i.unit) + ") is " +
                   hfi::generation_info(i.gen).name + " but rail 0 (unit " + std::to_string(first.unit) + ") is " +
                   hfi::generation_info(first.gen).name + "; all rails must be of one generation";
            return PSM2_EP_DEVICE_FAILURE;
        }
    }
    auto dev = std::make_unique<RailsDevice>(params.sink);
    std::vector<psm2_epid_t> extra;
    std::string summary;
    for (size_t k = 0; k < contexts.size(); ++k) {
        auto sink = std::make_unique<RailSink>(dev.get(), uint32_t(k));
        OpenParams p = params;
        p.sink = sink.get();
        Settings s = settings_from_env(contexts[k]->info());
        auto rail = std::make_unique<IpsDevice>(p, std::move(contexts[k]), s);
        if (k > 0) extra.push_back(rail->local_epid());
        summary += " unit " + std::to_string(rail->context().info().unit) + " ctxt " +
                   std::to_string(rail->context().info().context) + ";";
        dev->add_rail(std::move(sink), std::move(rail));
    }
    dev->rail(0).set_rail_epids(extra.data(), uint32_t(extra.size()));
    log::trace(log::kDevices, "hfi: multirail, %zu rails:%s epid 0x%" PRIx64, dev->rail_count(), summary.c_str(),
               dev->local_epid());
    *out = std::move(dev);
    return PSM2_OK;
}

psm2_error_t open_rails_device(const OpenParams& params, const std::vector<RailSpec>& rails,
                               std::unique_ptr<Device>* out, std::string* why) {
    std::vector<std::unique_ptr<hfi::Context>> contexts;
    for (const RailSpec& r : rails) {
        hfi::OpenRequest req;
        req.unit = r.unit;
        req.port = r.port;
        std::memcpy(req.uuid, params.uuid, sizeof(req.uuid));
        std::unique_ptr<hfi::Context> ctx;
        if (psm2_error_t err = hfi::open_context(req, &ctx)) {
            *why = "multirail: no context on unit " + std::to_string(r.unit) + " port " + std::to_string(r.port) +
                   ": " + psm2_error_get_string(err);
            return err;
        }
        contexts.push_back(std::move(ctx));
    }
    return make_rails_device(params, std::move(contexts), out, why);
}

std::vector<RailCounters> rail_counters(const Device& d) {
    auto* r = dynamic_cast<const RailsDevice*>(&d);
    return r ? r->counters() : std::vector<RailCounters>{};
}

}  // namespace psm::hal::ips
