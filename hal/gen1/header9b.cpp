#include "hal/gen1/header9b.h"

namespace psm::hal::gen1 {

using namespace hfi;

void Header9B::encode(const WireHeader& h, uint32_t l4_bytes, uint8_t* out) {
    uint32_t words = lrh_words(l4_bytes);
    // PBC: LengthDWs counts the packet after the PBC plus the PBC's own two
    // dwords; VL selects the send VL; the upper dword is unused on gen1.
    put_le64(out, uint64_t((h.vl & 0xf) << 12) | ((words + 2) & 0xfff));
    uint8_t* lrh = out + kPbcBytes;
    put_be16(lrh, uint16_t((h.sc & 0xf) << 12 | (h.sl & 0xf) << 4 | kLnhBth));
    put_be16(lrh + 2, uint16_t(h.dlid));
    put_be16(lrh + 4, uint16_t(words & 0xfff));
    put_be16(lrh + 6, uint16_t(h.slid));
    encode_bth_kdeth(h, lrh + kLrhBytes);
}

bool Header9B::decode(const uint8_t* in, WireHeader* h) {
    uint64_t pbc = get_le64(in);
    const uint8_t* lrh = in + kPbcBytes;
    uint16_t w0 = get_be16(lrh);
    if ((w0 & 3) != kLnhBth) return false;
    h->vl = uint8_t(pbc >> 12 & 0xf);
    h->sc = uint8_t(w0 >> 12);
    h->sl = uint8_t(w0 >> 4 & 0xf);
    h->dlid = get_be16(lrh + 2);
    h->pkt_words = uint16_t(get_be16(lrh + 4) & 0xfff);
    h->slid = get_be16(lrh + 6);
    h->entropy = 0;
    decode_bth_kdeth(lrh + kLrhBytes, h);
    return h->pkt_words * 4u >= kLrhBytes + kBthBytes + kKdethBytes + kIcrcBytes;
}

}  // namespace psm::hal::gen1
