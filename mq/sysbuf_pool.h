// Buffers for the payload of unexpected eager messages, pooled by power-of-two
// size class so that a steady stream of unexpected messages recycles memory
// instead of calling malloc per message. Very large buffers (above the last
// class) go straight to the allocator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace psm::mq {

class SysbufPool {
public:
    SysbufPool() = default;
    ~SysbufPool();
    SysbufPool(const SysbufPool&) = delete;
    SysbufPool& operator=(const SysbufPool&) = delete;

    // At least len bytes (len may be 0: returns nullptr, cap 0). *cap gets the
    // usable size to pass back to release().
    uint8_t* acquire(uint32_t len, uint32_t* cap);
    void release(uint8_t* buf, uint32_t cap);

    // Buffers obtained from the system allocator so far (for psm2_mq_stats).
    uint64_t allocated_num() const { return allocated_num_; }
    uint64_t allocated_bytes() const { return allocated_bytes_; }

private:
    static constexpr int kMinShift = 6;    // 64 B
    static constexpr int kMaxShift = 22;   // 4 MiB
    static constexpr int kClasses = kMaxShift - kMinShift + 1;
    // Keep at most this many idle bytes per class; the rest goes back.
    static constexpr size_t kIdleBytesPerClass = size_t(16) << 20;

    static int class_of(uint32_t len);

    std::vector<uint8_t*> idle_[kClasses];
    uint64_t allocated_num_ = 0;
    uint64_t allocated_bytes_ = 0;
};

}  // namespace psm::mq
