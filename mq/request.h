// struct psm2_mq_req: one send, receive or arrived-but-unmatched message.
//
// The public struct psm2_mq_req_user comes first on purpose: libfabric's psm2
// provider reads completed requests through that type (the status_copy
// callback of psm2_mq_ipeek_dequeue_multi), exactly as the original lays it
// out. Everything after it is private to the engine.
#pragma once

#include <cstdint>

#include "hal/device.h"
#include "mq/tag.h"
#include "psm2_mq.h"

namespace psm::mq {

class Engine;

// Number of selector classes that get a hash index (see match_queues.h).
inline constexpr int kMaskClasses = 4;

enum class ReqKind : uint8_t { Send, Recv };

enum class ReqState : uint8_t {
    Free,          // in the pool
    Posted,        // receive waiting in the posted queue
    Unexpected,    // message arrived before its receive, in the unexpected queue
    Probed,        // taken out by improbe, waiting for imrecv
    PullQueued,    // matched rendezvous receive, device had no room for the pull yet
    Pulling,       // matched rendezvous receive, data on its way
    SendQueued,    // send waiting behind the peer's backlog
    SendInFlight,  // rendezvous send announced, waiting for on_send_done
    Complete,      // done, in the completion queue (or internal)
    Dequeued,      // taken off the completion queue by ipeek_dequeue, awaiting req_free
};

// Intrusive doubly-linked list hooks; a request sits in several lists at once
// (an unexpected message: the arrival list and one bucket per mask class).
struct Links {
    psm2_mq_req* prev = nullptr;
    psm2_mq_req* next = nullptr;
};

// Slot 0 carries exactly one of: free list, wildcard/arrival list, peer
// backlog, peer in-flight list, completion queue. Slots 1..kMaskClasses are
// the hash-bucket chains of the mask classes.
inline constexpr int kMainSlot = 0;
inline constexpr int class_slot(int mask_class) { return mask_class + 1; }

inline constexpr uint32_t kReqMagic = 0x4d515251;  // "MQRQ"

}  // namespace psm::mq

struct alignas(64) psm2_mq_req {
    psm2_mq_req_user user{};           // public view, must stay first

    psm::mq::Links links[psm::mq::kMaskClasses + 1];
    uint64_t seq = 0;                  // post order (receives) or arrival order (messages)
    psm::mq::Engine* engine = nullptr;
    psm::hal::RndvToken token{};       // unexpected rendezvous message: the device's handle
    uint8_t* sysbuf = nullptr;         // unexpected eager payload (engine-owned)
    uint32_t sysbuf_cap = 0;
    uint32_t magic = psm::mq::kReqMagic;
    uint32_t generation = 0;           // bumped at each allocation; part of device cookies
    psm::mq::ReqKind kind = psm::mq::ReqKind::Recv;
    psm::mq::ReqState state = psm::mq::ReqState::Free;
    int8_t mask_class = -1;            // posted receive: its class, -1 = wildcard queue
    bool rndv = false;                 // message announced by RTS / send goes by RTS
    bool internal = false;             // blocking send: never shows up in the completion queue
    bool peer_lost = false;            // unexpected RTS whose sender is gone
};

namespace psm::mq {

// A receive's selector / a message's tag as the engine stores them: in the
// public part of the request, where status reporting reads them too.
inline Tag96 req_tag(const psm2_mq_req* r) {
    return Tag96{{r->user.tag.tag[0], r->user.tag.tag[1], r->user.tag.tag[2]}};
}
inline Tag96 req_tagsel(const psm2_mq_req* r) {
    return Tag96{{r->user.tagsel.tag[0], r->user.tagsel.tag[1], r->user.tagsel.tag[2]}};
}

}  // namespace psm::mq
