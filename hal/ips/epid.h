// HFI endpoint ids, format version 2 (FACTS.md section 4):
//   subnet[63:48] | lid[39:16] | context[15:8] | subcontext[7:5] | shm[3] | version[2:0]
#pragma once

#include <cstdint>

#include "psm2.h"

namespace psm::hal::ips {

inline constexpr uint64_t kEpidVersion2 = 2;

inline psm2_epid_t make_epid(uint32_t lid, uint32_t context, uint32_t subcontext, uint16_t subnet = 0) {
    return uint64_t(subnet) << 48 | uint64_t(lid & 0xffffff) << 16 | uint64_t(context & 0xff) << 8 |
           uint64_t(subcontext & 7) << 5 | kEpidVersion2;
}
inline uint32_t epid_version(psm2_epid_t e) { return uint32_t(e & 7); }
inline bool epid_is_shm_only(psm2_epid_t e) { return (e >> 3) & 1; }
inline uint32_t epid_lid(psm2_epid_t e) { return uint32_t(e >> 16) & 0xffffff; }
inline uint32_t epid_context(psm2_epid_t e) { return uint32_t(e >> 8) & 0xff; }
inline uint32_t epid_subcontext(psm2_epid_t e) { return uint32_t(e >> 5) & 7; }
// An epid an HFI device can address: version 2, not shm-only, a LID.
inline bool epid_is_hfi(psm2_epid_t e) {
    return epid_version(e) == kEpidVersion2 && !epid_is_shm_only(e) && epid_lid(e) != 0;
}

}  // namespace psm::hal::ips
