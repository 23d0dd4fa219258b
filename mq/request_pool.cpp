#include "mq/request_pool.h"

#include <algorithm>
#include <new>

namespace psm::mq {

namespace {

// Sorted by begin; looked up on every test/wait. Guarded by the API lock
// like the rest of the engine (engines are created and destroyed inside
// psm2_ep_open / psm2_ep_close), so no lock of its own on this path.
struct Registry {
    std::vector<RequestPool::Range> ranges;
};

Registry& registry() {
    static Registry* r = new Registry;   // never destroyed: pools may outlive static teardown
    return *r;
}

constexpr size_t kFirstChunk = 256;
constexpr size_t kMaxChunk = 16384;

}  // namespace

RequestPool::~RequestPool() {
    Registry& reg = registry();
    std::erase_if(reg.ranges, [this](const Range& r) { return r.owner == owner_; });
    if (hot_.owner == owner_) hot_ = Range{0, 0, nullptr};
}

bool RequestPool::add_chunk() {
    size_t n = chunks_.empty() ? kFirstChunk : std::min(chunks_.back().count * 2, kMaxChunk);
    std::unique_ptr<psm2_mq_req[]> slots(new (std::nothrow) psm2_mq_req[n]);
    if (!slots) return false;
    for (size_t i = 0; i < n; ++i) {
        slots[i].engine = owner_;
        free_.push_back(&slots[i], kMainSlot);
    }
    Range range{reinterpret_cast<uintptr_t>(&slots[0]), reinterpret_cast<uintptr_t>(&slots[0] + n), owner_};
    {
        Registry& reg = registry();
        auto pos = std::lower_bound(reg.ranges.begin(), reg.ranges.end(), range.begin,
                                    [](const Range& r, uintptr_t b) { return r.begin < b; });
        reg.ranges.insert(pos, range);
    }
    chunks_.push_back(Chunk{std::move(slots), n});
    return true;
}

Engine* RequestPool::owner_of_slow(const void* p) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    Registry& reg = registry();
    auto it = std::upper_bound(reg.ranges.begin(), reg.ranges.end(), a,
                               [](uintptr_t x, const Range& r) { return x < r.begin; });
    if (it == reg.ranges.begin()) return nullptr;
    --it;
    if (a >= it->end || (a - it->begin) % sizeof(psm2_mq_req) != 0) return nullptr;
    hot_ = *it;
    return it->owner;
}

}  // namespace psm::mq
