// One connected peer as the shm device sees it: our ring in the peer's
// segment (we produce), the peer's ring in ours (we consume), and the
// control messages that waited for ring space.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstring>
#include <deque>

#include "psm2_am.h"   // psm2_amarg_t, used by hal/device.h
#include "hal/device.h"
#include "hal/shm/ring.h"
#include "hal/shm/segment.h"

namespace psm::hal::shm {

// A device-generated message (Done, Cts, AmDone) that found the ring full.
struct PendingControl {
    Kind kind;
    uint32_t len;
    unsigned char body[kInlineBytes];
};

// Bounce mode, sender side: push [addr, addr+len) to the receiver's job.
struct PushJob {
    const unsigned char* src;
    uint32_t len;
    uint32_t offset;
    uint32_t job;
    uint64_t send_cookie;
};

struct ShmConn final : Conn {
    PeerSegment peer;
    pid_t peer_pid = 0;
    RingProducer tx;              // into the peer's segment
    RingConsumer rx;              // from the peer, in our segment (once it claimed)
    int32_t rx_inbox = -1;
    bool lost = false;
    bool cma_refused = false;     // the peer's ptrace policy says no: use bounce
    bool cma_worked = false;      // one CMA read succeeded: split copies are safe to try
    uint8_t split_busy = 0;       // our split slots in use (bit per slot)
    uint16_t split_gen[kSplitSlots] = {};
    bool busy = false;            // listed in the device's busy list
    bool retired = false;         // disconnected while an upcall was running
    std::deque<PendingControl> control;
    std::deque<PushJob> pushes;
};

}  // namespace psm::hal::shm
