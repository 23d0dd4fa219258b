// The two HFI generations as data: header codec, LID width, MTU, link speed.
// The protocol picks one descriptor when a context opens and calls through it;
// nothing above hal/hfi branches on the generation.
#pragma once

#include <cstdint>

#include "hal/hfi/wire.h"

namespace psm::hal::hfi {

enum class Generation : uint8_t { Gen1 = 1, Gen2 = 2 };

struct GenerationInfo {
    Generation gen;
    const char* name;            // "gen1" / "gen2"
    uint32_t header_bytes;       // PBC + LRH + BTH + KDETH
    uint32_t l4_align;           // bytes after KDETH are padded to this
    uint32_t max_lid;
    uint32_t max_mtu;
    uint32_t default_mtu;
    uint32_t link_gbps;
    void (*encode)(const WireHeader&, uint32_t l4_bytes, uint8_t* out);
    bool (*decode)(const uint8_t* in, WireHeader* out);
    uint32_t (*l4_bytes)(const WireHeader&);
};

const GenerationInfo& generation_info(Generation g);
// "gen1"/"gen2" (also "1"/"2", "wfr"/"jkr"); false for anything else.
bool parse_generation(const char* text, Generation* out);

// Largest header any generation uses; buffers sized with it fit both.
inline constexpr uint32_t kMaxWireHeaderBytes = 44;

}  // namespace psm::hal::hfi
