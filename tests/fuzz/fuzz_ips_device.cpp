// Fuzz target for the reliable protocol's receive side (hal/ips): the IPS
// header after KDETH, the connect handshake (request and reply, uuid and
// generation checks, the CMA probe payload) and everything a connected peer
// can send (eager, multi-packet eager, RTS/CTS/data, acks, naks, AM,
// disconnect). The packets come from the input through a fake HFI context,
// so a whole IpsDevice runs without any fabric.
//
// Input: byte 0 = mode (bit 0: gen2, bit 1: first call connect() toward
// kPeerEpid, so that the packets answer an active handshake; once connected
// the harness sends a rendezvous and a multi-packet eager message, so CTS,
// acks and naks have something to act on), then packets as [u16 header
// bytes][u16 payload bytes][header][payload] until the input ends; a header
// of 0 bytes is a pause (the queue looks empty until the next progress). Every header and payload lies in a buffer of exactly its size, so
// ASan reports any read past what the "wire" delivered.
//
// Invariants beyond "no crash, no leak, no hang": what reaches the sink lies
// inside the packet that carried it or inside the device's own copy;
// everything the device sends is a well-formed packet of its generation with
// a payload no larger than the MTU; a TID target is never written past the
// receive buffer the sink handed to pull().
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "fuzz_check.h"
#include "psm2_am.h"
#include "hal/device.h"
#include "hal/hfi/context.h"
#include "hal/ips/epid.h"
#include "hal/ips/ips_device_impl.h"
#include "hal/ips/packet.h"

using namespace psm::hal;
using namespace psm::hal::hfi;
using namespace psm::hal::ips;

namespace {

constexpr uint32_t kMaxPacketHeader = 128;
constexpr uint32_t kRecvBufferCap = 256u << 10;   // a pulled message lands in at most this much
const psm2_epid_t kPeerEpid = make_epid(2, 1, 0);

struct Packet {
    std::vector<uint8_t> hdr, payload;
};

// Packets the device sent, decoded; the harness answers them with one
// cumulative ack per connection at the end (so that the device's close does
// not wait for acks that would never come).
struct Sent {
    uint32_t src_conn, dst_conn, psn;
    uint8_t opcode;
};

class FuzzContext final : public Context {
public:
    FuzzContext(Generation g, std::vector<Packet>* in) : in_(in) {
        info_.gen = g;
        info_.lid = 1;
        info_.context = 3;
        info_.mtu = generation_info(g).default_mtu;
        info_.egr_count = 64;
        info_.egr_size = info_.mtu + 64;
        info_.tid_count = 64;
        info_.tid_max_bytes = 64u << 10;
        info_.jkey = 0x1234;   // the job key the seeds' packets carry (make_corpus.cpp)
    }
    const ContextInfo& info() const override { return info_; }

    psm2_error_t send(const Route&, const uint8_t* hdr, uint32_t hdr_len, const void* payload,
                      uint32_t len) override {
        const GenerationInfo& g = generation_info(info_.gen);
        FUZZ_CHECK(hdr_len == g.header_bytes + sizeof(IpsHeader));
        FUZZ_CHECK(len <= info_.mtu);
        FUZZ_CHECK(len == 0 || payload != nullptr);
        WireHeader wh;
        FUZZ_CHECK(g.decode(hdr, &wh));
        IpsHeader ih;
        std::memcpy(&ih, hdr + g.header_bytes, sizeof ih);
        FUZZ_CHECK(ih.paylen == len);
        if (len) sink_bytes_ ^= static_cast<const uint8_t*>(payload)[len - 1];   // readable
        sent.push_back({ih.src_conn, ih.dst_conn, wh.psn, wh.opcode});
        return PSM2_OK;
    }
    bool peek(RecvPacket* out) override {
        if (next_ >= in_->size()) return false;
        Packet& p = (*in_)[next_];
        if (p.hdr.empty()) return false;   // a pause: the harness acts, then resume()
        *out = RecvPacket{};
        out->hdr = p.hdr.data();
        out->hdr_len = uint32_t(p.hdr.size());
        out->payload = p.payload.empty() ? nullptr : p.payload.data();
        out->payload_len = uint32_t(p.payload.size());
        return true;
    }
    void release() override { ++next_; }
    void resume() {
        if (next_ < in_->size() && (*in_)[next_].hdr.empty()) ++next_;
    }

