// Single-producer / single-consumer ring of cache lines living in shared
// memory (the receiver's segment). The two sides keep their positions in
// private memory; the only shared words are each message's `seq` (producer ->
// consumer) and the consumer's published head (consumer -> producer), which
// is written in batches so that the producer's cached copy stays valid for
// many messages. No syscalls, no locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

#include "hal/shm/message_check.h"
#include "hal/shm/wire.h"

namespace psm::hal::shm {

// Shared state of one ring, apart from the lines themselves.
struct RingShared {
    alignas(kLineBytes) uint64_t consumer_head;  // published by the consumer (atomic_ref)
};

inline uint64_t load_acquire(const uint64_t& w) {
    return std::atomic_ref<const uint64_t>(w).load(std::memory_order_acquire);
}
inline void store_release(uint64_t& w, uint64_t v) {
    std::atomic_ref<uint64_t>(w).store(v, std::memory_order_release);
}
inline void store_relaxed(uint64_t& w, uint64_t v) {
    std::atomic_ref<uint64_t>(w).store(v, std::memory_order_relaxed);
}

class RingProducer {
public:
    RingProducer() = default;
    // lines: power of two. tail = first position to write (0 for a new ring).
    RingProducer(Line* lines, uint32_t nlines, RingShared* shared, uint64_t tail)
        : lines_(lines), mask_(nlines - 1), shared_(shared), tail_(tail),
          cached_head_(load_acquire(shared->consumer_head)) {}

    bool valid() const { return lines_ != nullptr; }
    uint32_t capacity() const { return mask_ + 1; }

    // Room for a message of n lines (contiguous; may emit a Pad first).
    // Returns the header to fill, or nullptr when the ring is full now.
    MsgHeader* reserve(uint32_t n) {
        uint32_t idx = static_cast<uint32_t>(tail_) & mask_;
        uint32_t pad = (idx + n > capacity()) ? capacity() - idx : 0;
        uint64_t need = tail_ + pad + n;
        if (need - cached_head_ > capacity()) {
            cached_head_ = load_acquire(shared_->consumer_head);
            if (need - cached_head_ > capacity()) return nullptr;
        }
        if (pad) {
            auto* h = header_at(idx);
            h->kind = Kind::Pad;
            h->nlines = static_cast<uint16_t>(pad);
            h->len = 0;
            store_release(h->seq, tail_ + 1);
            tail_ += pad;
            idx = 0;
        }
        return header_at(idx);
    }

    // Make the message reserved last visible: its seq is the last store.
    void publish(MsgHeader* h, uint32_t n) {
        h->nlines = static_cast<uint16_t>(n);
        store_release(h->seq, tail_ + 1);
        tail_ += n;
    }

    uint64_t tail() const { return tail_; }

private:
    MsgHeader* header_at(uint32_t idx) { return reinterpret_cast<MsgHeader*>(&lines_[idx]); }

    Line* lines_ = nullptr;
    uint32_t mask_ = 0;
    RingShared* shared_ = nullptr;
    uint64_t tail_ = 0;
    uint64_t cached_head_ = 0;
};

class RingConsumer {
public:
    RingConsumer() = default;
    RingConsumer(Line* lines, uint32_t nlines, RingShared* shared, uint32_t publish_batch)
        : lines_(lines), mask_(nlines - 1), shared_(shared),
          head_(load_acquire(shared->consumer_head)), published_(head_),
          batch_(publish_batch) {}

    bool valid() const { return lines_ != nullptr; }

    // The next complete message, or nullptr. Pads are skipped here. A
    // header that does not describe a message inside the ring (see
    // message_check.h) stops this ring for good: broken() tells.
    const MsgHeader* peek() {
        for (;;) {
            uint32_t idx = static_cast<uint32_t>(head_) & mask_;
            auto* h = reinterpret_cast<MsgHeader*>(&lines_[idx]);
            if (broken_ || load_acquire(h->seq) != head_ + 1) return nullptr;
            if (!message_fits(*h, mask_ + 1 - idx)) {
                broken_ = true;
                return nullptr;
            }
            if (h->kind != Kind::Pad) return h;
            head_ += h->nlines;
        }
    }

    // The peer wrote a malformed message; nothing more is read from it.
    bool broken() const { return broken_; }

    // Done with the message peek() returned. Continuation lines carried user
    // bytes in their first word; zero it so that a later lap can never
    // mistake stale payload for a sequence flag.
    void release(const MsgHeader* h) {
        uint32_t n = h->nlines;
        uint32_t first = static_cast<uint32_t>(head_) & mask_;
        for (uint32_t i = 1; i < n; ++i)
            store_relaxed(*reinterpret_cast<uint64_t*>(&lines_[first + i]), 0);
        head_ += n;
        if (head_ - published_ >= batch_) publish_head();
    }

    // Make every consumed line reusable now (before disconnect, or when idle).
    void publish_head() {
        if (published_ == head_) return;
        store_release(shared_->consumer_head, head_);
        published_ = head_;
    }

    uint64_t head() const { return head_; }

private:
    Line* lines_ = nullptr;
    uint32_t mask_ = 0;
    RingShared* shared_ = nullptr;
    uint64_t head_ = 0;
    uint64_t published_ = 0;
    uint32_t batch_ = 1;
    bool broken_ = false;
};

}  // namespace psm::hal::shm
