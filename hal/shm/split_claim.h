// The shared word behind a split copy. A large pull is cut into chunks; the
// receiver claims chunks from the front (and reads them with
// process_vm_readv), the sender claims from the back (and writes them with
// process_vm_writev), each with one CAS, until the two ends meet. A sender
// that never polls costs nothing but its share: the receiver just takes
// every chunk. The generation tells a late sender that the slot now belongs
// to another pull.
//
//   word = generation[63:48] | front[47:24] | back[23:0]   (chunk indexes)
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

namespace psm::hal::shm {

inline constexpr uint32_t kSplitChunk = 128 * 1024;

struct SplitWord {
    uint16_t gen;
    uint32_t front;   // next chunk the receiver takes
    uint32_t back;    // one past the last chunk the sender may take

    static SplitWord unpack(uint64_t w) {
        return {static_cast<uint16_t>(w >> 48), static_cast<uint32_t>((w >> 24) & 0xffffff),
                static_cast<uint32_t>(w & 0xffffff)};
    }
    uint64_t pack() const {
        return (uint64_t{gen} << 48) | (uint64_t{front & 0xffffff} << 24) | (back & 0xffffff);
    }
};

// Claim one chunk from the front (receiver) or the back (sender) of slot
// `word` for generation `gen`. Returns the chunk index, or nothing when the
// ends met or the slot moved on to another generation.
inline std::optional<uint32_t> claim_chunk(uint64_t& word, uint16_t gen, bool from_front) {
    std::atomic_ref<uint64_t> w(word);
    uint64_t cur = w.load(std::memory_order_acquire);
    for (;;) {
        SplitWord s = SplitWord::unpack(cur);
        if (s.gen != gen || s.front >= s.back) return std::nullopt;
        uint32_t chunk = from_front ? s.front++ : --s.back;
        if (w.compare_exchange_weak(cur, s.pack(), std::memory_order_acq_rel,
                                    std::memory_order_acquire))
            return chunk;
    }
}

}  // namespace psm::hal::shm
