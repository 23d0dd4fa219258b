// gen1 ("WFR", 100 Gb/s) packet header: PBC 8 B + LRH 8 B + BTH 12 B +
// KDETH 8 B = 36 bytes, followed by the protocol's own header and payload.
// Field positions follow the hfi1 9B format (FACTS.md section 6); LIDs are
// 16 bits, lengths count 4-byte dwords.
#pragma once

#include <cstdint>

#include "hal/hfi/wire.h"

namespace psm::hal::gen1 {

struct Header9B {
    static constexpr uint32_t kPbcBytes = 8;
    static constexpr uint32_t kLrhBytes = 8;
    static constexpr uint32_t kBytes = kPbcBytes + kLrhBytes + hfi::kBthBytes + hfi::kKdethBytes;
    static constexpr uint32_t kIcrcBytes = 4;
    static constexpr uint32_t kMaxLid = 0xffff;
    static constexpr uint32_t kLnhBth = 0x2;      // LRH LNH: BTH follows (local)
    static constexpr uint32_t kMaxMtu = 10240;

    // l4_bytes: bytes after KDETH (protocol header + payload + pad), a
    // multiple of 4. Fills in the PBC/LRH lengths; h.pkt_words is ignored.
    static void encode(const hfi::WireHeader& h, uint32_t l4_bytes, uint8_t* out);
    // False when the bytes are not a 9B PSM packet (wrong LNH).
    static bool decode(const uint8_t* in, hfi::WireHeader* h);
    // Bytes after KDETH implied by a decoded header's length field.
    static uint32_t l4_bytes(const hfi::WireHeader& h) {
        return h.pkt_words * 4u - (kLrhBytes + hfi::kBthBytes + hfi::kKdethBytes + kIcrcBytes);
    }
    static uint32_t lrh_words(uint32_t l4_bytes) {
        return (kLrhBytes + hfi::kBthBytes + hfi::kKdethBytes + l4_bytes + kIcrcBytes) / 4;
    }
};

}  // namespace psm::hal::gen1
