// Writes the seed corpus of every fuzz target (tests/fuzz/corpus/<target>/)
// from packets and messages encoded by the library's own encoders, so the
// fuzzers start from what real peers send. Run by make_corpus.sh; the output
// is committed. Deterministic: the same build writes the same files.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hal/hfi/generation.h"
#include "hal/ips/epid.h"
#include "hal/ips/packet.h"
#include "hal/shm/ring.h"

using namespace psm::hal;
using Bytes = std::vector<uint8_t>;
namespace fs = std::filesystem;

namespace {

fs::path out_root;

void write(const std::string& target, const std::string& name, const Bytes& b) {
    fs::create_directories(out_root / target);
    std::ofstream(out_root / target / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}
void write(const std::string& target, const std::string& name, const std::string& s) {
    write(target, name, Bytes(s.begin(), s.end()));
}

hfi::WireHeader wire(uint8_t opcode, uint32_t psn) {
    hfi::WireHeader h;
    h.dlid = 1;
    h.slid = 2;
    h.opcode = opcode;
    h.pkey = 0x8001;
    h.context = 3;
    h.bthqp = 0x80;
    h.psn = psn;
    h.jkey = 0x1234;
    return h;
}

// ---- HFI headers ---------------------------------------------------------

void header_seeds(hfi::Generation g, const std::string& target) {
    const auto& gi = hfi::generation_info(g);
    int n = 0;
    for (uint8_t op : {ips::kOpShort, ips::kOpEager, ips::kOpLongRts, ips::kOpExpTid, ips::kOpAck,
                       ips::kOpConnectReq}) {
        hfi::WireHeader h = wire(op, 100 + n);
        if (g == hfi::Generation::Gen2) {
            h.dlid = 0x2a0001;
            h.slid = 0x2a0002;
            h.entropy = 0x5a5a;
        }
        h.ack_req = n & 1;
        h.tid = uint16_t(n * 3);
        h.offset = uint16_t(n * 64);
        uint32_t l4 = 44 + uint32_t(n) * 1024;
        Bytes b(gi.header_bytes + 40, 0);
        gi.encode(h, l4, b.data());
        // The 40 bytes after the header feed the harness's encode direction.
        for (size_t i = gi.header_bytes; i < b.size(); ++i) b[i] = uint8_t(i * 37 + n);
        write(target, "op_" + std::to_string(op) + ".bin", b);
        ++n;
    }
}

// ---- IPS packets (fuzz_ips_device input format) -----------------------------

const psm2_epid_t kPeer = ips::make_epid(2, 1, 0);

struct Stream {
    hfi::Generation g;
    Bytes b;
    // paylen is set here, as the device's transmit() does, unless `raw`.
    void packet(const hfi::WireHeader& wh, ips::IpsHeader ih, const Bytes& payload, bool raw = false) {
        const auto& gi = hfi::generation_info(g);
        if (!raw) ih.paylen = uint32_t(payload.size());
        Bytes hdr(gi.header_bytes + sizeof ih);
        uint32_t l4 = uint32_t(sizeof ih + payload.size() + gi.l4_align - 1) / gi.l4_align * gi.l4_align;
        gi.encode(wh, l4, hdr.data());
        std::memcpy(hdr.data() + gi.header_bytes, &ih, sizeof ih);
        b.push_back(uint8_t(hdr.size()));
        b.push_back(uint8_t(hdr.size() >> 8));
        b.push_back(uint8_t(payload.size()));
        b.push_back(uint8_t(payload.size() >> 8));
        b.insert(b.end(), hdr.begin(), hdr.end());
        b.insert(b.end(), payload.begin(), payload.end());
    }
};

// A pause: the harness sends its own messages before reading on.
void pause(Stream& s) { s.b.insert(s.b.end(), {0, 0, 0, 0}); }

ips::IpsHeader connect_header(uint32_t src, uint32_t dst, uint32_t status_or_gen) {
    ips::IpsHeader ih{};
    ih.src_conn = src;
    ih.dst_conn = dst;
    std::memset(ih.tag, 7, sizeof ih.tag);   // the harness's uuid: all bytes 7
    std::memset(&ih.msg_len, 7, sizeof ih.msg_len);
    ih.offset = uint32_t(kPeer);
    ih.aux0 = uint32_t(kPeer >> 32);
    ih.aux1 = status_or_gen;
    return ih;
}

Bytes probe_payload() {
    ips::ConnectPayload cp{};
    cp.pid = 1;
    cp.probe_addr = 0x1000;
    Bytes b(sizeof cp);
    std::memcpy(b.data(), &cp, sizeof cp);
    return b;
}

Bytes fill(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 13);
    return b;
}

// After a handshake (we are connection 0, the peer is `peer`), what a
// connected peer sends; `what` picks one conversation.
void conversation(Stream& s, uint32_t peer, int what) {
    uint32_t psn = 0;
    auto hdr = [&](uint32_t paylen) {
        ips::IpsHeader ih{};
        ih.src_conn = peer;
        ih.dst_conn = 0;
        ih.paylen = paylen;
        ih.tag[0] = 0x11;
        ih.tag[1] = 0x22;
        ih.tag[2] = 0x33;
        return ih;
    };
    switch (what) {
    case 0: {   // short eager messages, one out of order
        for (uint32_t len : {0u, 8u, 100u}) {
            auto ih = hdr(len);
            ih.msg_len = len;
            s.packet(wire(ips::kOpShort, psn++), ih, fill(len, uint8_t(len)));
        }
        auto ih = hdr(4);
        ih.msg_len = 4;
        s.packet(wire(ips::kOpShort, psn + 1), ih, fill(4, 9));
        s.packet(wire(ips::kOpShort, psn), ih, fill(4, 8));
        break;
    }
    case 1: {   // a multi-packet eager message of 3 fragments
        uint32_t total = 3000;
        for (uint32_t off = 0; off < total; off += 1000) {
            auto ih = hdr(1000);
            ih.msg_len = total;
            ih.offset = off;
            s.packet(wire(ips::kOpEager, psn++), ih, fill(1000, uint8_t(off)));
        }
        break;
    }
    case 2: {   // rendezvous: RTS, then data for the first window (TID 0, receive id 1)
        auto ih = hdr(0);
        ih.msg_len = 20000;
        ih.aux0 = 1;   // sender's id
        s.packet(wire(ips::kOpLongRts, psn++), ih, {});
        for (uint32_t off = 0; off < 20000; off += 8192) {
            uint32_t n = std::min(8192u, 20000 - off);
            auto d = hdr(n);
            d.aux0 = 1;
            d.aux1 = 1;   // receiver's id
            d.offset = off;
            auto wh = wire(ips::kOpExpTid, psn++);
            wh.tid = uint16_t(off / (64u << 10));
            wh.offset = uint16_t((off % (64u << 10)) / 64);
            s.packet(wh, d, fill(n, uint8_t(off >> 8)));
        }
        break;
    }
    case 3: {   // AM request with 2 arguments and 16 bytes, then an ack and a nak
        Bytes p = fill(2 * 8 + 16, 5);
        auto ih = hdr(uint32_t(p.size()));
        ih.aux0 = 3 | 2u << 16;
        ih.msg_len = 16;
        s.packet(wire(ips::kOpAmRequest, psn++), ih, p);
        auto ack = hdr(0);
        ack.ack_psn = 0;
        s.packet(wire(ips::kOpAck, 0), ack, {});
        s.packet(wire(ips::kOpNak, 0), ack, {});
        s.packet(wire(ips::kOpDisconnectReq, psn++), hdr(0), {});
        break;
    }
    case 4: {   // (active only) CTS windows for the harness's 200000-byte send, in both modes
        for (uint32_t reads : {0u, ips::kCtsReadsSender}) {
            auto ih = hdr(0);
            ih.aux0 = 1;               // the harness's send: the device's first rendezvous id
            ih.aux1 = 5;               // our receive id
            ih.offset = reads ? 65536 : 0;
            ih.msg_len = 65536;
            ih.tag[0] = 0;             // first TID
            ih.tag[1] = 1 | reads;     // TID count, reader bit
            ih.tag[2] = 200000;
            s.packet(wire(ips::kOpLongCts, psn++), ih, {});
        }
        auto ack = hdr(0);
        ack.ack_psn = 3;
        s.packet(wire(ips::kOpAck, 0), ack, {});
        ack.ack_psn = 1;
        s.packet(wire(ips::kOpNak, 0), ack, {});
        break;
    }
    }
}

void ips_seeds(hfi::Generation g) {
    uint8_t gen_bit = g == hfi::Generation::Gen2 ? 1 : 0;
    uint32_t gen = uint32_t(g);
    std::string tag = g == hfi::Generation::Gen2 ? "gen2" : "gen1";
    for (int what = 0; what < 4; ++what) {
        // Passive: the peer (its connection 7) connects to us.
        Stream s{g, {gen_bit}};
        s.packet(wire(ips::kOpConnectReq, 0), connect_header(7, ips::kNoConn, gen), probe_payload());
        conversation(s, 7, what);
        write("ips_device", tag + "_passive_" + std::to_string(what) + ".bin", s.b);
        // Active: we connect (connection 0), the peer (its 9) answers.
        Stream a{g, {uint8_t(gen_bit | 2)}};
        a.packet(wire(ips::kOpConnectRep, 0), connect_header(9, 0, ips::kConnOk), probe_payload());
        pause(a);
        conversation(a, 9, what);
        write("ips_device", tag + "_active_" + std::to_string(what) + ".bin", a.b);
    }
    Stream cts{g, {uint8_t(gen_bit | 2)}};
    cts.packet(wire(ips::kOpConnectRep, 0), connect_header(9, 0, ips::kConnOk), probe_payload());
    pause(cts);
    conversation(cts, 9, 4);
    write("ips_device", tag + "_active_cts.bin", cts.b);
    // Refusals: wrong uuid, wrong generation.
    Stream bad{g, {gen_bit}};
    auto ih = connect_header(7, ips::kNoConn, gen);
    ih.tag[0] ^= 1;
    bad.packet(wire(ips::kOpConnectReq, 0), ih, probe_payload());
    bad.packet(wire(ips::kOpConnectReq, 0), connect_header(7, ips::kNoConn, gen + 1), probe_payload());
    write("ips_device", tag + "_refused.bin", bad.b);
    for (uint32_t st : {ips::kConnBadUuid, ips::kConnBadGeneration}) {
        Stream r{g, {uint8_t(gen_bit | 2)}};
        r.packet(wire(ips::kOpConnectRep, 0), connect_header(9, 0, st), {});
        write("ips_device", tag + "_refused_reply_" + std::to_string(st) + ".bin", r.b);
    }
}

// ---- shm ring (fuzz_shm_ring input format) ----------------------------------

void shm_seeds() {
    using namespace psm::hal::shm;
    constexpr uint32_t kLines = 32;
    // Part 1 input: a ring image written by the real producer.
    for (int variant = 0; variant < 3; ++variant) {
        std::vector<Line> lines(kLines);
        RingShared shared{};
        uint64_t start = variant == 2 ? 28 : 0;   // 2: the Pad at the ring's end
        shared.consumer_head = start;
        RingProducer tx(lines.data(), kLines, &shared, start);
        auto put = [&](Kind k, uint32_t len, uint8_t nargs) {
            uint32_t n = lines_for(len);
            MsgHeader* h = tx.reserve(n);
            if (!h) return;
            h->len = len;
            h->kind = k;
            h->nargs = nargs;
            h->tag[0] = 0xabc;
            Bytes p = fill(len, uint8_t(len));
            std::memcpy(payload_of(h), p.data(), len);
            tx.publish(h, n);
        };
        put(Kind::Eager, 8, 0);
        put(Kind::Eager, variant == 1 ? 200 : 32, 0);
        put(Kind::Rts, 100000, 0);
        put(Kind::AmRequest, 3 * 8 + 10, 3);
        put(Kind::Cts, 32, 0);
        put(Kind::Data, 300, 0);
        put(Kind::Done, 16, 0);
        Bytes b{uint8_t(start), 0};
        auto* raw = reinterpret_cast<const uint8_t*>(lines.data());
        b.insert(b.end(), raw, raw + kLines * kLineBytes);
        write("shm_ring", "ring_" + std::to_string(variant) + ".bin", b);
    }
    // Part 2 input: a message list (kind, length, payload).
    Bytes list{0, 1};
    for (uint8_t k : {0, 1, 5, 6, 9}) {   // Eager, Rts, AmRequest, AmReply, Put (kind - 2)
        list.push_back(k | 0x20);
        list.push_back(40);
        list.push_back(0);
        Bytes p = fill(40, k);
        list.insert(list.end(), p.begin(), p.end());
    }
    write("shm_ring", "messages.bin", list);
}

// ---- environment and PSM2_DEVICES -------------------------------------------

void env_seeds() {
    write("env", "defaults.txt", std::string("PSM2_DEVICES=self,shm,hfi\nPSM2_ERRCHK_TIMEOUT=160:640:2\n"));
    write("env", "hfi_knobs.txt",
          std::string("PSM2_MTU=4096\nPSM2_FLOW_CREDITS=128\nPSM2_MQ_RNDV_HFI_THRESH=8192\n"
                      "PSM2_MQ_RNDV_HFI_WINDOW=262144\nPSM2_CONNECT_TIMEOUT=5\nPSM2_PEER_TIMEOUT=10\n"));
    write("env", "words.txt", std::string("PSM2_IDENTIFY=yes\nPSM2_TRACEMASK=0x7\nPSM2_KASSIST_MODE=none\n"
                                          "PSM2_MULTIRAIL=1\nPSM2_MULTIRAIL_MAP=0:1,1:1\n"));
    write("env", "errchk_edges.txt", std::string("PSM2_ERRCHK_TIMEOUT=1:1:1\nPSM2_MTU=-1\n"));
    write("devices", "default.txt", std::string("self,shm,hfi"));
    write("devices", "aliases.txt", std::string("amsh ips self"));
    write("devices", "mixed.txt", std::string("SHM:\tHFI,,bogus,self"));
    // PSM2_MULTIRAIL_MAP: [units][ports per unit] then the map.
    auto map = [](uint8_t units, uint8_t ports, const std::string& m) {
        Bytes b{uint8_t(units - 1), uint8_t(ports - 1)};
        b.insert(b.end(), m.begin(), m.end());
        return b;
    };
    write("rail_map", "two_units.bin", map(2, 1, "0:1,1:1"));
    write("rail_map", "any_port.bin", map(4, 2, "3,1:2,0"));
    write("rail_map", "same_unit_two_ports.bin", map(1, 2, "0:1,0:2"));
    write("rail_map", "bad_entries.bin", map(2, 1, "0:1,,x:1,1:9"));
}

// ---- regression inputs: what the fuzzers (or reading the decoders for
// them) found; each was a crash, an overrun, a hang or a broken invariant
// before its fix. Named regress_<what>.

void regressions() {
    using namespace psm::hal::shm;
    for (hfi::Generation g : {hfi::Generation::Gen1, hfi::Generation::Gen2}) {
        uint8_t gen_bit = g == hfi::Generation::Gen2 ? 1 : 0;
        std::string tag = g == hfi::Generation::Gen2 ? "gen2" : "gen1";
        // AM: nargs * 8 + msg_len wrapped around 2^32 and matched a short
        // packet, so the sink was handed a 4 GiB payload.
        Stream am{g, {gen_bit}};
        am.packet(wire(ips::kOpConnectReq, 0), connect_header(7, ips::kNoConn, uint32_t(g)), probe_payload());
        ips::IpsHeader ih{};
        ih.src_conn = 7;
        ih.dst_conn = 0;
        ih.aux0 = 3 | 2u << 16;         // 2 arguments = 16 bytes
        ih.msg_len = 0xfffffff0u;       // 16 + msg_len wraps to 0 = this packet's payload
        ih.paylen = 0;
        am.packet(wire(ips::kOpAmRequest, 0), ih, {});
        write("ips_device", "regress_" + tag + "_am_length_wraps.bin", am.b);
        // Multi-packet eager: the first fragment's msg_len (4 GiB - 1) was
        // allocated at once, before any byte of it arrived.
        Stream big{g, {gen_bit}};
        big.packet(wire(ips::kOpConnectReq, 0), connect_header(7, ips::kNoConn, uint32_t(g)), probe_payload());
        ips::IpsHeader e{};
        e.src_conn = 7;
        e.dst_conn = 0;
        e.paylen = 64;
        e.msg_len = 0xffffffffu;
        big.packet(wire(ips::kOpEager, 0), e, fill(64, 1));
        write("ips_device", "regress_" + tag + "_eager_huge_length.bin", big.b);
    }
    // shm: headers that do not fit the ring (each stopped the old consumer
    // badly: a Pad of 0 lines looped forever; a message running past the
    // ring's end had its lines cleared past the end; a length beyond the
    // message's lines was read past them).
    auto ring_with = [](uint16_t nlines, Kind kind, uint32_t len, uint8_t start) {
        Bytes b{start, 0};
        Bytes ring(32 * kLineBytes, 0);
        MsgHeader h{};
        h.nlines = nlines;
        h.kind = kind;
        h.len = len;
        std::memcpy(ring.data() + (start % 32) * kLineBytes, &h, sizeof h);
        b.insert(b.end(), ring.begin(), ring.end());
        return b;
    };
    write("shm_ring", "regress_pad_of_zero_lines.bin", ring_with(0, Kind::Pad, 0, 0));
    write("shm_ring", "regress_message_past_ring_end.bin", ring_with(8, Kind::Eager, 400, 28));
    write("shm_ring", "regress_length_past_lines.bin", ring_with(1, Kind::Eager, 4000, 0));
    write("shm_ring", "regress_am_args_past_length.bin", ring_with(1, Kind::AmRequest, 0, 0));
    // PSM2_ERRCHK_TIMEOUT: a factor of 2^32 became 0 (no backoff), and
    // milliseconds beyond 2^64 ns wrapped so that min > max.
    write("env", "regress_errchk_factor_wraps.txt", std::string("PSM2_ERRCHK_TIMEOUT=1:2:4294967296\n"));
    write("env", "regress_errchk_ms_wrap.txt",
          std::string("PSM2_ERRCHK_TIMEOUT=18446744073709:18446744073709551:2\n"));
    write("env", "regress_errchk_negative.txt", std::string("PSM2_ERRCHK_TIMEOUT=-5:-1:2\n"));
    // PSM2_CONNECT_TIMEOUT in seconds times 10^9 overflowed int64 (found by fuzz_env).
    write("env", "regress_connect_timeout_overflow.txt", std::string("PSM2_CONNECT_TIMEOUT=666666666666666000\n"));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_corpus OUT_DIR\n");
        return 2;
    }
    out_root = argv[1];
    header_seeds(hfi::Generation::Gen1, "gen1_header");
    header_seeds(hfi::Generation::Gen2, "gen2_header");
    ips_seeds(hfi::Generation::Gen1);
    ips_seeds(hfi::Generation::Gen2);
    shm_seeds();
    env_seeds();
    regressions();
    return 0;
}
