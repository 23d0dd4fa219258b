// The engine of one endpoint. psm/ reaches it through the free functions of
// mq/engine.h and, for the MQ and AM entry points (psm/mq_api.cpp,
// psm/am_api.cpp), through this class. Everything here runs under the API
// lock; devices call the hal::Sink side from inside progress() or from inside
// a Device call the engine made (a loopback device may complete synchronously,
// so the engine finishes its own bookkeeping before every device call).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "hal/device.h"
#include "mq/am_table.h"
#include "mq/eager_credits.h"
#include "mq/match_queues.h"
#include "mq/peer.h"
#include "mq/request_pool.h"
#include "mq/sysbuf_pool.h"
#include "psm2_mq.h"

namespace psm::mq {

// An AM request or reply the device had no room for: a private copy of the
// arguments and payload (the caller's may be reused once the call returns).
struct PendingAm {
    hal::AmPacket pkt;                 // args/payload point into the vectors below
    std::vector<psm2_amarg_t> args;
    std::vector<uint8_t> payload;
};

// Per-peer engine state (psm2_epaddr::mq_state).
struct PeerState {
    ReqList backlog;             // sends the device had no room for, in send order
    ReqList inflight;            // rendezvous sends and pulls the device still owes us
    std::deque<PendingAm> am_backlog;   // AM packets waiting for device room, in order
    uint32_t rndv_threshold = 0; // the device's Limits::rndv_threshold, cached
    EagerCredits tx_credits;     // eager sends we may still have unconsumed at the peer
    OwedCredits owed;            // the peer's eager messages we consumed, not yet credited back
    bool shm_like = false;       // counted in the shm statistics
    bool in_backlog_list = false;
    bool in_am_backlog_list = false;
    bool in_credit_list = false;
};

// What the flow control did, for tests and PSM2_MQ_PRINT_STATS.
struct FlowCounters {
    uint64_t held_eager_msgs = 0;     // unexpected eager messages holding a system buffer now
    uint64_t held_eager_bytes = 0;
    uint64_t peak_eager_msgs = 0;     // highest values seen
    uint64_t peak_eager_bytes = 0;
    uint64_t credit_rndv_sends = 0;   // sends that went by rendezvous for lack of credits
    uint64_t credit_msgs_sent = 0;    // credit-return messages sent / received
    uint64_t credit_msgs_received = 0;
};

// Which MQ threshold option steers a device.
enum class DeviceClass : uint8_t { IntraNode, Fabric };
DeviceClass device_class(const hal::Device& d);

class Engine final : public hal::Sink {
public:
    static constexpr uint32_t kMagic = 0x4d51454e;  // "MQEN"

    explicit Engine(psm2_ep_t ep);
    ~Engine() override;
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    bool valid() const { return magic_ == kMagic; }
    psm2_ep_t ep() const { return ep_; }

    // ---- wiring (mq/engine.h) ----
    void attach(hal::Device* d);
    void add_peer(psm2_epaddr* p);
    void remove_peer(psm2_epaddr* p);
    int progress();

    // ---- requests ----
    // The engine owning a user-supplied request handle if it is a live
    // request, nullptr for foreign, freed or garbage pointers.
    static Engine* owner_of_live(psm2_mq_req_t r) {
        Engine* e = RequestPool::owner_of(r);   // before any read through r
        if (!e || r->magic != kReqMagic || r->state == ReqState::Free) [[unlikely]]
            return nullptr;
        return e;
    }
    static bool is_done(const psm2_mq_req* r) {
        return r->state == ReqState::Complete || r->state == ReqState::Dequeued;
    }
    // Hands a finished request back to the pool (off the completion queue).
    // Inline: every wait and test ends here.
    void retire(psm2_mq_req* r) {
        if (r->state == ReqState::Complete && !r->internal) completed_.unlink(r, kMainSlot);
        release(r);
    }
    psm2_mq_req* completion_head() const { return completed_.head; }
    psm2_mq_req* dequeue_completion();

