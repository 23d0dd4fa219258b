// The header of a message in a ring is written by the peer process: before
// the receiver follows it (skips nlines, reads len payload bytes) it must
// describe a message that lies inside the ring. A peer that wrote a bad
// header is broken (memory corruption, a foreign writer); the receiver stops
// reading that ring instead of reading or clearing memory past its end.
#pragma once

#include <cstdint>

#include "hal/shm/wire.h"

namespace psm::hal::shm {

inline constexpr uint8_t kMaxAmArgs = 8;   // psm2_am: at most 8 arguments

// lines_to_end: lines from the header's position to the end of the ring
// (messages never wrap; a Pad fills the rest of the ring instead).
inline bool message_fits(const MsgHeader& h, uint32_t lines_to_end) {
    if (h.nlines == 0 || h.nlines > lines_to_end) return false;
    uint64_t room = uint64_t(h.nlines) * kLineBytes - kHeaderBytes;   // payload bytes it spans
    switch (h.kind) {
    case Kind::Eager:
    case Kind::Data:
        return h.len <= room;
    case Kind::AmRequest:
    case Kind::AmReply:
        return h.nargs <= kMaxAmArgs && h.len <= room &&
               uint64_t(h.nargs) * 8 <= h.len;   // len counts the arguments too
    case Kind::Pad:
    case Kind::Rts:        // len is the announced message, not carried here
    case Kind::Done:
    case Kind::Cts:
    case Kind::AmDone:
    case Kind::Put:
    case Kind::PutDone:
        return true;       // bodies fit in line 0 (static_assert below)
    }
    return false;          // unknown kind
}

static_assert(sizeof(RtsBody) <= kInlineBytes && sizeof(DoneBody) <= kInlineBytes &&
              sizeof(CtsBody) <= kInlineBytes && sizeof(AmDoneBody) <= kInlineBytes &&
              sizeof(PutBody) <= kInlineBytes && sizeof(PutDoneBody) <= kInlineBytes);

}  // namespace psm::hal::shm
