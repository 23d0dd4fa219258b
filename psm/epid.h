// Endpoint id layout (format version 2 of the original):
//   HFI endpoint : subnet[63:48] | lid[39:16] | context[15:8] | subcontext[7:5] | shm=0 [3] | ver[2:0]
//   shm-only     : pid[63:32]    | ep index in context[15:8]  | shm=1 [3]       | ver[2:0]
// Version 1 (16-bit lid at [31:16]) is decoded for lookups but never produced.
#pragma once

#include <cstdint>

#include "psm2.h"

namespace psm::epid {

constexpr uint64_t kVersionMask = 0x7;
constexpr uint64_t kVersion1 = 1;
constexpr uint64_t kVersion2 = 2;
constexpr uint64_t kShmBit = 1ull << 3;

constexpr psm2_epid_t make_shm(uint32_t pid, uint32_t ep_index) {
    return (static_cast<uint64_t>(pid) << 32) | (static_cast<uint64_t>(ep_index & 0xff) << 8) |
           kShmBit | kVersion2;
}

constexpr psm2_epid_t make_hfi(uint32_t lid, uint32_t context, uint32_t subcontext, uint16_t subnet) {
    return (static_cast<uint64_t>(subnet) << 48) | (static_cast<uint64_t>(lid & 0xffffff) << 16) |
           (static_cast<uint64_t>(context & 0xff) << 8) | (static_cast<uint64_t>(subcontext & 0x7) << 5) |
           kVersion2;
}

constexpr uint32_t version(psm2_epid_t e) { return static_cast<uint32_t>(e & kVersionMask); }
constexpr bool is_valid(psm2_epid_t e) {
    return e != 0 && (version(e) == kVersion1 || version(e) == kVersion2);
}
constexpr bool is_shm_only(psm2_epid_t e) { return version(e) == kVersion2 && (e & kShmBit); }
constexpr uint32_t lid(psm2_epid_t e) {
    if (version(e) == kVersion1) return static_cast<uint32_t>((e >> 16) & 0xffff);
    return is_shm_only(e) ? 0u : static_cast<uint32_t>((e >> 16) & 0xffffff);
}
constexpr uint32_t context(psm2_epid_t e) { return static_cast<uint32_t>((e >> 8) & 0xff); }
constexpr uint32_t subcontext(psm2_epid_t e) { return static_cast<uint32_t>((e >> 5) & 0x7); }
constexpr uint32_t pid(psm2_epid_t e) { return is_shm_only(e) ? static_cast<uint32_t>(e >> 32) : 0u; }

}  // namespace psm::epid
