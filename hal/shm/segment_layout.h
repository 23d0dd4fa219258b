// Layout of one endpoint's shared-memory segment:
//
//   [0, 4 KiB)           SegmentHeader: identity (magic, uuid, epid, owner
//                        pid + start time), state, inbox claim generation
//   [4 KiB, rings_off)   InboxCtl[kInboxes]: who sends into each inbox
//   [rings_off, end)     kInboxes rings of kRingLines lines, page aligned,
//                        so that a sender maps only the header pages and
//                        its own ring
//
// Every field shared between processes is accessed with atomic_ref.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hal/shm/ring.h"

namespace psm::hal::shm {

inline constexpr uint64_t kSegmentMagic = 0x70736d32'73686d31ULL;  // "psm2shm1"
inline constexpr uint32_t kLayoutVersion = 4;
inline constexpr uint32_t kInboxes = 128;        // peers that can send to one endpoint
inline constexpr uint32_t kRingLines = 4096;     // 256 KiB per ring
inline constexpr uint32_t kPublishBatch = kRingLines / 8;
inline constexpr size_t kPageBytes = 4096;

enum class SegState : uint64_t { Creating = 0, Ready = 1, Closed = 2 };
enum class InboxState : uint64_t { Free = 0, Claimed = 1, SenderClosed = 2 };

struct SegmentHeader {
    uint64_t magic;            // written last at creation (release)
    uint32_t layout_version;
    uint32_t inboxes;
    uint32_t ring_lines;
    uint32_t owner_pid;
    uint64_t owner_start_time; // /proc/<pid>/stat starttime: detects pid reuse
    uint64_t owner_pidns;      // inode of the owner's pid namespace: pids compare only within one
    uint64_t epid;
    unsigned char uuid[16];
    alignas(kLineBytes) uint64_t state;       // SegState
    alignas(kLineBytes) uint64_t claim_gen;   // bumped on every inbox claim/close
};

// Split copies in flight from the producer of this inbox's ring (see
// split_claim.h); the producer owns slot allocation, both sides CAS.
inline constexpr uint32_t kSplitSlots = 8;

struct alignas(kLineBytes) InboxCtl {
    uint64_t owner_epid;   // 0 = free; sender CASes its epid in
    uint64_t state;        // InboxState
    uint64_t owner_pid;
    unsigned char owner_uuid[16];   // the sender's job: the receiver reads only its own job's rings
    RingShared ring;       // consumer head, its own line
    alignas(kLineBytes) uint64_t split_claims[kSplitSlots];
};
static_assert(sizeof(InboxCtl) == 3 * kLineBytes);

inline constexpr size_t kCtlOffset = kPageBytes;
inline constexpr size_t kHeadBytes =
    (kCtlOffset + kInboxes * sizeof(InboxCtl) + kPageBytes - 1) / kPageBytes * kPageBytes;
inline constexpr size_t kRingBytes = size_t{kRingLines} * kLineBytes;
inline constexpr size_t kSegmentBytes = kHeadBytes + size_t{kInboxes} * kRingBytes;

inline size_t ring_offset(uint32_t inbox) { return kHeadBytes + size_t{inbox} * kRingBytes; }

static_assert(sizeof(SegmentHeader) <= kCtlOffset);
static_assert(kRingBytes % kPageBytes == 0);

// The largest payload one ring message may carry: a message plus a worst-case
// pad must fit beside a batch of unpublished lines.
inline constexpr uint32_t kMaxMessagePayload =
    (kRingLines - kPublishBatch) / 2 * kLineBytes - kHeaderBytes;

// AM payload limit (arguments excluded), well inside one ring message.
inline constexpr uint32_t kMaxAmPayload = 65536;
static_assert(kMaxAmPayload + 8 * 8 <= kMaxMessagePayload);

// Bounce mode moves rendezvous data in chunks of this many payload bytes
// (header + chunk = 512 lines, so a ring holds eight in flight).
inline constexpr uint32_t kBounceChunk = 32768 - kHeaderBytes;

}  // namespace psm::hal::shm
