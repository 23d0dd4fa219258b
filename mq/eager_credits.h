// Eager flow control between two engines (see mq/README.md, "Resource
// limits").
//
// An eager message costs the receiver memory until it is matched: when it
// arrives before its receive it is copied into a system buffer and queued.
// A receiver must keep draining its connections (a later message may be the
// one it waits for), so the bound has to come from the sender: each sender
// may have at most `msgs` eager messages / `bytes` eager payload bytes that
// the receiver has not consumed yet. Past that, its sends to this peer go by
// rendezvous: only the envelope travels, the data stays in the sender's
// buffer until a receive matches, and a blocking send waits for that match
// (back-pressure). The receiver hands credits back, in batches, as it
// consumes eager messages (at once for a message that met a posted receive).
#pragma once

#include <algorithm>
#include <cstdint>

namespace psm::mq {

// The AM handler index that carries returned credits: outside the user's
// handler table (kAmMaxHandlers) and within the 16 bits every device carries.
inline constexpr uint32_t kCreditAmHandler = 0xffff;

// Per-peer limits this process applies to its own sends
// (PSM2_MQ_EAGER_CREDITS, PSM2_MQ_EAGER_CREDIT_BYTES), and the batch size in
// which it returns credits to its senders.
struct CreditConfig {
    uint32_t msgs = 4096;           // 0 = flow control off for our sends
    uint64_t bytes = 4u << 20;
    uint32_t return_msgs = 1024;    // owed credits are sent back once this many piled up
    uint64_t return_bytes = 1u << 20;
};

// PSM2_MQ_EAGER_CREDITS and PSM2_MQ_EAGER_CREDIT_BYTES (engine_credits.cpp).
CreditConfig read_credit_config();

// Sender side, per peer: what we may still send eager.
struct EagerCredits {
    uint32_t msgs = 0;
    uint64_t bytes = 0;
    bool unlimited = true;

    void reset(const CreditConfig& c) {
        unlimited = c.msgs == 0;
        msgs = c.msgs;
        bytes = c.bytes;
    }
    bool available(uint32_t len) const { return unlimited || (msgs != 0 && bytes >= len); }
    // Call only after available(len).
    void take(uint32_t len) {
        if (unlimited) return;
        --msgs;
        bytes -= len;
    }
    // The receiver consumed messages: never more than the configured total,
    // whatever a (buggy or stale) peer claims.
    void give_back(uint64_t m, uint64_t b, const CreditConfig& c) {
        if (unlimited) return;
        msgs = static_cast<uint32_t>(std::min<uint64_t>(uint64_t(msgs) + m, c.msgs));
        bytes = std::min<uint64_t>(bytes + b, c.bytes);
    }
};

// Receiver side, per peer: credits of consumed messages not yet sent back.
struct OwedCredits {
    uint32_t msgs = 0;
    uint64_t bytes = 0;
    bool flush = false;   // the peer is sending rendezvous: return what we owe now

    bool due(const CreditConfig& c) const {
        return msgs != 0 && (flush || msgs >= c.return_msgs || bytes >= c.return_bytes);
    }
};

}  // namespace psm::mq
