// A simulated HFI user context: its receive side lives in a POSIX
// shared-memory segment with the structures of the real one - a receive
// header queue whose entries carry flags, lengths and a sequence number, an
// eager buffer per entry and a TID table - so that any process of the fabric
// can deliver into it. There is no switch: a sender maps the receiver's
// segment and claims an entry itself; the queue's free entries are the
// credits (a full queue makes send() report PSM2_EP_NO_RESOURCES, like a
// sender out of PIO credits).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "hal/hfi/context.h"
#include "hal/sim/fabric.h"
#include "hal/sim/faults.h"
#include "hal/sim/tunnel.h"

namespace psm::hal::sim {

struct Segment;   // layout in sim_context.cpp

class SimContext final : public hfi::Context {
public:
    static psm2_error_t open(const FabricConfig& cfg, const hfi::OpenRequest& req,
                             std::unique_ptr<hfi::Context>* out);
    ~SimContext() override;

    const hfi::ContextInfo& info() const override { return info_; }
    psm2_error_t send(const hfi::Route& to, const uint8_t* hdr, uint32_t hdr_len,
                      const void* payload, uint32_t len) override;
    bool peek(hfi::RecvPacket* out) override;
    void release() override;
    psm2_error_t tid_program(void* buf, uint32_t len, uint32_t* tid, uint32_t* count) override;
    void tid_free(uint32_t tid, uint32_t count) override;
    void* tid_target(uint32_t tid, uint32_t offset, uint32_t len) override;
    bool peer_alive(const hfi::Route& to) override;
    void forget(const hfi::Route& to) override;

    static constexpr uint32_t kSlots = 512;
    static constexpr uint32_t kTids = 1024;
    static constexpr uint32_t kTidBytes = 2u << 20;   // KDETH offset reach with OM (64 B units)

private:
    struct Remote {
        Segment* seg = nullptr;
        size_t bytes = 0;
        uint32_t incarnation = 0;
    };
    struct Held {   // a packet the fault injector holds back
        hfi::Route to;
        std::vector<uint8_t> hdr, payload;
        std::chrono::steady_clock::time_point due;
    };

    SimContext() = default;
    Remote* remote_for(const hfi::Route& to);
    psm2_error_t deliver(Remote& r, const uint8_t* hdr, uint32_t hdr_len, const void* payload,
                         uint32_t len, uint32_t flags, uint32_t crc);
    psm2_error_t send_with_faults(const hfi::Route& to, const uint8_t* hdr, uint32_t hdr_len,
                                  const void* payload, uint32_t len);
    psm2_error_t put(const hfi::Route& to, const uint8_t* hdr, uint32_t hdr_len,
                     const void* payload, uint32_t len, bool corrupt);
    psm2_error_t emit(const hfi::Route& to, const uint8_t* hdr, uint32_t hdr_len,
                      const void* payload, uint32_t len, uint32_t flags, uint32_t crc);
    bool is_local(uint32_t lid) const { return fabric_->unit_of(lid) >= 0; }
    bool peek_local(hfi::RecvPacket* out);
    bool peek_tunnel(hfi::RecvPacket* out);
    void release_held(bool all);

    hfi::ContextInfo info_;
    Fabric* fabric_ = nullptr;
    Segment* seg_ = nullptr;
    size_t seg_bytes_ = 0;
    uint64_t head_ = 0;
    std::chrono::steady_clock::time_point stuck_since_{};
    uint32_t empty_polls_ = 0;
    std::unordered_map<uint64_t, Remote> remotes_;
    FaultInjector faults_;
    std::deque<Held> held_;
    std::vector<uint8_t> scratch_;
    Tunnel tunnel_;
    bool from_tunnel_ = false;   // the packet handed out by peek() came over UDP
};

}  // namespace psm::hal::sim