    psm2_error_t tid_program(void* buf, uint32_t len, uint32_t* tid, uint32_t* count) override {
        uint32_t n = (len + info_.tid_max_bytes - 1) / info_.tid_max_bytes;
        if (n == 0) n = 1;
        for (uint32_t first = 0; first + n <= info_.tid_count; ++first) {
            bool free = true;
            for (uint32_t i = 0; i < n; ++i) free = free && !tids_[first + i].buf;
            if (!free) continue;
            for (uint32_t i = 0; i < n; ++i) {
                uint32_t off = i * info_.tid_max_bytes;
                tids_[first + i] = {static_cast<uint8_t*>(buf) + off, std::min(len - off, info_.tid_max_bytes)};
            }
            *tid = first;
            *count = n;
            return PSM2_OK;
        }
        return PSM2_EP_NO_RESOURCES;
    }
    void tid_free(uint32_t tid, uint32_t count) override {
        FUZZ_CHECK(uint64_t(tid) + count <= info_.tid_count);
        for (uint32_t i = 0; i < count; ++i) {
            FUZZ_CHECK(tids_[tid + i].buf != nullptr);   // freed twice or never programmed
            tids_[tid + i] = {};
        }
    }
    void* tid_target(uint32_t tid, uint32_t offset, uint32_t len) override {
        // Consecutive entries of one programming cover one contiguous buffer.
        if (tid >= info_.tid_count || !tids_[tid].buf) return nullptr;
        uint64_t end = uint64_t(offset) + len;
        uint64_t room = 0;
        for (uint32_t t = tid; t < info_.tid_count && tids_[t].buf; ++t) {
            if (tids_[t].buf != tids_[tid].buf + room) break;
            room += tids_[t].len;
        }
        return end <= room ? tids_[tid].buf + offset : nullptr;
    }
    bool peer_alive(const Route&) override { return true; }
    ~FuzzContext() override {
        for (auto& t : tids_) FUZZ_CHECK(t.buf == nullptr);   // the device freed its TID entries
    }

    std::vector<Sent> sent;

private:
    struct Tid {
        uint8_t* buf = nullptr;
        uint32_t len = 0;
    };
    ContextInfo info_;
    std::vector<Packet>* in_;
    size_t next_ = 0;
    Tid tids_[64];
    uint8_t sink_bytes_ = 0;
};

// Accepts everything, pulls every rendezvous into a buffer of its own.
struct FuzzSink final : Sink {
    Device* dev = nullptr;
    const std::vector<Packet>* in = nullptr;
    std::vector<std::unique_ptr<std::vector<uint8_t>>> buffers;
    uint64_t touched = 0;

