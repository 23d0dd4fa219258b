// Per-peer state of the reliable protocol: the connection's flow (PSNs,
// window, retransmit queue), eager reassembly, and the rendezvous transfers
// in both directions.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "psm2_am.h"   // before device.h, which uses psm2_amarg_t
#include "hal/device.h"
#include "hal/hfi/context.h"
#include "hal/ips/flow.h"
#include "hal/ips/packet.h"

namespace psm::hal::ips {

// One sequenced packet from the moment it is queued until it is acked. The
// wire header is built at each transmission (it carries the current ack).
struct Pending {
    static constexpr uint32_t kInlineBytes = 64;
    IpsHeader ih{};
    uint8_t opcode = 0;
    uint32_t psn = 0;
    const uint8_t* payload = nullptr;
    std::shared_ptr<uint8_t[]> owned;   // copy of an eager message, shared by its fragments
    uint16_t tid = 0;                   // rendezvous data: KDETH TID and offset (64 B units)
    uint16_t tid_offset = 0;
    bool expected = false;
    uint32_t rndv_id = 0;               // sender rendezvous this data belongs to (0 = none)
    uint32_t data_len = 0;              // rendezvous bytes this packet accounts for
    bool ack_now = false;               // ask for an immediate ack (AckReq)
    uint64_t am_completion = 0;         // on_am_done cookie once acked (0 = none)
    alignas(8) uint8_t inline_bytes[kInlineBytes]{};   // payload of a small message
};

// A packet that arrived ahead of a gap, kept until the gap fills.
struct AheadPacket {
    hfi::WireHeader wh;
    IpsHeader ih{};
    uint8_t opcode = 0;
    std::vector<uint8_t> payload;
};

struct IpsConn final : hal::Conn {
    enum State : uint8_t { kConnecting, kConnected, kLost, kClosed };

    uint32_t index = 0;
    hfi::Route route;
    uint32_t peer_conn = kNoConn;
    State state = kConnecting;
    bool active = false;                // on the device's list of connections with work
    uint32_t rndv_pending = 0;          // rendezvous in either direction not finished
    uint64_t liveness_checked_ns = 0;   // last look at whether the peer still exists
    psm2_error_t refused = PSM2_OK;     // set by a negative connect reply
    uint64_t last_request_ns = 0;       // connect request retry timer
    // Same host and its memory readable with process_vm_readv (probed at
    // connect): rendezvous data is then read straight from the sender's
    // buffer, one copy, and only headers travel (like an SDMA request whose
    // payload the HFI fetches itself).
    bool can_read_peer = false;
    int32_t peer_pid = 0;
    // The peer's other rails, from its handshake (multirail; see rails.h).
    uint32_t peer_extra_rails = 0;
    psm2_epid_t peer_rails[kMaxExtraRails]{};

    SendSeq tx;
    RecvSeq rx;
    // Receive reorder buffer: packets past a gap (within the window) wait
    // here, so a late packet fills the gap without a resend; a NAK goes out
    // only when the gap stays open for a while (gap_since_ns).
    std::unordered_map<uint32_t, AheadPacket> ahead;
    uint64_t gap_since_ns = 0;          // 0 = no gap open
    std::deque<Pending> q;              // q[0] has PSN tx.oldest_unacked()
    uint64_t queued_bytes = 0;

    // Multi-packet eager message being reassembled (fragments arrive in order).
    std::vector<uint8_t> frag;
    Tag96 frag_tag{};
    uint32_t frag_len = 0;   // its announced length; frag holds what arrived so far

    IpsConn(uint32_t window, RetransmitTimer t) : tx(window, t) {}
};

struct SendRndv {
    IpsConn* conn = nullptr;
    const uint8_t* buf = nullptr;
    uint32_t len = 0;
    uint64_t cookie = 0;
    uint64_t acked = 0;                 // data bytes acked
    uint64_t total = UINT64_MAX;        // bytes the receiver asked for (known at first CTS)
};

struct RecvWindow {
    uint32_t offset = 0, len = 0, got = 0;
    uint32_t tid = 0, tid_count = 0;
};

struct RecvRndv {
    uint32_t id = 0;
    IpsConn* conn = nullptr;
    uint32_t sender_id = 0;
    uint8_t* dst = nullptr;             // the whole message's buffer
    uint32_t begin = 0;                 // this pull brings [begin, len) of it
    uint32_t len = 0;
    uint32_t declared = 0;              // bytes asked of the sender on this rail altogether
    uint64_t cookie = 0;
    uint32_t next_offset = 0;           // first byte not yet covered by a CTS
    uint32_t received = 0;
    std::deque<RecvWindow> windows;     // announced, not yet complete
};

}  // namespace psm::hal::ips
