// 96-bit tag arithmetic shared by the matching structures. A receive with tag
// R and selector M matches a message tag T when ((T ^ R) & M) == 0 on all
// three 32-bit words; the 64-bit API maps to words 0 and 1 with word 2 zero.
#pragma once

#include <cstdint>

#include "hal/device.h"
#include "psm2_mq.h"

namespace psm::mq {

using hal::Tag96;

inline Tag96 tag_from64(uint64_t t) {
    return Tag96{{static_cast<uint32_t>(t), static_cast<uint32_t>(t >> 32), 0}};
}

inline Tag96 tag_from_public(const psm2_mq_tag_t& t) { return Tag96{{t.tag[0], t.tag[1], t.tag[2]}}; }

inline psm2_mq_tag_t tag_to_public(const Tag96& t) {
    psm2_mq_tag_t out{};
    out.tag[0] = t.w[0];
    out.tag[1] = t.w[1];
    out.tag[2] = t.w[2];
    return out;
}

inline uint64_t tag_to64(const Tag96& t) { return uint64_t(t.w[0]) | (uint64_t(t.w[1]) << 32); }

inline bool tag_matches(const Tag96& msg, const Tag96& rtag, const Tag96& mask) {
    return (((msg.w[0] ^ rtag.w[0]) & mask.w[0]) | ((msg.w[1] ^ rtag.w[1]) & mask.w[1]) |
            ((msg.w[2] ^ rtag.w[2]) & mask.w[2])) == 0;
}

inline bool tag_equal(const Tag96& a, const Tag96& b) {
    return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1]) | (a.w[2] ^ b.w[2])) == 0;
}

inline bool tag_is_zero(const Tag96& t) { return (t.w[0] | t.w[1] | t.w[2]) == 0; }

// Hash of the bits a selector keeps; entries that can match one message all
// land in the same bucket of the table built for that selector.
inline uint64_t tag_hash(const Tag96& t, const Tag96& mask) {
    uint64_t lo = uint64_t(t.w[0] & mask.w[0]) | (uint64_t(t.w[1] & mask.w[1]) << 32);
    uint64_t h = lo * 0x9E3779B97F4A7C15ull;
    h ^= uint64_t(t.w[2] & mask.w[2]) * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 31);
}

}  // namespace psm::mq
