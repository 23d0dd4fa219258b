// Hash index of requests for one tag selector ("mask class"): every request
// in it is keyed by (user.tag & mask) and, for an index built "by source",
// also by user.peer (a posted receive's source filter, nullptr = any source).
// Entries are chained per bucket in insertion order. All requests that can
// match a given message under this selector (and source) share one bucket,
// so a lookup walks only that chain, never the whole queue.
//
// The table doubles when it holds more than two entries per bucket. Doubling
// splits each old bucket into two new ones; walking the old chain in order
// and appending keeps every chain in insertion order.
#pragma once

#include <cstddef>
#include <vector>

#include "mq/req_list.h"
#include "mq/tag.h"

namespace psm::mq {

class TagIndex {
public:
    void init(const Tag96& mask, int slot, bool by_source) {
        mask_ = mask;
        slot_ = slot;
        by_source_ = by_source;
        buckets_.assign(kInitialBuckets, ReqList{});
        count_ = 0;
    }

    const Tag96& mask() const { return mask_; }
    int slot() const { return slot_; }
    size_t count() const { return count_; }

    // src is ignored unless the index is built by source.
    ReqList& bucket(const Tag96& tag, const void* src = nullptr) {
        uint64_t h = tag_hash(tag, mask_);
        if (by_source_) h ^= (reinterpret_cast<uintptr_t>(src) >> 4) * 0xD6E8FEB86659FD93ull;
        return buckets_[(h ^ (h >> 29)) & (buckets_.size() - 1)];
    }

    void insert(psm2_mq_req* r) {
        bucket(req_tag(r), r->user.peer).push_back(r, slot_);
        if (++count_ > 2 * buckets_.size()) grow();
    }

    void remove(psm2_mq_req* r) {
        bucket(req_tag(r), r->user.peer).unlink(r, slot_);
        --count_;
    }

    // remove() for a caller that already holds r's bucket (no second hash).
    void remove_from(ReqList& chain, psm2_mq_req* r) {
        chain.unlink(r, slot_);
        --count_;
    }

private:
    static constexpr size_t kInitialBuckets = 64;

    void grow();

    Tag96 mask_{};
    int slot_ = 1;
    bool by_source_ = false;
    size_t count_ = 0;
    std::vector<ReqList> buckets_;
};

}  // namespace psm::mq
