// Fuzz target for one HFI generation's wire header decoder (gen1 9B or gen2
// 16B, chosen at build time by FUZZ_GEN = 1 or 2): the bytes a receive
// context hands up come from another host. Invariants:
//  - decode reads only the generation's header bytes (the input is copied
//    into a buffer of exactly that size, so ASan sees any read past it);
//  - an accepted header implies a length that covers LRH..ICRC, so
//    l4_bytes() does not wrap;
//  - encode(decode(x)) decodes to the same fields (decode(encode(h)) == h);
//  - any header built from the input's field values survives
//    encode -> decode unchanged (fields masked to their wire widths).
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.h"
#include "hal/hfi/generation.h"

using namespace psm::hal::hfi;

namespace {

const GenerationInfo& gen() {
    return generation_info(FUZZ_GEN == 1 ? Generation::Gen1 : Generation::Gen2);
}

// Largest length field: 12 bits of dwords (gen1) or 11 bits of flits (gen2).
uint32_t max_packet_bytes() { return FUZZ_GEN == 1 ? 0xfff * 4 : 0x7ff * 8; }

void check_round_trip(const WireHeader& h) {
    const GenerationInfo& g = gen();
    uint32_t l4 = g.l4_bytes(h);
    FUZZ_CHECK(l4 <= max_packet_bytes());
    std::vector<uint8_t> out(g.header_bytes);
    g.encode(h, l4, out.data());
    WireHeader back;
    FUZZ_CHECK(g.decode(out.data(), &back));
    FUZZ_CHECK(back == h);
}

// A header whose every field is taken from the input, within its width.
WireHeader header_from(const uint8_t* p) {
    auto u32 = [&](int i) { uint32_t v; std::memcpy(&v, p + i, 4); return v; };
    WireHeader h;
    uint32_t lid_mask = FUZZ_GEN == 1 ? 0xffff : 0xffffff;
    h.dlid = u32(0) & lid_mask;
    h.slid = u32(4) & lid_mask;
    h.sc = uint8_t(p[8] & (FUZZ_GEN == 1 ? 0xf : 0x1f));
    h.sl = FUZZ_GEN == 1 ? uint8_t(p[9] & 0xf) : 0;
    h.vl = uint8_t(p[10] & 0xf);
    h.entropy = FUZZ_GEN == 1 ? 0 : uint16_t(u32(11));
    h.opcode = p[13];
    h.pad = uint8_t(p[14] & 3);
    h.pkey = uint16_t(u32(15));
    h.context = p[17];
    h.subcontext = uint8_t(p[18] & 7);
    h.flowid = uint8_t(p[19] & 0x1f);
    h.bthqp = p[20];
    h.becn = p[21] & 1;
    h.fecn = p[21] >> 1 & 1;
    h.ack_req = p[21] >> 2 & 1;
    h.psn = u32(22) & 0x7fffffff;
    h.offset = uint16_t(u32(26) & 0x7fff);
    h.om = p[28] & 1;
    h.tid = uint16_t(u32(29) & 0x3ff);
    h.tid_ctrl = uint8_t(p[31] & 3);
    h.intr = p[31] >> 2 & 1;
    h.sh = p[31] >> 3 & 1;
    h.kver = uint8_t(p[31] >> 4 & 3);
    h.jkey = uint16_t(u32(32));
    h.hcrc = uint16_t(u32(34));
    return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const GenerationInfo& g = gen();
    if (size < g.header_bytes) return 0;
    std::vector<uint8_t> wire(data, data + g.header_bytes);   // exactly one header
    WireHeader h;
    if (g.decode(wire.data(), &h)) check_round_trip(h);

    // The other direction: fields from the input, then a payload length.
    if (size >= g.header_bytes + 40) {
        const uint8_t* p = data + g.header_bytes;
        WireHeader x = header_from(p);
        uint32_t l4;
        std::memcpy(&l4, p + 36, 4);
        l4 = (l4 % (g.max_mtu + 64)) / g.l4_align * g.l4_align;
        std::vector<uint8_t> out(g.header_bytes);
        g.encode(x, l4, out.data());
        WireHeader y;
        FUZZ_CHECK(g.decode(out.data(), &y));
        FUZZ_CHECK(g.l4_bytes(y) >= l4 && g.l4_bytes(y) < l4 + 8);
        x.pkt_words = y.pkt_words;   // computed by encode
        FUZZ_CHECK(x == y);
    }
    return 0;
}
