// What every HFI packet header says, independent of how a generation lays it
// out on the wire. hal/gen1 (9B) and hal/gen2 (16B) encode and decode these
// fields; the reliable protocol (hal/ips) only ever sees this struct, so it
// never knows which generation carries it.
#pragma once

#include <cstdint>
#include <cstring>

namespace psm::hal::hfi {

struct WireHeader {
    // Link layer (PBC + LRH).
    uint32_t dlid = 0;          // 16 bits on gen1, 24 bits on gen2
    uint32_t slid = 0;
    uint8_t sc = 0;             // service channel
    uint8_t sl = 0;             // service level (9B only; 16B routes by SC)
    uint8_t vl = 0;             // PBC VL
    uint16_t pkt_words = 0;     // LRH packet length: dwords (gen1) or 8-byte flits (gen2)
    uint16_t entropy = 0;       // 16B only: spreads flows over paths
    // Transport (BTH).
    uint8_t opcode = 0;         // PSM opcode, 0xC0..0xD4
    uint8_t pad = 0;            // payload pad bytes (BTH PadCnt)
    uint16_t pkey = 0;
    uint8_t context = 0;        // destination receive context
    uint8_t subcontext = 0;     // 3 bits
    uint8_t flowid = 0;         // 5 bits
    uint8_t bthqp = 0;          // QP prefix that marks PSM packets
    bool becn = false;
    bool fecn = false;
    bool ack_req = false;       // BTH2 bit 31: "acknowledge this one now"
    uint32_t psn = 0;           // 31 bits
    // KDETH.
    uint16_t offset = 0;        // 15 bits, in 4 B or 64 B units (om)
    bool om = false;
    uint16_t tid = 0;           // 10 bits
    uint8_t tid_ctrl = 0;       // 2 bits
    bool intr = false;
    bool sh = false;            // header suppression
    uint8_t kver = 1;           // 2 bits, KDETH version
    uint16_t jkey = 0;
    uint16_t hcrc = 0;

    bool operator==(const WireHeader&) const = default;
};

// Byte order helpers: LRH/BTH travel big-endian, PBC and KDETH little-endian.
inline void put_be16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
inline void put_be32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}
inline void put_le32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); p[2] = uint8_t(v >> 16); p[3] = uint8_t(v >> 24);
}
inline void put_le64(uint8_t* p, uint64_t v) { put_le32(p, uint32_t(v)); put_le32(p + 4, uint32_t(v >> 32)); }
inline uint16_t get_be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t get_be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint32_t get_le32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t get_le64(const uint8_t* p) { return get_le32(p) | uint64_t(get_le32(p + 4)) << 32; }

// BTH and KDETH are the same in both generations (12 + 8 bytes).
inline constexpr uint32_t kBthBytes = 12;
inline constexpr uint32_t kKdethBytes = 8;

inline void encode_bth_kdeth(const WireHeader& h, uint8_t* p) {
    put_be32(p, uint32_t(h.opcode) << 24 | uint32_t(h.pad & 3) << 20 | h.pkey);
    put_be32(p + 4, uint32_t(h.fecn) << 31 | uint32_t(h.becn) << 30 | uint32_t(h.bthqp) << 16 |
                        uint32_t(h.flowid & 0x1f) << 11 | uint32_t(h.subcontext & 7) << 8 | h.context);
    put_be32(p + 8, uint32_t(h.ack_req) << 31 | (h.psn & 0x7fffffffu));
    put_le32(p + 12, uint32_t(h.kver & 3) << 30 | uint32_t(h.sh) << 29 | uint32_t(h.intr) << 28 |
                         uint32_t(h.tid_ctrl & 3) << 26 | uint32_t(h.tid & 0x3ff) << 16 |
                         uint32_t(h.om) << 15 | (h.offset & 0x7fffu));
    put_le32(p + 16, uint32_t(h.hcrc) << 16 | h.jkey);
}

inline void decode_bth_kdeth(const uint8_t* p, WireHeader* h) {
    uint32_t b0 = get_be32(p), b1 = get_be32(p + 4), b2 = get_be32(p + 8);
    h->opcode = uint8_t(b0 >> 24);
    h->pad = uint8_t(b0 >> 20 & 3);
    h->pkey = uint16_t(b0);
    h->fecn = b1 >> 31;
    h->becn = b1 >> 30 & 1;
    h->bthqp = uint8_t(b1 >> 16);
    h->flowid = uint8_t(b1 >> 11 & 0x1f);
    h->subcontext = uint8_t(b1 >> 8 & 7);
    h->context = uint8_t(b1);
    h->ack_req = b2 >> 31;
    h->psn = b2 & 0x7fffffffu;
    uint32_t k0 = get_le32(p + 12), k1 = get_le32(p + 16);
    h->kver = uint8_t(k0 >> 30);
    h->sh = k0 >> 29 & 1;
    h->intr = k0 >> 28 & 1;
    h->tid_ctrl = uint8_t(k0 >> 26 & 3);
    h->tid = uint16_t(k0 >> 16 & 0x3ff);
    h->om = k0 >> 15 & 1;
    h->offset = uint16_t(k0 & 0x7fff);
    h->jkey = uint16_t(k1);
    h->hcrc = uint16_t(k1 >> 16);
}

}  // namespace psm::hal::hfi
