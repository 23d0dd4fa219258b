// Fuzz target for how a shm receiver decodes its ring (hal/shm/ring.h and
// message_check.h): the lines are written by the peer process, so every
// header field is untrusted.
//
// Input: byte 0 = where the consumer starts (its head), byte 1 = mode, then
//  - part 1: raw bytes laid over the whole ring; the harness stamps each
//    header's sequence word as a live producer would (so the fuzzer spends
//    its effort on the other fields) and consumes like ShmDevice::drain():
//    peek, read the payload the header announces, release;
//  - part 2: the same bytes as a list of messages (kind, length, tag,
//    payload) sent through RingProducer exactly as ShmDevice sends them
//    (reserve, fill, publish, Pads at the ring's end), then consumed.
// Invariants: a message the consumer hands out lies inside the ring and its
// payload inside its lines (the ring is a heap block of exactly its size, so
// ASan sees any overrun); a malformed ring stops (broken()) instead of
// looping or overrunning; decode(encode(m)) == m for every message sent.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "fuzz_check.h"
#include "hal/shm/message_check.h"
#include "hal/shm/ring.h"

using namespace psm::hal::shm;

namespace {

constexpr uint32_t kRingLines = 32;

struct Ring {
    std::unique_ptr<Line[]> lines{new Line[kRingLines]()};
    RingShared shared{};
    Line* begin() { return lines.get(); }
    const unsigned char* lo() const { return lines[0].bytes; }
    const unsigned char* hi() const { return lines[kRingLines - 1].bytes + kLineBytes; }
};

// Reads what ShmDevice::dispatch() reads for this header; returns a checksum.
uint32_t read_like_dispatch(const MsgHeader& h, const Ring& r) {
    const unsigned char* p = payload_of(&h);
    uint32_t n = 0;
    switch (h.kind) {
    case Kind::Eager:
    case Kind::Data:
    case Kind::AmRequest:
    case Kind::AmReply:
        n = h.len;
        break;
    default:
        n = 32;   // a control body: the rest of line 0
        break;
    }
    FUZZ_CHECK(p >= r.lo() && p + n <= r.hi());
    FUZZ_CHECK(reinterpret_cast<const unsigned char*>(&h) + uint64_t(h.nlines) * kLineBytes <= r.hi());
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; ++i) sum += p[i];
    return sum;
}

void consume_raw(const uint8_t* data, size_t size, uint32_t start) {
    Ring r;
    std::memcpy(r.begin(), data, std::min<size_t>(size, sizeof(Line) * kRingLines));
    r.shared.consumer_head = start;
    RingConsumer rx(r.begin(), kRingLines, &r.shared, 4);
    uint64_t head = start;
    for (int step = 0; step < 4 * int(kRingLines); ++step) {
        // A live producer publishes the header at the consumer's position.
        auto* at = reinterpret_cast<MsgHeader*>(&r.begin()[head % kRingLines]);
        store_release(at->seq, head + 1);
        const MsgHeader* h = rx.peek();
        if (!h) {
            if (rx.broken()) return;
            // peek() skipped Pads and now waits for the next slot.
            FUZZ_CHECK(rx.head() > head);
            head = rx.head();
            continue;
        }
        FUZZ_CHECK(h->kind != Kind::Pad);
        FUZZ_CHECK(message_fits(*h, uint32_t(kRingLines - rx.head() % kRingLines)));
        read_like_dispatch(*h, r);
        rx.release(h);
        FUZZ_CHECK(rx.head() > head);
        head = rx.head();
    }
}

struct Sent {
    Kind kind;
    uint32_t len;
    uint8_t nargs;
    uint32_t tag0;
    std::vector<unsigned char> payload;
};

void round_trip(const uint8_t* data, size_t size) {
    Ring r;
    RingProducer tx(r.begin(), kRingLines, &r.shared, 0);
    RingConsumer rx(r.begin(), kRingLines, &r.shared, 1);
    std::vector<Sent> queue;
    size_t pos = 0;
    auto drain = [&] {
        size_t i = 0;
        while (const MsgHeader* h = rx.peek()) {
            FUZZ_CHECK(i < queue.size());
            const Sent& s = queue[i++];
            FUZZ_CHECK(h->kind == s.kind && h->len == s.len && h->nargs == s.nargs && h->tag[0] == s.tag0);
            FUZZ_CHECK(s.payload.empty() || std::memcmp(payload_of(h), s.payload.data(), s.payload.size()) == 0);
            read_like_dispatch(*h, r);
            rx.release(h);
        }
        FUZZ_CHECK(!rx.broken() && i == queue.size());
        rx.publish_head();
        queue.clear();
    };
    while (pos + 3 <= size) {
        // kind, length (payload kinds: up to what fits in the ring), tag.
        Kind kind = Kind(2 + data[pos] % 10);   // Eager..PutDone
        uint32_t max_payload = (kRingLines / 2) * uint32_t(kLineBytes) - uint32_t(kHeaderBytes);
        bool carries = kind == Kind::Eager || kind == Kind::Data || kind == Kind::AmRequest ||
                       kind == Kind::AmReply;
        uint32_t len = carries ? (data[pos + 1] | data[pos + 2] << 8) % (max_payload + 1) : 16;
        uint8_t nargs = 0;
        if (kind == Kind::AmRequest || kind == Kind::AmReply) {
            nargs = uint8_t(std::min<uint32_t>(data[pos] >> 4 & 7, len / 8) + 0);
        }
        pos += 3;
        Sent s{kind, len, nargs, uint32_t(pos), {}};
        uint32_t body = std::min<size_t>(len, size - pos);
        s.payload.assign(data + pos, data + pos + body);
        pos += body;
        uint32_t n = lines_for(len);
        MsgHeader* h = tx.reserve(n);
        if (!h) {
            drain();
            h = tx.reserve(n);
            FUZZ_CHECK(h != nullptr);   // an empty ring takes any message up to half its size
        }
        h->len = len;
        h->kind = kind;
        h->nargs = nargs;
        h->tag[0] = s.tag0;
        if (!s.payload.empty()) std::memcpy(payload_of(h), s.payload.data(), s.payload.size());
        tx.publish(h, n);
        queue.push_back(std::move(s));
    }
    drain();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    uint32_t start = data[0];
    consume_raw(data + 2, size - 2, start);
    if (data[1] & 1) round_trip(data + 2, size - 2);
    return 0;
}
