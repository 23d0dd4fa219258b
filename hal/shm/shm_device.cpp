#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "hal/env.h"
#include "hal/log.h"
#include "hal/shm/cma.h"
#include "hal/shm/numa_place.h"
#include "hal/shm/shm_device_impl.h"

namespace psm::hal {

psm2_error_t open_shm_device(const OpenParams& p, std::unique_ptr<Device>* out) {
    using namespace shm;
    if (!out || !p.sink || p.epid == 0) return PSM2_PARAM_ERR;
    RndvMode mode = RndvMode::CmaGet;
    std::string kassist = env::get_str("PSM2_KASSIST_MODE");
    if (kassist == "none") {
        mode = RndvMode::Bounce;
    } else if (!cma_usable()) {
        log::trace(log::kDevices, "shm: process_vm_readv refused here; large messages use "
                                  "the bounce pipeline");
        mode = RndvMode::Bounce;
    } else if (kassist != "cma-get" && kassist != "cma-put") {
        log::warn("shm: PSM2_KASSIST_MODE=%s not understood; using cma-get", kassist.c_str());
    }
    int64_t thresh = env::get_int("PSM2_MQ_RNDV_SHM_THRESH");
    if (thresh <= 0) thresh = 16000;
    int64_t split = env::get_int("PSM2_SHM_SPLIT_COPY_THRESH");
    if (split < 0) split = 0;
    sweep_stale_segments();
    auto dev = std::make_unique<ShmDevice>(
        p, mode, static_cast<uint32_t>(std::min<int64_t>(thresh, UINT32_MAX)),
        static_cast<uint32_t>(std::min<int64_t>(split, UINT32_MAX)));
    psm2_error_t err = dev->open(local_numa_node());
    if (err != PSM2_OK) return err;
    *out = std::move(dev);
    return PSM2_OK;
}

namespace shm {
namespace {

constexpr long kHeartbeatNs = 100'000'000;   // liveness check of peers at most every 100 ms
constexpr uint32_t kPollsPerClockRead = 1024;
constexpr int kDrainBudget = 64;             // messages per ring per progress call

bool pid_dead(pid_t pid) { return pid > 0 && kill(pid, 0) == -1 && errno == ESRCH; }

template <class T>
T load_acq(const T& w) {
    return std::atomic_ref<const T>(w).load(std::memory_order_acquire);
}

}  // namespace

ShmDevice::ShmDevice(const OpenParams& p, RndvMode mode, uint32_t rndv_threshold,
                     uint32_t split_threshold)
    : sink_(p.sink), epid_(p.epid), mode_(mode), split_threshold_(split_threshold) {
    std::memcpy(uuid_, p.uuid, sizeof uuid_);
    set_rndv_threshold(rndv_threshold);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &last_heartbeat_);
}

psm2_error_t ShmDevice::open(int numa_node) { return seg_.create(uuid_, epid_, numa_node); }

ShmDevice::~ShmDevice() {
    for (auto& [epid, c] : conns_)
        if (c->rx.valid()) c->rx.publish_head();
    conns_.clear();     // each PeerSegment tells its owner we stopped sending
    retired_.clear();
    seg_.close();
}

bool ShmDevice::reaches(psm2_epid_t epid) const {
    if (segment_exists(uuid_, epid)) return true;
    // A shm-only epid (version 2 with the shm bit) can only mean this host:
    // if another job's segment has it, say "yes" so that connect() explains
    // the refusal. HFI epids skip that directory scan (thousands of remote
    // peers at connect time).
    bool shm_only = (epid & 0x7) == 2 && (epid & 0x8);
    return shm_only && exists_for_other_job(uuid_, epid);
}

psm2_error_t ShmDevice::connect(psm2_epid_t epid, int64_t timeout_ns, Conn** out) {
    if (!out) return PSM2_PARAM_ERR;
    disconnected_.erase(epid);
    ShmConn* c = nullptr;
    psm2_error_t err = open_conn(epid, timeout_ns, &c);
    if (err == PSM2_OK) *out = c;
    return err;
}

// The conn to `epid`, made now if needed: attach its segment, claim our ring
// there, and find its ring in ours. Used by connect() and for a peer that
// connected to us first (the engine adopts such a conn on its first message).
psm2_error_t ShmDevice::open_conn(psm2_epid_t epid, int64_t timeout_ns, ShmConn** out) {
    if (auto it = conns_.find(epid); it != conns_.end() && !it->second->lost) {
        *out = it->second.get();
        return PSM2_OK;
    }
    auto c = std::make_unique<ShmConn>();
    c->epid = epid;
    psm2_error_t err = c->peer.attach(uuid_, epid, timeout_ns);
    if (err == PSM2_OK && pid_dead(static_cast<pid_t>(c->peer.owner_pid()))) {
        // Killed after it published its epid: nobody would ever read our ring.
        remove_if_stale(uuid_, epid);
        return PSM2_EPID_UNREACHABLE;
    }
    if (err == PSM2_OK) err = c->peer.claim_inbox(epid_, static_cast<uint32_t>(getpid()));
    if (err != PSM2_OK) return err;
    InboxCtl* ctl = c->peer.claimed_ctl();
    c->tx = RingProducer(c->peer.claimed_ring(), kRingLines, &ctl->ring,
                         load_acq(ctl->ring.consumer_head));
    c->peer_pid = static_cast<pid_t>(c->peer.owner_pid());
    ShmConn* raw = c.get();
    if (auto it = conns_.find(epid); it != conns_.end()) forget(it->second.get());
    conns_[epid] = std::move(c);
    attach_rx(*raw);
    log::trace(log::kDevices, "shm: connected to epid 0x%llx (pid %d)",
               static_cast<unsigned long long>(epid), raw->peer_pid);
    *out = raw;
    return PSM2_OK;
}

void ShmDevice::disconnect(Conn* conn) {
    auto* c = static_cast<ShmConn*>(conn);
    auto it = conns_.find(c->epid);
    if (it == conns_.end() || it->second.get() != c) return;
    disconnected_.insert(c->epid);
    forget(c);
}

// Remove a conn from every list; destroy it now, or after the current
// progress() pass if an upcall is on the stack.
void ShmDevice::forget(ShmConn* c) {
    c->retired = true;
    if (c->rx.valid()) c->rx.publish_head();   // a reconnect resumes exactly here
    std::erase(rx_active_, c);
    std::erase(busy_, c);
    for (auto& j : jobs_)
        if (j.conn == c) j.conn = nullptr;     // the engine fails its side at peer removal
    auto it = conns_.find(c->epid);
    if (it == conns_.end() || it->second.get() != c) return;
    if (in_progress_) retired_.push_back(std::move(it->second));
    conns_.erase(it);
}

// Find the inbox `c`'s peer claimed in our segment, if it did already.
void ShmDevice::attach_rx(ShmConn& c) {
    if (c.rx.valid()) return;
    for (uint32_t i = 0; i < kInboxes; ++i) {
        InboxCtl* ctl = seg_.inbox(i);
        if (load_acq(ctl->owner_epid) == c.epid &&
            load_acq(ctl->state) == uint64_t(InboxState::Claimed) && inbox_trusted(i, &c)) {
            attach_rx_at(c, i);
            return;
        }
    }
}

void ShmDevice::attach_rx_at(ShmConn& c, uint32_t i) {
    InboxCtl* ctl = seg_.inbox(i);
    c.rx = RingConsumer(seg_.ring(i), kRingLines, &ctl->ring, kPublishBatch);
    c.rx_inbox = static_cast<int32_t>(i);
    rx_active_.push_back(&c);
}

// Recycle an inbox for the next sender. Its ring may still hold messages we
// never read (a sender we never connected to): clear every line's first word
// and restart positions at 0, so that nothing old can look like a message.
void ShmDevice::free_inbox(uint32_t i) {
    InboxCtl* ctl = seg_.inbox(i);
    Line* ring = seg_.ring(i);
    for (uint32_t k = 0; k < kRingLines; ++k)
        store_relaxed(*reinterpret_cast<uint64_t*>(&ring[k]), 0);
    store_relaxed(ctl->ring.consumer_head, 0);
    std::atomic_ref<uint64_t>(ctl->state).store(uint64_t(InboxState::Free),
                                                std::memory_order_relaxed);
    std::atomic_ref<uint64_t>(ctl->owner_epid).store(0, std::memory_order_release);
}

// May the messages in inbox i reach the engine? Its sender must say it is of
// this job, and - when we know the peer's process from its own segment - be
// that process. Anything else (another job's peer, a stale or confused
// writer, a forged epid) is never read; the heartbeat frees the inbox once
// its writer is gone.
bool ShmDevice::inbox_trusted(uint32_t i, const ShmConn* c) const {
    InboxCtl* ctl = seg_.inbox(i);
    bool ok = std::memcmp(ctl->owner_uuid, uuid_, sizeof uuid_) == 0 &&
              (!c || c->peer_pid <= 0 ||
               load_acq(ctl->owner_pid) == static_cast<uint64_t>(c->peer_pid));
    static std::atomic<bool> warned{false};
    if (!ok && !warned.exchange(true))
        log::warn("shm: ignoring inbox %u of %s: its writer is not a peer of this job", i,
                  seg_.name().c_str());
    return ok;
}

// A peer claimed or closed an inbox in our segment.
void ShmDevice::rescan_inboxes() {
    for (uint32_t i = 0; i < kInboxes; ++i) {
        InboxCtl* ctl = seg_.inbox(i);
        uint64_t owner = load_acq(ctl->owner_epid);
        if (owner == 0) continue;
        auto it = conns_.find(owner);
        ShmConn* c = it == conns_.end() ? nullptr : it->second.get();
        uint64_t state = load_acq(ctl->state);
        if (state != uint64_t(InboxState::Free) && !inbox_trusted(i, c)) continue;
        if (state == uint64_t(InboxState::Claimed)) {
            if (c && !c->lost) {
                attach_rx(*c);
            } else if (!c && !disconnected_.contains(owner)) {
                // A peer connected to us first: answer with a conn of our own
                // (replies, Done and CTS need a ring back). If it is already
                // gone, the heartbeat recycles its inbox.
                ShmConn* made = nullptr;
                if (open_conn(owner, 0, &made) != PSM2_OK)
                    log::trace(log::kDevices, "shm: inbound peer 0x%llx not reachable back",
                               static_cast<unsigned long long>(owner));
            }
        } else if (state == uint64_t(InboxState::SenderClosed)) {
            // The sender disconnected or closed - possibly before we ever saw
            // its claim (a short-lived peer): deliver what it sent, then recycle.
            bool receive_only = false;
            if (!c && !disconnected_.contains(owner) && open_conn(owner, 0, &c) != PSM2_OK) {
                // It is gone, so no ring back: a conn that can only receive.
                auto made = std::make_unique<ShmConn>();
                made->epid = owner;
                made->peer_pid = static_cast<pid_t>(load_acq(ctl->owner_pid));
                c = made.get();
                conns_[owner] = std::move(made);
                receive_only = true;
            }
            // Trusted again now that the conn knows the peer's process.
            if (c && !c->lost && c->rx_inbox < 0 && inbox_trusted(i, c)) attach_rx_at(*c, i);
            if (c && c->rx_inbox == static_cast<int32_t>(i)) {
                while (drain(*c, kDrainBudget) > 0) {
                }
                c->rx.publish_head();
                c->rx = RingConsumer();
                c->rx_inbox = -1;
                std::erase(rx_active_, c);
            }
            free_inbox(i);
            if (receive_only) peer_gone(*c);
        }
    }
}

void ShmDevice::heartbeat() {
    std::vector<ShmConn*> gone;
    for (auto& [epid, c] : conns_)
        if (!c->lost && (c->peer.owner_closed() || pid_dead(c->peer_pid))) gone.push_back(c.get());
    for (ShmConn* c : gone) peer_gone(*c);
    // Inboxes of dead senders we never connected to would stay taken forever.
    for (uint32_t i = 0; i < kInboxes; ++i) {
        InboxCtl* ctl = seg_.inbox(i);
        uint64_t owner = load_acq(ctl->owner_epid);
        if (owner == 0 || !pid_dead(static_cast<pid_t>(load_acq(ctl->owner_pid)))) continue;
        auto it = conns_.find(owner);
        if (it == conns_.end() || it->second->rx_inbox != static_cast<int32_t>(i)) free_inbox(i);
    }
}

// The peer closed its endpoint or died: deliver what it managed to send,
// fail everything still waiting on it, and tell the engine.
void ShmDevice::peer_gone(ShmConn& c) {
    if (c.rx.valid()) {
        while (drain(c, kDrainBudget) > 0) {
        }
        free_inbox(static_cast<uint32_t>(c.rx_inbox));
        c.rx = RingConsumer();
        c.rx_inbox = -1;
    }
    c.lost = true;
    std::erase(rx_active_, &c);
    std::erase(busy_, &c);
    c.busy = false;
    c.control.clear();
    fail_jobs_of(c, PSM2_EPID_UNREACHABLE);
    for (const PushJob& p : c.pushes) sink_->on_send_done(p.send_cookie, PSM2_EPID_UNREACHABLE);
    c.pushes.clear();
    log::trace(log::kDevices, "shm: peer epid 0x%llx (pid %d) is gone",
               static_cast<unsigned long long>(c.epid), c.peer_pid);
    // A killed peer left its segment behind; whoever notices first removes it.
    if (pid_dead(c.peer_pid)) remove_if_stale(uuid_, c.epid);
    sink_->on_peer_lost(c, PSM2_EPID_UNREACHABLE);
}

int ShmDevice::progress() {
    if (in_progress_) return 0;   // an upcall re-entered: the outer pass continues
    in_progress_ = true;
    int events = completions_.empty() ? 0 : deliver_completions();
    if (!busy_.empty()) events += flush_busy();
    uint64_t gen = load_acq(seg_.header()->claim_gen);
    if (gen != seen_claim_gen_) {
        seen_claim_gen_ = gen;
        rescan_inboxes();
    }
    for (size_t i = 0; i < rx_active_.size(); ++i) events += drain(*rx_active_[i], kDrainBudget);
    if (!completions_.empty()) events += deliver_completions();
    if (++polls_ % kPollsPerClockRead == 0) maybe_heartbeat();
    in_progress_ = false;
    if (!retired_.empty()) retired_.clear();
    return events;
}

// Pending control messages and bounce pushes, conn by conn.
int ShmDevice::flush_busy() {
    int events = 0;
    for (size_t i = 0; i < busy_.size();) {
        ShmConn* c = busy_[i];
        events += flush_control(*c) + push_bounce(*c);
        if (c->control.empty() && c->pushes.empty()) {
            c->busy = false;
            busy_[i] = busy_.back();
            busy_.pop_back();
        } else {
            ++i;
        }
    }
    return events;
}

void ShmDevice::maybe_heartbeat() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    long ns = (now.tv_sec - last_heartbeat_.tv_sec) * 1'000'000'000L +
              (now.tv_nsec - last_heartbeat_.tv_nsec);
    if (ns >= kHeartbeatNs) {
        last_heartbeat_ = now;
        heartbeat();
    }
}

Limits ShmDevice::limits() const {
    Limits l;
    l.rndv_threshold = threshold_;
    l.am_max_nargs = 8;
    l.am_max_request_short = kMaxAmPayload;
    l.am_max_reply_short = kMaxAmPayload;
    return l;
}

void ShmDevice::set_rndv_threshold(uint32_t bytes) {
    // A ring message must fit in a ring: beyond that everything goes rendezvous.
    uint32_t cap = kMaxMessagePayload + 1;
    if (bytes > cap)
        log::trace(log::kProtocol, "shm: rendezvous threshold %u capped at %u", bytes, cap);
    threshold_ = std::min(bytes, cap);
}

}  // namespace shm
}  // namespace psm::hal
