// The shm Device implementation. Split over shm_device.cpp (open, connect,
// progress, peer liveness) and shm_transfer.cpp (the send paths, rendezvous
// and message dispatch). Everything here runs on the endpoint's progress
// thread; only the ring lines and inbox control words are shared with peers.
#pragma once

#include <ctime>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hal/shm/shm_conn.h"
#include "hal/shm/shm_device.h"

namespace psm::hal::shm {

enum class RndvMode { CmaGet, Bounce };

// How rendezvous data moved (for tests and diagnostics).
struct RndvStats {
    uint64_t cma_pulls = 0;        // one process_vm_readv by the receiver
    uint64_t bounce_pulls = 0;
    uint64_t split_pulls = 0;
    uint64_t chunks_read = 0;      // split: by this endpoint as receiver
    uint64_t chunks_written = 0;   // split: by this endpoint as sender
};

// A pull that needs more than one call to finish: bounce mode (Data chunks
// land here) or a split copy (waiting for the sender's PutDone).
struct PullJob {
    unsigned char* dst = nullptr;
    uint32_t len = 0;
    uint32_t received = 0;
    uint64_t recv_cookie = 0;
    ShmConn* conn = nullptr;     // nullptr = slot free
    // split copy only:
    uint64_t send_cookie = 0;
    uint64_t src = 0;            // sender's buffer
    uint32_t sender_from = 0;    // the sender claimed [sender_from, len)
    int32_t slot = -1;
    psm2_error_t err = PSM2_OK;
};

class ShmDevice final : public Device {
public:
    // split_threshold: pulls of at least this many bytes are copied by both
    // processes at once (0 = never).
    ShmDevice(const OpenParams& p, RndvMode mode, uint32_t rndv_threshold, uint32_t split_threshold);
    ~ShmDevice() override;
    psm2_error_t open(int numa_node);

    std::string_view name() const override { return "shm"; }
    bool reaches(psm2_epid_t epid) const override;
    psm2_error_t connect(psm2_epid_t epid, int64_t timeout_ns, Conn** out) override;
    void disconnect(Conn* c) override;

    psm2_error_t send_eager(Conn& c, const Tag96& tag, const void* buf, uint32_t len) override;
    psm2_error_t send_rts(Conn& c, const Tag96& tag, const void* buf, uint32_t len,
                          uint64_t send_cookie) override;
    psm2_error_t pull(Conn& c, const RndvToken& token, void* dst, uint32_t len,
                      uint64_t recv_cookie) override;
    psm2_error_t send_am(Conn& c, const AmPacket& pkt) override;

    int progress() override;
    Limits limits() const override;
    void set_rndv_threshold(uint32_t bytes) override;

    RndvMode rndv_mode() const { return mode_; }
    const RndvStats& rndv_stats() const { return stats_; }

private:
    // shm_device.cpp
    psm2_error_t open_conn(psm2_epid_t epid, int64_t timeout_ns, ShmConn** out);
    void attach_rx(ShmConn& c);
    void attach_rx_at(ShmConn& c, uint32_t inbox);
    bool inbox_trusted(uint32_t i, const ShmConn* c) const;
    void rescan_inboxes();
    void free_inbox(uint32_t i);
    int flush_busy();
    void maybe_heartbeat();
    void heartbeat();
    void peer_gone(ShmConn& c);
    void forget(ShmConn* c);

    // shm_transfer.cpp
    int drain(ShmConn& c, int budget);
    void dispatch(ShmConn& c, const MsgHeader& h);
    void on_data(const MsgHeader& h);
    // split_copy.cpp
    bool start_split_pull(ShmConn& c, uint64_t addr, uint64_t send_cookie, void* dst,
                          uint32_t len, uint64_t recv_cookie);
    void on_put(ShmConn& c, const PutBody& b);
    void on_put_done(const PutDoneBody& b);
    void finish_split(uint32_t id);
    bool send_control(ShmConn& c, Kind kind, const void* body, uint32_t len);
    int flush_control(ShmConn& c);
    int push_bounce(ShmConn& c);
    int deliver_completions();
    uint32_t new_job(ShmConn& c, void* dst, uint32_t len, uint64_t recv_cookie);
    void fail_jobs_of(ShmConn& c, psm2_error_t err);

    Sink* sink_;
    psm2_uuid_t uuid_;
    psm2_epid_t epid_;
    RndvMode mode_;
    uint32_t threshold_;
    uint32_t split_threshold_;
    OwnSegment seg_;

    std::unordered_map<psm2_epid_t, std::unique_ptr<ShmConn>> conns_;
    std::unordered_set<psm2_epid_t> disconnected_;  // no inbound adoption until connect()
    std::vector<ShmConn*> rx_active_;       // conns whose peer has a ring into us
    std::vector<ShmConn*> busy_;            // conns with pending control or pushes
    std::vector<std::unique_ptr<ShmConn>> retired_;  // disconnected during progress
    uint64_t seen_claim_gen_ = 0;

    std::vector<PullJob> jobs_;
    std::vector<uint32_t> free_jobs_;
    struct Completion { uint64_t cookie; psm2_error_t err; };
    std::vector<Completion> completions_;   // pulls finished inside pull()

    uint32_t polls_ = 0;
    timespec last_heartbeat_{};
    bool in_progress_ = false;
    RndvStats stats_;
};

}  // namespace psm::hal::shm
