// What travels through a shm ring: one message = one header line followed by
// zero or more continuation lines, all 64 B cache lines. The header carries
// the sequence flag, so a receiver that polls one line sees a small message
// complete (header, tag, length and up to 32 payload bytes) in a single load.
#pragma once

#include <cstddef>
#include <cstdint>

namespace psm::hal::shm {

inline constexpr size_t kLineBytes = 64;

struct alignas(kLineBytes) Line {
    unsigned char bytes[kLineBytes];
};

enum class Kind : uint8_t {
    Pad = 1,        // filler up to the ring's end, so messages stay contiguous
    Eager = 2,      // tagged payload, complete
    Rts = 3,        // rendezvous announcement: RtsBody, header len = message length
    Done = 4,       // rendezvous finished (receiver -> sender): DoneBody
    Cts = 5,        // bounce mode: "push me the data" (receiver -> sender): CtsBody
    Data = 6,       // bounce mode chunk (sender -> receiver); aux = receiver's job id
    AmRequest = 7,  // payload = nargs * psm2_amarg_t, then the AM data
    AmReply = 8,
    AmDone = 9,     // target ran the handler: AmDoneBody
    Put = 10,       // split copy: "write this part into my buffer" (receiver -> sender)
    PutDone = 11,   // split copy: the sender's part landed (sender -> receiver)
};

// First 32 bytes of a message's first line. `seq` is written last (release)
// and equals ring position + 1, so a line left over from an earlier lap
// never looks like a fresh message.
struct MsgHeader {
    uint64_t seq;        // accessed only through std::atomic_ref
    uint32_t len;        // payload bytes (Rts: announced message length)
    uint16_t nlines;     // lines of this message including this one
    Kind kind;
    uint8_t nargs;       // AM only
    uint32_t tag[3];     // Eager/Rts: the 96-bit tag; AM: flags, completion
    uint32_t aux;        // AM: handler index; Data: receiver's job id
};
static_assert(sizeof(MsgHeader) == 32);

inline constexpr size_t kHeaderBytes = sizeof(MsgHeader);
inline constexpr size_t kInlineBytes = kLineBytes - kHeaderBytes;  // payload in line 0

inline constexpr uint32_t lines_for(size_t payload) {
    return static_cast<uint32_t>((kHeaderBytes + payload + kLineBytes - 1) / kLineBytes);
}
static_assert(lines_for(8) == 1, "an 8 B message must be one cache line");

inline unsigned char* payload_of(MsgHeader* h) { return reinterpret_cast<unsigned char*>(h) + kHeaderBytes; }
inline const unsigned char* payload_of(const MsgHeader* h) {
    return reinterpret_cast<const unsigned char*>(h) + kHeaderBytes;
}

struct RtsBody {
    uint64_t addr;         // sender's buffer, in the sender's address space
    uint64_t send_cookie;
};

struct DoneBody {
    uint64_t send_cookie;
    int32_t err;           // psm2_error_t seen by the receiver
    uint32_t pad;
};

struct CtsBody {
    uint64_t addr;         // echoed from the RTS so the sender keeps no table
    uint64_t send_cookie;
    uint32_t job;          // receiver's pull job, echoed in every Data line
    uint32_t len;          // bytes wanted (may be less than announced)
};

// Split copy offer: chunks of [src, src+len) may be written to dst by the
// sender, claimed through split_claims[slot] of the receiver's inbox control
// in the sender's segment (see split_claim.h).
struct PutBody {
    uint64_t src;          // sender's address
    uint64_t dst;          // receiver's address
    uint32_t len;
    uint32_t job;          // receiver's pull job
    uint16_t gen;
    uint8_t slot;
    uint8_t pad[3];
};

// Sent only by a sender that claimed at least one chunk, after the last one.
struct PutDoneBody {
    uint32_t job;
    int32_t err;           // errno of process_vm_writev, 0 = done
    uint32_t first_chunk;  // the sender wrote chunks [first_chunk, end)
    uint32_t pad;
};

struct AmDoneBody {
    uint64_t completion;
};

static_assert(sizeof(PutBody) <= kInlineBytes && sizeof(CtsBody) <= kInlineBytes);

}  // namespace psm::hal::shm
