#include "mq/sysbuf_pool.h"

#include <bit>
#include <new>

namespace psm::mq {

int SysbufPool::class_of(uint32_t len) {
    int shift = len <= (1u << kMinShift) ? kMinShift : std::bit_width(len - 1);
    return shift > kMaxShift ? -1 : shift - kMinShift;
}

SysbufPool::~SysbufPool() {
    for (auto& list : idle_)
        for (uint8_t* b : list) ::operator delete(b);
}

uint8_t* SysbufPool::acquire(uint32_t len, uint32_t* cap) {
    if (len == 0) {
        *cap = 0;
        return nullptr;
    }
    int c = class_of(len);
    uint32_t size = c < 0 ? len : (1u << (c + kMinShift));
    if (c >= 0 && !idle_[c].empty()) {
        uint8_t* b = idle_[c].back();
        idle_[c].pop_back();
        *cap = size;
        return b;
    }
    auto* b = static_cast<uint8_t*>(::operator new(size, std::nothrow));
    if (!b) return nullptr;
    ++allocated_num_;
    allocated_bytes_ += size;
    *cap = size;
    return b;
}

void SysbufPool::release(uint8_t* buf, uint32_t cap) {
    if (!buf) return;
    int c = class_of(cap);
    if (c >= 0 && (idle_[c].size() + 1) * cap <= kIdleBytesPerClass) {
        idle_[c].push_back(buf);
        return;
    }
    ::operator delete(buf);
}

}  // namespace psm::mq