    // ---- receive side ----
    psm2_error_t irecv(psm2_epaddr_t src, const Tag96& tag, const Tag96& sel, void* buf, uint32_t len,
                       void* ctx, psm2_mq_req** out);
    // Oldest unexpected message matching, left in place (iprobe), or nullptr.
    psm2_mq_req* probe(psm2_epaddr_t src, const Tag96& tag, const Tag96& sel) {
        return unexpected_.find(src, tag, sel);
    }
    // Same, but the message leaves the queue and becomes a Probed request.
    psm2_mq_req* mprobe(psm2_epaddr_t src, const Tag96& tag, const Tag96& sel);
    psm2_error_t imrecv(psm2_mq_req* probed, void* buf, uint32_t len, void* ctx);
    // Only a posted, unmatched receive can be cancelled; it then completes.
    bool cancel(psm2_mq_req* r);

    // ---- send side ----
    psm2_error_t isend(psm2_epaddr* dest, uint32_t flags, const Tag96& tag, const void* buf, uint32_t len,
                       void* ctx, psm2_mq_req** out, bool internal = false);
    // Blocking send: PSM2_OK with *wait_on == nullptr when the message left
    // at once (no request used), else *wait_on is an internal request the
    // caller waits for and then retires.
    psm2_error_t send_blocking(psm2_epaddr* dest, uint32_t flags, const Tag96& tag, const void* buf,
                               uint32_t len, psm2_mq_req** wait_on);
    // Can this endpoint send to dest at all (dest connected here, not lost)?
    psm2_error_t check_destination(const psm2_epaddr* dest) const;

    // ---- options and statistics ----
    uint32_t rndv_threshold(DeviceClass c) const {
        return c == DeviceClass::IntraNode ? rndv_intra_ : rndv_fabric_;
    }
    void set_rndv_threshold(DeviceClass c, uint32_t bytes);
    uint32_t sysbuf_mbytes() const { return sysbuf_mbytes_; }
    void set_sysbuf_mbytes(uint32_t v) { sysbuf_mbytes_ = v; }
    psm2_mq_stats stats() const;
    size_t posted_count() const { return posted_.size(); }
    size_t unexpected_count() const { return unexpected_.size(); }
    const FlowCounters& flow() const { return flow_; }
    const CreditConfig& credit_config() const { return credit_cfg_; }

    // ---- active messages ----
    AmTable& am() { return am_; }
    psm2_am_parameters am_parameters() const;
    psm2_error_t am_request(psm2_epaddr* dest, psm2_handler_t handler, const psm2_amarg_t* args, int nargs,
                            const void* src, size_t len, int flags, psm2_am_completion_fn_t fn, void* ctxt);
    psm2_error_t am_reply(AmToken* token, psm2_handler_t handler, const psm2_amarg_t* args, int nargs,
                          const void* src, size_t len, int flags, psm2_am_completion_fn_t fn, void* ctxt);

    // ---- hal::Sink ----
    void on_eager(hal::Conn& from, const Tag96& tag, const void* payload, uint32_t len) override;
    void on_rts(hal::Conn& from, const Tag96& tag, uint32_t len, const hal::RndvToken& token) override;
    void on_pull_done(uint64_t recv_cookie, psm2_error_t err) override;
    void on_send_done(uint64_t send_cookie, psm2_error_t err) override;
    void on_am(hal::Conn& from, const hal::AmPacket& pkt) override;
    void on_am_done(uint64_t completion) override;
    void on_peer_lost(hal::Conn& peer, psm2_error_t err) override;

private:
    // user_limit: a request the user asked for (isend/irecv), subject to
    // PSM2_MQ_SENDREQS_MAX / PSM2_MQ_RECVREQS_MAX; arrivals are always kept
    // (dropping one would hang its receiver), with a warning past the limit.
    psm2_mq_req* new_request(ReqKind kind, bool user_limit = false) {
        uint64_t& live = kind == ReqKind::Send ? live_sends_ : live_recvs_;
        if (live >= (kind == ReqKind::Send ? max_sends_ : max_recvs_)) [[unlikely]] {
            warn_request_limit(kind, user_limit);
            if (user_limit) return nullptr;
        }
        psm2_mq_req* r = pool_.alloc();
        if (!r) return nullptr;
        r->kind = kind;
        ++live;
        return r;
    }
    void release(psm2_mq_req* r) {
        --(r->kind == ReqKind::Send ? live_sends_ : live_recvs_);
        pool_.release(r);
    }
    void warn_request_limit(ReqKind kind, bool refused);
    void complete(psm2_mq_req* r, psm2_error_t err) {
        if (err != PSM2_OK) r->user.error_code = err;
        r->state = ReqState::Complete;
        if (!r->internal) completed_.push_back(r, kMainSlot);
    }
    void deliver_eager(psm2_mq_req* r, psm2_epaddr* src, const Tag96& tag, const void* payload, uint32_t len);
    void deliver_unexpected(psm2_mq_req* m, void* buf, uint32_t len, void* ctx);
    void start_pull(psm2_mq_req* r);
    psm2_error_t start_send(psm2_mq_req* r);
    void queue_send(psm2_mq_req* r);
    int retry_backlog();
    int retry_pulls();
    void fail_peer(psm2_epaddr* p, psm2_error_t err);
    psm2_error_t send_am(psm2_epaddr* dest, const hal::AmPacket& pkt);
    int retry_am_backlog();

