// Engine lifetime, device and peer wiring, progress, options, statistics, and
// the free functions of mq/engine.h.
#include "mq/engine.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "hal/env.h"
#include "hal/log.h"
#include "mq/engine_impl.h"

namespace psm::mq {

namespace {

// Live engines, for validating psm2_mq_t handles (a handful per process).
std::vector<Engine*>& live_engines() {
    static auto* v = new std::vector<Engine*>;
    return *v;
}

// The engine from_mq found last (nullptr once it is destroyed): the common
// single-endpoint process validates its handle with one compare. Read and
// written under the API lock, like live_engines().
Engine* g_last_mq = nullptr;

uint32_t env_threshold(const char* name) {
    int64_t v = env::get_int(name);
    return v < 0 ? 0u : v > int64_t(UINT32_MAX) ? UINT32_MAX : static_cast<uint32_t>(v);
}

// PSM2_MQ_PRINT_STATS: one summary per endpoint when it closes.
void print_stats(const psm2_mq_stats& s, const FlowCounters& f) {
    std::fprintf(stderr,
                 "[%d] psm2 mq stats: tx %lu (eager %lu / %lu B, rndv %lu / %lu B, shm %lu); "
                 "rx user %lu / %lu B, unexpected %lu / %lu B, shm %lu; sysbufs %lu / %lu B\n",
                 static_cast<int>(getpid()), (unsigned long)s.tx_num, (unsigned long)s.tx_eager_num,
                 (unsigned long)s.tx_eager_bytes, (unsigned long)s.tx_rndv_num, (unsigned long)s.tx_rndv_bytes,
                 (unsigned long)s.tx_shm_num, (unsigned long)s.rx_user_num, (unsigned long)s.rx_user_bytes,
                 (unsigned long)s.rx_sys_num, (unsigned long)s.rx_sys_bytes, (unsigned long)s.rx_shm_num,
                 (unsigned long)s.rx_sysbuf_num, (unsigned long)s.rx_sysbuf_bytes);
    std::fprintf(stderr,
                 "[%d] psm2 mq flow: unexpected eager peak %lu msgs / %lu B; sends by rendezvous for lack of "
                 "credits %lu; credit returns sent %lu, received %lu\n",
                 static_cast<int>(getpid()), (unsigned long)f.peak_eager_msgs, (unsigned long)f.peak_eager_bytes,
                 (unsigned long)f.credit_rndv_sends, (unsigned long)f.credit_msgs_sent,
                 (unsigned long)f.credit_msgs_received);
}

}  // namespace

DeviceClass device_class(const hal::Device& d) {
    std::string_view n = d.name();
    return (n == "shm" || n == "self") ? DeviceClass::IntraNode : DeviceClass::Fabric;
}

Engine::Engine(psm2_ep_t ep)
    : ep_(ep),
      pool_(this),
      rndv_intra_(env_threshold("PSM2_MQ_RNDV_SHM_THRESH")),
      rndv_fabric_(env_threshold("PSM2_MQ_RNDV_HFI_THRESH")),
      max_sends_(static_cast<uint64_t>(std::max<int64_t>(1, env::get_int("PSM2_MQ_SENDREQS_MAX")))),
      max_recvs_(static_cast<uint64_t>(std::max<int64_t>(1, env::get_int("PSM2_MQ_RECVREQS_MAX")))),
      credit_cfg_(read_credit_config()) {
    live_engines().push_back(this);
    trace_ = log::enabled(log::kMessages);
}

Engine::~Engine() {
    if (env::get_int("PSM2_MQ_PRINT_STATS") > 0) print_stats(stats(), flow_);
    // Eager payloads of unexpected (or probed, never received) messages are
    // the only memory requests own.
    pool_.for_each_slot([this](psm2_mq_req* r) {
        if (r->state != ReqState::Free && r->sysbuf) sysbufs_.release(r->sysbuf, r->sysbuf_cap);
    });
    magic_ = 0;
    if (g_last_mq == this) g_last_mq = nullptr;
    std::erase(live_engines(), this);
}

void Engine::attach(hal::Device* d) {
    if (!d || std::find(devices_.begin(), devices_.end(), d) != devices_.end()) return;
    devices_.push_back(d);
    // An option set before this device existed still applies to it.
    DeviceClass c = device_class(*d);
    if (c == DeviceClass::IntraNode ? rndv_intra_set_ : rndv_fabric_set_) d->set_rndv_threshold(rndv_threshold(c));
}

void Engine::add_peer(psm2_epaddr* p) {
    if (!p || p->mq_state) return;
    auto* ps = new PeerState;
    if (p->dev) {
        ps->rndv_threshold = p->dev->limits().rndv_threshold;
        ps->shm_like = p->dev->name() == "shm";
    }
    ps->tx_credits.reset(credit_cfg_);
    p->mq_state = ps;
    peers_.push_back(p);
}

void Engine::remove_peer(psm2_epaddr* p) {
    if (!p || !p->mq_state) return;
    fail_peer(p, PSM2_EPID_UNREACHABLE);
    std::erase(backlog_peers_, p);
    std::erase(am_backlog_peers_, p);
    std::erase(credit_peers_, p);
    std::erase(peers_, p);
    delete p->mq_state;
    p->mq_state = nullptr;
}

void Engine::on_peer_lost(hal::Conn& conn, psm2_error_t err) {
    auto* p = static_cast<psm2_epaddr*>(conn.peer_cookie);
    if (!p) return;
    p->lost = true;
    log::trace(log::kProtocol, "mq: peer %#lx lost (%d), failing its pending requests",
               static_cast<unsigned long>(p->epid), static_cast<int>(err));
    fail_peer(p, err == PSM2_OK ? PSM2_EPID_UNREACHABLE : err);
}

// Everything still owed to or by a peer that is gone completes with err; an
// unexpected rendezvous message from it can no longer be pulled, so a later
// matching receive completes with an error instead of touching the device.
void Engine::fail_peer(psm2_epaddr* p, psm2_error_t err) {
    PeerState* ps = p->mq_state;
    if (!ps) return;
    while (psm2_mq_req* r = ps->backlog.pop_front(kMainSlot)) complete(r, err);
    while (psm2_mq_req* r = ps->inflight.pop_front(kMainSlot)) complete(r, err);
    for (PendingAm& q : ps->am_backlog)
        if (q.pkt.completion) am_.drop_completion(q.pkt.completion);
    ps->am_backlog.clear();
    for (psm2_mq_req* r = pending_pulls_.head; r;) {
        psm2_mq_req* next = ReqList::next(r, kMainSlot);
        if (r->user.peer == p) {
            pending_pulls_.unlink(r, kMainSlot);
            complete(r, err);
        }
        r = next;
    }
    for (psm2_mq_req* m = unexpected_.oldest(); m; m = ReqList::next(m, kMainSlot))
        if (m->user.peer == p && m->rndv) m->peer_lost = true;
}

int Engine::progress() {
    int events = 0;
    // A handler running inside a device's progress may poll again; devices
    // are not re-entered (their receive loops are not written for it), only
    // the engine's own retry work runs at depth > 0.
    if (progress_depth_++ == 0)
        for (hal::Device* d : devices_) events += d->progress();
    if (!backlog_peers_.empty()) events += retry_backlog();
    if (!am_backlog_peers_.empty()) events += retry_am_backlog();
    if (!pending_pulls_.empty()) events += retry_pulls();
    if (!credit_peers_.empty()) events += return_credits();
    --progress_depth_;
    return events;
}

void Engine::set_rndv_threshold(DeviceClass c, uint32_t bytes) {
    (c == DeviceClass::IntraNode ? rndv_intra_ : rndv_fabric_) = bytes;
    (c == DeviceClass::IntraNode ? rndv_intra_set_ : rndv_fabric_set_) = true;
    for (hal::Device* d : devices_)
        if (device_class(*d) == c) d->set_rndv_threshold(bytes);
    // Limits::rndv_threshold stays authoritative: re-read what each device
    // now says (it may clamp the value).
    for (psm2_epaddr* p : peers_)
        if (p->dev && p->mq_state) p->mq_state->rndv_threshold = p->dev->limits().rndv_threshold;
}

psm2_mq_stats Engine::stats() const {
    psm2_mq_stats s = stats_;
    s.rx_sysbuf_num = sysbufs_.allocated_num();
    s.rx_sysbuf_bytes = sysbufs_.allocated_bytes();
    return s;
}

psm2_mq_req* Engine::dequeue_completion() {
    psm2_mq_req* r = completed_.pop_front(kMainSlot);
    if (r) r->state = ReqState::Dequeued;
    return r;
}

psm2_mq_req* Engine::from_cookie(uint64_t cookie, ReqState expected) const {
    auto* r = reinterpret_cast<psm2_mq_req*>(cookie & ((uint64_t(1) << 48) - 1));
    if (RequestPool::owner_of(r) != this) return nullptr;
    if ((r->generation & 0xffff) != (cookie >> 48) || r->state != expected) return nullptr;
    return r;
}

// ---- mq/engine.h ----------------------------------------------------------

Engine* create_engine(psm2_ep_t ep) { return new Engine(ep); }

void destroy_engine(Engine* e) { delete e; }

hal::Sink* sink_of(Engine* e) { return e; }

void attach_device(Engine* e, hal::Device* d) { e->attach(d); }

void peer_added(Engine* e, psm2_epaddr* p) { e->add_peer(p); }

void peer_removed(Engine* e, psm2_epaddr* p) { e->remove_peer(p); }

int progress(Engine* e) { return e->progress(); }

psm2_mq_t as_mq(Engine* e) { return reinterpret_cast<psm2_mq_t>(e); }

Engine* from_mq(psm2_mq_t mq) {
    auto* e = reinterpret_cast<Engine*>(mq);
    if (!e) return nullptr;
    if (e == g_last_mq) return e;
    for (Engine* live : live_engines())
        if (live == e) return g_last_mq = e;
    return nullptr;
}

}  // namespace psm::mq
