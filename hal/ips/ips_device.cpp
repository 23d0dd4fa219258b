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
#include "hal/ips/process_devices.h"
#include "hal/ips/rail_select.h"
#include "hal/ips/rails.h"
#include "hal/log.h"

namespace psm::hal::ips {

namespace {

uint32_t round_down(uint32_t v, uint32_t unit) { return v / unit * unit; }

// Bounds keep the nanoseconds from wrapping and the factor from truncating
// to 0 (%lu also takes "-1" as a huge number).
constexpr unsigned long kMaxErrchkMs = 3'600'000;   // an hour
constexpr unsigned long kMaxErrchkFactor = 1024;

bool parse_errchk(const std::string& text, RetransmitTimer* t) {
    unsigned long lo = 0, hi = 0, f = 0;
    if (std::sscanf(text.c_str(), "%lu:%lu:%lu", &lo, &hi, &f) != 3 || lo == 0 || hi < lo || f == 0 ||
        hi > kMaxErrchkMs || f > kMaxErrchkFactor)
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
    if (ct > 0) s.connect_timeout_ns = std::min<int64_t>(ct, INT32_MAX) * 1000 * int64_t(kMs);   // no overflow
    // A peer on another host that died (or hangs) can only be told by its
    // silence; negative values are unparsable input and keep the default.
    int64_t pt = env::get_int("PSM2_PEER_TIMEOUT");
    if (pt >= 0) s.peer_timeout_ns = uint64_t(std::min<int64_t>(pt, INT32_MAX)) * 1000 * kMs;
    return s;
}

namespace {
thread_local std::string t_open_error;
}  // namespace

const char* last_open_error() { return t_open_error.c_str(); }

psm2_error_t open_hfi_device(const hal::OpenParams& params, std::unique_ptr<hal::Device>* out) {
    t_open_error.clear();
    if (!hfi::device_present()) return PSM2_EP_NO_DEVICE;
    std::vector<RailSpec> rails;
    if (psm2_error_t err = choose_rails(&rails, &t_open_error)) return err;
    if (rails.size() > 1) {
        psm2_error_t err = open_rails_device(params, rails, out, &t_open_error);
        // psm2_ep_open may carry on without the HFI (shm): say why it has none.
        if (err != PSM2_OK) log::warn("%s", t_open_error.c_str());
        return err;
    }
    hfi::OpenRequest req;
    req.unit = rails.empty() ? params.unit : rails[0].unit;
    req.port = rails.empty() ? params.port : rails[0].port;
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
    register_device(this);
}

IpsDevice::~IpsDevice() {
    unregister_device(this);
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
    const ProtocolStats& s = stats_;
    log::trace(log::kProtocol,
               "hfi: sent %llu received %llu packets; damaged %llu, out of order %llu, duplicates %llu, "
               "naks %llu, timeouts %llu, foreign %llu",
               (unsigned long long)s.packets_sent, (unsigned long long)s.packets_received,
               (unsigned long long)s.damaged, (unsigned long long)s.out_of_order,
               (unsigned long long)s.duplicates, (unsigned long long)s.naks_sent, (unsigned long long)s.timeouts,
               (unsigned long long)s.foreign);
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

void IpsDevice::poll_quietly() {
    bool was_deferring = defer_;
    defer_ = true;
    poll_receive(kReceiveBudget);
    defer_ = was_deferring;
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
RndvToken make_token(uint32_t id, uint32_t len, uint32_t conn, uint32_t rail_mask) {
    return RndvToken{{id, len, conn, kTokenMagic | uint64_t(rail_mask) << 32}};
}

}  // namespace psm::hal::ips