    // ---- eager flow control (engine_credits.cpp) ----
    // Receiver: src's eager message of len bytes was consumed (matched).
    void owe_credit(psm2_epaddr* src, uint32_t len) {
        PeerState* ps = src ? src->mq_state : nullptr;
        if (!ps) return;
        ++ps->owed.msgs;
        ps->owed.bytes += len;
        if (ps->owed.due(credit_cfg_)) schedule_credit_return(src);
    }
    // Receiver: an RTS of len bytes came from src; one below our own
    // threshold probably means src ran out of credits.
    void note_small_rts(psm2_epaddr* src, uint32_t len);
    void schedule_credit_return(psm2_epaddr* p);
    int return_credits();
    void on_credit_return(psm2_epaddr* src, const hal::AmPacket& pkt);
    void hold_unexpected_eager(uint32_t len) {
        ++flow_.held_eager_msgs;
        flow_.held_eager_bytes += len;
        flow_.peak_eager_msgs = std::max(flow_.peak_eager_msgs, flow_.held_eager_msgs);
        flow_.peak_eager_bytes = std::max(flow_.peak_eager_bytes, flow_.held_eager_bytes);
    }
    void release_unexpected_eager(uint32_t len) {
        --flow_.held_eager_msgs;
        flow_.held_eager_bytes -= len;
    }

    static uint64_t cookie_of(const psm2_mq_req* r) {
        return reinterpret_cast<uintptr_t>(r) | (uint64_t(r->generation & 0xffff) << 48);
    }
    psm2_mq_req* from_cookie(uint64_t cookie, ReqState expected) const;

    uint32_t magic_ = kMagic;
    psm2_ep_t ep_;
    std::vector<hal::Device*> devices_;
    std::vector<psm2_epaddr*> peers_;
    std::vector<psm2_epaddr*> backlog_peers_;   // peers whose PeerState::backlog is non-empty
    std::vector<psm2_epaddr*> am_backlog_peers_;   // peers whose PeerState::am_backlog is non-empty
    std::vector<psm2_epaddr*> credit_peers_;       // peers we owe a credit return now
    RequestPool pool_;
    SysbufPool sysbufs_;
    PostedQueue posted_;
    UnexpectedQueue unexpected_;
    ReqList completed_;                         // completion order, for ipeek/dequeue
    ReqList pending_pulls_;                     // matched rendezvous receives waiting for device room
    AmTable am_;
    psm2_mq_stats stats_{};
    uint32_t rndv_intra_;
    uint32_t rndv_fabric_;
    bool rndv_intra_set_ = false;
    bool rndv_fabric_set_ = false;
    uint32_t sysbuf_mbytes_ = 0;
    int progress_depth_ = 0;
    bool trace_ = false;   // PSM2_TRACEMASK 0x8, read once: per-message lines
    uint64_t live_sends_ = 0, live_recvs_ = 0;
    uint64_t max_sends_, max_recvs_;
    bool warned_send_limit_ = false, warned_recv_limit_ = false;
    CreditConfig credit_cfg_;
    FlowCounters flow_;
};

}  // namespace psm::mq
