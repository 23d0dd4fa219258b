#include "hal/hfi/generation.h"

#include <strings.h>

#include "hal/gen1/header9b.h"
#include "hal/gen2/header16b.h"

namespace psm::hal::hfi {

namespace {

// gen1 pads the protocol part to dwords; 16B packets are whole 8-byte flits,
// and 44 header bytes + l4 must be a multiple of 8, which l4_align 8 with the
// protocol header of 36 bytes (see ips/packet.h) keeps.
constexpr GenerationInfo kGen1{Generation::Gen1, "gen1", gen1::Header9B::kBytes, 4,
                               gen1::Header9B::kMaxLid, gen1::Header9B::kMaxMtu, 8192, 100,
                               &gen1::Header9B::encode, &gen1::Header9B::decode,
                               &gen1::Header9B::l4_bytes};
constexpr GenerationInfo kGen2{Generation::Gen2, "gen2", gen2::Header16B::kBytes, 8,
                               gen2::Header16B::kMaxLid, gen2::Header16B::kMaxMtu, 10240, 400,
                               &gen2::Header16B::encode, &gen2::Header16B::decode,
                               &gen2::Header16B::l4_bytes};
static_assert(gen2::Header16B::kBytes <= kMaxWireHeaderBytes);
static_assert(gen1::Header9B::kBytes <= kMaxWireHeaderBytes);

}  // namespace

const GenerationInfo& generation_info(Generation g) {
    return g == Generation::Gen2 ? kGen2 : kGen1;
}

bool parse_generation(const char* t, Generation* out) {
    if (!strcasecmp(t, "gen1") || !strcmp(t, "1") || !strcasecmp(t, "wfr")) {
        *out = Generation::Gen1;
        return true;
    }
    if (!strcasecmp(t, "gen2") || !strcmp(t, "2") || !strcasecmp(t, "jkr") ||
        !strcasecmp(t, "cn5000")) {
        *out = Generation::Gen2;
        return true;
    }
    return false;
}

}  // namespace psm::hal::hfi