    void touch(const void* p, uint32_t len) {
        // Every byte handed up must be readable (ASan checks the range).
        auto* b = static_cast<const uint8_t*>(p);
        if (len) touched += b[0] + b[len - 1];
        for (uint32_t i = 0; i < len; i += 64) touched += b[i];
    }
    void on_eager(Conn&, const Tag96&, const void* p, uint32_t len) override {
        FUZZ_CHECK(len == 0 || p != nullptr);
        touch(p, len);
    }
    void on_rts(Conn& from, const Tag96&, uint32_t len, const RndvToken& t) override {
        uint32_t want = std::min(len, kRecvBufferCap);
        buffers.push_back(std::make_unique<std::vector<uint8_t>>(want));
        dev->pull(from, t, buffers.back()->data(), want, buffers.size());
    }
    void on_pull_done(uint64_t cookie, psm2_error_t) override {
        FUZZ_CHECK(cookie >= 1 && cookie <= buffers.size());
    }
    void on_send_done(uint64_t, psm2_error_t) override {}
    void on_am(Conn&, const AmPacket& pkt) override {
        FUZZ_CHECK(pkt.nargs <= 8);
        touch(pkt.args, pkt.nargs * uint32_t(sizeof(psm2_amarg_t)));
        touch(pkt.payload, pkt.len);
    }
    void on_am_done(uint64_t) override {}
    void on_peer_lost(Conn&, psm2_error_t) override {}
};

std::vector<Packet> split_packets(const uint8_t* data, size_t size) {
    std::vector<Packet> out;
    size_t pos = 0;
    while (pos + 4 <= size && out.size() < 64) {
        uint32_t hl = (data[pos] | data[pos + 1] << 8) % (kMaxPacketHeader + 1);
        uint32_t pl = data[pos + 2] | data[pos + 3] << 8;
        pos += 4;
        hl = uint32_t(std::min<size_t>(hl, size - pos));
        Packet p;
        p.hdr.assign(data + pos, data + pos + hl);
        pos += hl;
        pl = uint32_t(std::min<size_t>(pl, size - pos));
        p.payload.assign(data + pos, data + pos + pl);
        pos += pl;
        out.push_back(std::move(p));
    }
    return out;
}

// One cumulative ack per connection the device sent sequenced packets on.
void ack_everything(Generation g, const std::vector<Sent>& sent, std::vector<Packet>* in) {
    const GenerationInfo& gi = generation_info(g);
    for (size_t i = 0; i < sent.size(); ++i) {
        const Sent& s = sent[i];
        bool last_of_conn = true;
        for (size_t j = i + 1; j < sent.size(); ++j)
            if (sent[j].src_conn == s.src_conn && sent[j].dst_conn == s.dst_conn) last_of_conn = false;
        if (!last_of_conn || s.opcode == kOpConnectReq || s.opcode == kOpConnectRep) continue;
        WireHeader wh;
        wh.dlid = 1;
        wh.slid = 2;
        wh.opcode = kOpAck;
        wh.context = 3;
        wh.bthqp = 0x80;
        IpsHeader ih{};
        ih.src_conn = s.dst_conn;
        ih.dst_conn = s.src_conn;
        ih.ack_psn = (s.psn + 1) & kPsnMask;
        Packet p;
        p.hdr.resize(gi.header_bytes + sizeof ih);
        gi.encode(wh, sizeof ih, p.hdr.data());
        std::memcpy(p.hdr.data() + gi.header_bytes, &ih, sizeof ih);
        in->push_back(std::move(p));
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // The handshake's memory probe reads another process's memory with
    // process_vm_readv at an address from the packet: harmless, but it would
    // make the outcome depend on which pids exist on the machine.
    setenv("PSM2_KASSIST_MODE", "none", 1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    Generation g = data[0] & 1 ? Generation::Gen2 : Generation::Gen1;
    bool connect_first = data[0] & 2;
    std::vector<Packet> packets = split_packets(data + 1, size - 1);
    {
        FuzzSink sink;
        sink.in = &packets;
        auto owned = std::make_unique<FuzzContext>(g, &packets);
        FuzzContext* ctx = owned.get();
        OpenParams p;
        p.sink = &sink;
        std::memset(p.uuid, 7, sizeof p.uuid);
        Settings s;
        s.mtu = ctx->info().mtu;
        s.rndv_window = 64u << 10;
        // A peer that stops answering is lost after 2 ms (the input is all it
        // ever says), so closing never waits long for acks that cannot come.
        s.peer_timeout_ns = 2'000'000;
        s.timer.min_ns = 500'000;
        s.timer.max_ns = 1'000'000;
        auto dev = std::make_unique<IpsDevice>(p, std::move(owned), s);
        sink.dev = dev.get();
        // Sender-side state for the peer's CTS, acks and naks to act on.
        std::vector<uint8_t> big(200000, 0x5a), small(20000, 0xa5);
        if (connect_first) {
            Conn* c = nullptr;
            // 1 ms: the input is all the peer will ever say.
            if (dev->connect(kPeerEpid, 1'000'000, &c) == PSM2_OK) {
                Tag96 tag{{1, 2, 3}};
                dev->send_rts(*c, tag, big.data(), uint32_t(big.size()), 77);
                dev->send_eager(*c, tag, small.data(), uint32_t(small.size()));
            }
        }
        for (int i = 0; i < 8; ++i) {
            ctx->resume();
            dev->progress();
        }
        ack_everything(g, ctx->sent, &packets);
        for (int i = 0; i < 8; ++i) {
            ctx->resume();
            dev->progress();
        }
        dev.reset();   // ~FuzzContext checks every TID entry came back
    }
    return 0;
}
