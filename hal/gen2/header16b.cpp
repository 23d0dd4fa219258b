#include "hal/gen2/header16b.h"

namespace psm::hal::gen2 {

using namespace hfi;

void Header16B::encode(const WireHeader& h, uint32_t l4_bytes, uint8_t* out) {
    uint32_t flits = lrh_flits(l4_bytes);
    // PBC: LengthDWs, VL, L2Type 16B at [21:20], 24-bit DLID at [55:32].
    uint64_t pbc = uint64_t(flits * 2 + 2) & 0xfff;
    pbc |= uint64_t(h.vl & 0xf) << 12;
    pbc |= uint64_t(kL2Type16B) << 20;
    pbc |= uint64_t(h.dlid & kMaxLid) << 32;
    put_le64(out, pbc);
    // LRH: four little-endian dwords.
    uint8_t* lrh = out + kPbcBytes;
    put_le32(lrh, uint32_t(h.becn) << 31 | (flits & 0x7ff) << 20 | (h.slid & 0xfffff));
    put_le32(lrh + 4, 1u << 31 | kL2Type16B << 29 | uint32_t(h.fecn) << 28 |
                          uint32_t(h.sc & 0x1f) << 20 | (h.dlid & 0xfffff));
    put_le32(lrh + 8, uint32_t(h.pkey) << 16 | (h.dlid >> 20 & 0xf) << 12 |
                          (h.slid >> 20 & 0xf) << 8 | kL4IbLocal);
    put_le32(lrh + 12, h.entropy);
    encode_bth_kdeth(h, lrh + kLrhBytes);
}

bool Header16B::decode(const uint8_t* in, WireHeader* h) {
    uint64_t pbc = get_le64(in);
    const uint8_t* lrh = in + kPbcBytes;
    uint32_t w0 = get_le32(lrh), w1 = get_le32(lrh + 4), w2 = get_le32(lrh + 8);
    uint32_t w3 = get_le32(lrh + 12);
    if ((w1 >> 29 & 3) != kL2Type16B || (w2 & 0xff) != kL4IbLocal) return false;
    h->vl = uint8_t(pbc >> 12 & 0xf);
    h->sl = 0;
    h->pkt_words = uint16_t(w0 >> 20 & 0x7ff);
    h->slid = (w0 & 0xfffff) | (w2 >> 8 & 0xf) << 20;
    h->dlid = (w1 & 0xfffff) | (w2 >> 12 & 0xf) << 20;
    h->sc = uint8_t(w1 >> 20 & 0x1f);
    h->entropy = uint16_t(w3);
    decode_bth_kdeth(lrh + kLrhBytes, h);
    // The BTH of a 16B packet carries no pkey; the LRH's wins.
    h->pkey = uint16_t(w2 >> 16);
    h->becn = w0 >> 31;
    h->fecn = w1 >> 28 & 1;
    return h->pkt_words * 8u >= kLrhBytes + kBthBytes + kKdethBytes + kIcrcTailBytes;
}

}  // namespace psm::hal::gen2
