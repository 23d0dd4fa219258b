// Header codecs of both generations: round trips and byte patterns built by
// hand from the public 9B / 16B layouts (FACTS.md section 6).
#include <gtest/gtest.h>

#include <array>

#include "hal/gen1/header9b.h"
#include "hal/gen2/header16b.h"

using psm::hal::gen1::Header9B;
using psm::hal::gen2::Header16B;
using psm::hal::hfi::WireHeader;

namespace {

WireHeader sample(uint32_t dlid, uint32_t slid) {
    WireHeader h;
    h.dlid = dlid;
    h.slid = slid;
    h.sc = 3;
    h.vl = 2;
    h.opcode = 0xC2;   // SHORT
    h.pkey = 0x8001;
    h.context = 17;
    h.subcontext = 5;
    h.flowid = 9;
    h.bthqp = 0x80;
    h.ack_req = true;
    h.psn = 0x12345;
    h.offset = 0x1234;
    h.om = true;
    h.tid = 0x2ab;
    h.tid_ctrl = 2;
    h.kver = 1;
    h.jkey = 0xbeef;
    h.hcrc = 0x0f0f;
    return h;
}

}  // namespace

TEST(Header9B, RoundTrip) {
    WireHeader h = sample(0x1234, 0xfedc);
    h.sl = 7;
    h.sc = 0xa;
    h.becn = true;
    std::array<uint8_t, Header9B::kBytes> buf{};
    Header9B::encode(h, 64, buf.data());
    WireHeader d;
    ASSERT_TRUE(Header9B::decode(buf.data(), &d));
    EXPECT_EQ(Header9B::l4_bytes(d), 64u);
    h.pkt_words = d.pkt_words;
    EXPECT_EQ(d, h);
}

TEST(Header9B, KnownBytes) {
    WireHeader h = sample(0x0102, 0x0304);
    h.sl = 0;
    std::array<uint8_t, Header9B::kBytes> b{};
    Header9B::encode(h, 32, b.data());
    // LRH..ICRC = 8 + 12 + 8 + 32 + 4 = 64 B = 16 dwords; PBC adds its own 2.
    EXPECT_EQ(b[0], 18);            // PBC LengthDWs low byte
    EXPECT_EQ(b[1], 0x20);          // VL 2 at [15:12]
    EXPECT_EQ(b[8], 0x30);          // LRH w0: SC 3 in the top nibble
    EXPECT_EQ(b[9], 0x02);          // LNH = BTH
    EXPECT_EQ(b[10], 0x01);         // DLID big-endian
    EXPECT_EQ(b[11], 0x02);
    EXPECT_EQ(b[12], 0x00);         // packet length (dwords)
    EXPECT_EQ(b[13], 16);
    EXPECT_EQ(b[14], 0x03);         // SLID
    EXPECT_EQ(b[15], 0x04);
    EXPECT_EQ(b[16], 0xC2);         // BTH0: opcode, pkey
    EXPECT_EQ(b[18], 0x80);
    EXPECT_EQ(b[19], 0x01);
    EXPECT_EQ(b[21], 0x80);         // BTH1: bthqp
    EXPECT_EQ(b[22], 9 << 3 | 5);   // flowid[15:11] | subctxt[10:8]
    EXPECT_EQ(b[23], 17);           // context
    EXPECT_EQ(b[24], 0x80);         // BTH2: AckReq | PSN 0x12345
    EXPECT_EQ(b[25], 0x01);
    EXPECT_EQ(b[26], 0x23);
    EXPECT_EQ(b[27], 0x45);
    // KDETH0 little-endian: kver 1 <<30 | tidctrl 2 <<26 | tid 0x2ab <<16 | OM | 0x1234
    uint32_t k0 = 1u << 30 | 2u << 26 | 0x2abu << 16 | 1u << 15 | 0x1234;
    EXPECT_EQ(b[28], uint8_t(k0));
    EXPECT_EQ(b[31], uint8_t(k0 >> 24));
    EXPECT_EQ(b[32], 0xef);         // jkey little-endian
    EXPECT_EQ(b[33], 0xbe);
}

TEST(Header9B, RejectsNon9B) {
    std::array<uint8_t, Header9B::kBytes> b{};
    WireHeader d;
    EXPECT_FALSE(Header9B::decode(b.data(), &d));   // LNH 0 = raw
}

TEST(Header16B, RoundTrip24BitLids) {
    WireHeader h = sample(0xabcdef, 0x123456);
    h.sc = 0x1d;
    h.entropy = 0x5a5a;
    h.fecn = true;
    std::array<uint8_t, Header16B::kBytes> buf{};
    Header16B::encode(h, 44, buf.data());
    WireHeader d;
    ASSERT_TRUE(Header16B::decode(buf.data(), &d));
    h.pkt_words = d.pkt_words;
    EXPECT_EQ(d, h);
    EXPECT_EQ(d.dlid, 0xabcdefu);
    EXPECT_EQ(d.slid, 0x123456u);
}

TEST(Header16B, KnownBytes) {
    WireHeader h = sample(0xA12345, 0xB6789A);
    std::array<uint8_t, Header16B::kBytes> b{};
    Header16B::encode(h, 36, b.data());
    // 16 + 12 + 8 + 36 + 8 = 80 B = 10 flits of 8 B (callers pad to a flit).
    uint32_t flits = 10;
    // PBC: L2Type 16B (0b10) at [21:20], DLID at [55:32].
    EXPECT_EQ(b[2] >> 4 & 3, 2);
    EXPECT_EQ(b[4], 0x45);
    EXPECT_EQ(b[5], 0x23);
    EXPECT_EQ(b[6], 0xA1);
    // LRH dword 0: slid low 20 bits | length in flits at [30:20].
    uint32_t w0 = 0x6789Au | flits << 20;
    EXPECT_EQ(b[8], uint8_t(w0));
    EXPECT_EQ(b[9], uint8_t(w0 >> 8));
    EXPECT_EQ(b[10], uint8_t(w0 >> 16));
    EXPECT_EQ(b[11], uint8_t(w0 >> 24));
    // LRH dword 1: LT | L2=16B | SC 3 | dlid low 20 bits.
    uint32_t w1 = 1u << 31 | 2u << 29 | 3u << 20 | 0x12345u;
    EXPECT_EQ(b[12], uint8_t(w1));
    EXPECT_EQ(b[15], uint8_t(w1 >> 24));
    // LRH dword 2: pkey | dlid high 4 | slid high 4 | L4 = 9.
    EXPECT_EQ(b[16], 0x09);
    EXPECT_EQ(b[17], 0xAB);        // dlid[23:20]=A at [15:12], slid[23:20]=B at [11:8]
    EXPECT_EQ(b[18], 0x01);
    EXPECT_EQ(b[19], 0x80);
    EXPECT_EQ(Header16B::l4_bytes([&] { WireHeader d; Header16B::decode(b.data(), &d); return d; }()), 36u);
}

TEST(Header16B, RejectsA9BPacket) {
    std::array<uint8_t, 64> b{};
    Header9B::encode(sample(1, 2), 32, b.data());
    WireHeader d;
    EXPECT_FALSE(Header16B::decode(b.data(), &d));
}
