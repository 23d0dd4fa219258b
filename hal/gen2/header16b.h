// gen2 ("JKR"/CN5000, 400 Gb/s) packet header: PBC 8 B + 16B LRH 16 B +
// BTH 12 B + KDETH 8 B = 44 bytes. Differences from gen1 (FACTS.md
// section 6): LIDs are 24 bits (20 low bits + 4 high bits elsewhere in the
// LRH), the packet length counts 8-byte flits, the PBC names the L2 type
// (16B) and carries the DLID, and the LRH has SC/RC/entropy fields.
#pragma once

#include <cstdint>

#include "hal/hfi/wire.h"

namespace psm::hal::gen2 {

struct Header16B {
    static constexpr uint32_t kPbcBytes = 8;
    static constexpr uint32_t kLrhBytes = 16;
    static constexpr uint32_t kBytes = kPbcBytes + kLrhBytes + hfi::kBthBytes + hfi::kKdethBytes;
    static constexpr uint32_t kIcrcTailBytes = 8;  // ICRC + tail, one flit
    static constexpr uint32_t kMaxLid = 0xffffff;
    static constexpr uint32_t kL2Type16B = 0x2;    // PBC L2Type and LRH L2 field
    static constexpr uint32_t kL4IbLocal = 0x9;    // L4: IB transport, no GRH
    static constexpr uint32_t kMaxMtu = 10240;

    // l4_bytes: bytes after KDETH; the total is padded to whole flits by the
    // caller (pad in BTH). h.pkt_words is ignored and computed here.
    static void encode(const hfi::WireHeader& h, uint32_t l4_bytes, uint8_t* out);
    static bool decode(const uint8_t* in, hfi::WireHeader* h);
    static uint32_t l4_bytes(const hfi::WireHeader& h) {
        return h.pkt_words * 8u - (kLrhBytes + hfi::kBthBytes + hfi::kKdethBytes + kIcrcTailBytes);
    }
    static uint32_t lrh_flits(uint32_t l4_bytes) {
        return (kLrhBytes + hfi::kBthBytes + hfi::kKdethBytes + l4_bytes + kIcrcTailBytes + 7) / 8;
    }
};

}  // namespace psm::hal::gen2
