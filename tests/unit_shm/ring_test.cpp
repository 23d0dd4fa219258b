// SPSC ring semantics: order, wrap with padding, full, batched head
// publication, stale-payload safety, and a two-thread stress run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "hal/shm/ring.h"

using namespace psm::hal::shm;

namespace {

struct RingMem {
    explicit RingMem(uint32_t n) : lines(n), shared{} {}
    std::vector<Line> lines;
    RingShared shared;
};

MsgHeader* send(RingProducer& p, uint32_t tag, const void* data, uint32_t len) {
    MsgHeader* h = p.reserve(lines_for(len));
    if (!h) return nullptr;
    h->kind = Kind::Eager;
    h->len = len;
    h->tag[0] = tag;
    std::memcpy(payload_of(h), data, len);
    p.publish(h, lines_for(len));
    return h;
}

}  // namespace

TEST(ShmRing, EightByteMessageIsOneLine) {
    EXPECT_EQ(lines_for(0), 1u);
    EXPECT_EQ(lines_for(8), 1u);
    EXPECT_EQ(lines_for(kInlineBytes), 1u);
    EXPECT_EQ(lines_for(kInlineBytes + 1), 2u);
    EXPECT_EQ(sizeof(Line), 64u);
}

TEST(ShmRing, DeliversInOrderWithPayload) {
    RingMem m(64);
    RingProducer p(m.lines.data(), 64, &m.shared, 0);
    RingConsumer c(m.lines.data(), 64, &m.shared, 8);
    EXPECT_EQ(c.peek(), nullptr);
    uint64_t a = 0x1122334455667788ULL;
    char big[200];
    for (int i = 0; i < 200; ++i) big[i] = static_cast<char>(i);
    ASSERT_NE(send(p, 1, &a, 8), nullptr);
    ASSERT_NE(send(p, 2, big, 200), nullptr);
    const MsgHeader* h = c.peek();
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->tag[0], 1u);
    EXPECT_EQ(h->len, 8u);
    EXPECT_EQ(std::memcmp(payload_of(h), &a, 8), 0);
    c.release(h);
    h = c.peek();
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->tag[0], 2u);
    EXPECT_EQ(h->nlines, lines_for(200));
    EXPECT_EQ(std::memcmp(payload_of(h), big, 200), 0);
    c.release(h);
    EXPECT_EQ(c.peek(), nullptr);
}

TEST(ShmRing, FullUntilConsumerPublishes) {
    RingMem m(16);
    RingProducer p(m.lines.data(), 16, &m.shared, 0);
    RingConsumer c(m.lines.data(), 16, &m.shared, 4);
    uint64_t v = 0;
    int sent = 0;
    while (send(p, sent, &v, 8)) ++sent;
    EXPECT_EQ(sent, 16);
    // Three consumed lines are below the batch of four: not yet visible.
    for (int i = 0; i < 3; ++i) c.release(c.peek());
    EXPECT_EQ(send(p, 99, &v, 8), nullptr);
    c.release(c.peek());   // fourth: batch published
    for (int i = 0; i < 4; ++i) EXPECT_NE(send(p, 100 + i, &v, 8), nullptr) << i;
    EXPECT_EQ(send(p, 200, &v, 8), nullptr);
    // publish_head() releases everything consumed so far, batch or not.
    c.release(c.peek());
    EXPECT_EQ(send(p, 201, &v, 8), nullptr);
    c.publish_head();
    EXPECT_NE(send(p, 202, &v, 8), nullptr);
}

TEST(ShmRing, WrapsWithPadAndKeepsMessagesContiguous) {
    RingMem m(16);
    RingProducer p(m.lines.data(), 16, &m.shared, 0);
    RingConsumer c(m.lines.data(), 16, &m.shared, 1);
    std::vector<unsigned char> five(kInlineBytes + 4 * 64);   // exactly 5 lines
    ASSERT_EQ(lines_for(five.size()), 5u);
    for (int round = 0; round < 40; ++round) {
        for (size_t i = 0; i < five.size(); ++i) five[i] = static_cast<unsigned char>(round + i);
        ASSERT_NE(send(p, round, five.data(), five.size()), nullptr) << round;
        const MsgHeader* h = c.peek();
        ASSERT_NE(h, nullptr);
        EXPECT_EQ(h->tag[0], static_cast<uint32_t>(round));
        // The whole payload is contiguous inside the ring array.
        const auto* end = reinterpret_cast<const unsigned char*>(h) + kHeaderBytes + five.size();
        EXPECT_LE(end, reinterpret_cast<const unsigned char*>(m.lines.data() + 16));
        EXPECT_EQ(std::memcmp(payload_of(h), five.data(), five.size()), 0);
        c.release(h);
    }
    EXPECT_GT(p.tail(), 40u * 5);   // pads were inserted
}

TEST(ShmRing, StalePayloadNeverLooksLikeAMessage) {
    // A payload whose continuation line starts with exactly the sequence value
    // that position will expect on the next lap.
    constexpr uint32_t N = 8;
    RingMem m(N);
    RingProducer p(m.lines.data(), N, &m.shared, 0);
    RingConsumer c(m.lines.data(), N, &m.shared, 1);
    std::vector<unsigned char> two(kInlineBytes + 64, 0);
    uint64_t next_lap_seq = N + 1 + 1;   // position N+1 -> seq N+2
    std::memcpy(two.data() + kInlineBytes, &next_lap_seq, 8);
    ASSERT_NE(send(p, 1, two.data(), two.size()), nullptr);   // lines 0-1
    c.release(c.peek());
    // Fill up to the end of the first lap with one-line messages (lines 2..7),
    // then one message at position N (line 0).
    uint64_t v = 0;
    for (uint32_t i = 2; i <= N; ++i) {
        ASSERT_NE(send(p, 10 + i, &v, 8), nullptr);
        const MsgHeader* h = c.peek();
        ASSERT_NE(h, nullptr);
        c.release(h);
    }
    // Position N+1 (line 1) held user bytes equal to its next expected seq.
    EXPECT_EQ(c.peek(), nullptr);
}

TEST(ShmRing, TwoThreadStress) {
    constexpr uint32_t N = 256;
    constexpr uint32_t kMessages = 200000;
    RingMem m(N);
    RingProducer p(m.lines.data(), N, &m.shared, 0);
    RingConsumer c(m.lines.data(), N, &m.shared, 32);
    std::thread producer([&] {
        std::vector<unsigned char> buf(600);
        for (uint32_t i = 0; i < kMessages; ++i) {
            uint32_t len = (i * 37) % 600;
            for (uint32_t k = 0; k < len; ++k) buf[k] = static_cast<unsigned char>(i + k);
            while (!send(p, i, buf.data(), len)) std::this_thread::yield();
        }
    });
    uint32_t errors = 0;
    for (uint32_t i = 0; i < kMessages; ++i) {
        const MsgHeader* h;
        while (!(h = c.peek())) std::this_thread::yield();
        uint32_t len = (i * 37) % 600;
        if (h->tag[0] != i || h->len != len) ++errors;
        for (uint32_t k = 0; k < h->len && k < len; ++k)
            if (payload_of(h)[k] != static_cast<unsigned char>(i + k)) {
                ++errors;
                break;
            }
        c.release(h);
    }
    producer.join();
    EXPECT_EQ(errors, 0u);
    EXPECT_EQ(c.peek(), nullptr);
}
