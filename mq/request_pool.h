// Requests come from per-engine chunks (never one malloc per message): a LIFO
// free list over chunks that double in size. Chunks stay mapped until the
// engine is destroyed, so a freed request keeps its magic and state and a
// stale or double-freed handle is recognised instead of being undefined
// behaviour. A process-wide registry of chunk ranges lets the C API reject a
// pointer that never came from any pool before reading through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "mq/req_list.h"

namespace psm::mq {

class RequestPool {
public:
    explicit RequestPool(Engine* owner) : owner_(owner) {}
    ~RequestPool();
    RequestPool(const RequestPool&) = delete;
    RequestPool& operator=(const RequestPool&) = delete;

    // A zeroed request in state Free with a new generation; the caller sets
    // kind and state. nullptr only when memory is exhausted.
    psm2_mq_req* alloc() {
        if (free_.empty() && !add_chunk()) return nullptr;
        psm2_mq_req* r = free_.pop_front(kMainSlot);
        // Reset what a new request relies on; links are set by every list
        // insertion and seq/token by whoever needs them.
        r->user = psm2_mq_req_user{};
        r->sysbuf = nullptr;
        r->sysbuf_cap = 0;
        r->mask_class = -1;
        r->rndv = false;
        r->internal = false;
        r->peer_lost = false;
        ++r->generation;
        ++live_;
        return r;
    }

    void release(psm2_mq_req* r) {
        r->state = ReqState::Free;
        free_.push_back(r, kMainSlot);
        --live_;
    }

    size_t live() const { return live_; }

    // Every slot, free or not (teardown only).
    template <class F>
    void for_each_slot(F&& f) {
        for (Chunk& c : chunks_)
            for (size_t i = 0; i < c.count; ++i) f(&c.slots[i]);
    }

    // Which pool a pointer belongs to: the engine owning it, or nullptr when
    // p is not the address of a request slot of any live pool. Arithmetic
    // only, p is never read. The chunk of the last hit is tried first (one
    // range compare: requests of a busy engine come from a chunk or two),
    // then the sorted registry.
    static Engine* owner_of(const void* p) {
        const uintptr_t off = reinterpret_cast<uintptr_t>(p) - hot_.begin;
        if (off < hot_.end - hot_.begin && off % sizeof(psm2_mq_req) == 0) [[likely]]
            return hot_.owner;
        return owner_of_slow(p);
    }

    // One chunk's address range (registry entry).
    struct Range {
        uintptr_t begin;
        uintptr_t end;
        Engine* owner;
    };

private:
    bool add_chunk();
    static Engine* owner_of_slow(const void* p);

    // Last chunk owner_of found; like the registry, read and written under
    // the API lock only. Cleared when its pool goes away.
    static inline Range hot_{0, 0, nullptr};

    struct Chunk {
        std::unique_ptr<psm2_mq_req[]> slots;
        size_t count;
    };
    Engine* owner_;
    std::vector<Chunk> chunks_;
    ReqList free_;
    size_t live_ = 0;
};

}  // namespace psm::mq
