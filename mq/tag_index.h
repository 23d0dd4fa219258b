// Hash index of requests for one tag selector ("mask class"): every request
// in it is keyed by (user.tag & mask), chained per bucket in insertion order.
// All requests that can match a given message under this selector share one
// bucket, so a lookup walks only that chain (entries with the same masked tag
// plus the rare collision), never the whole queue.
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
    void init(const Tag96& mask, int slot) {
        mask_ = mask;
        slot_ = slot;
        buckets_.assign(kInitialBuckets, ReqList{});
        count_ = 0;
    }

    const Tag96& mask() const { return mask_; }
    int slot() const { return slot_; }
    size_t count() const { return count_; }

    ReqList& bucket(const Tag96& tag) { return buckets_[tag_hash(tag, mask_) & (buckets_.size() - 1)]; }

    void insert(psm2_mq_req* r) {
        bucket(req_tag(r)).push_back(r, slot_);
        if (++count_ > 2 * buckets_.size()) grow();
    }

    void remove(psm2_mq_req* r) {
        bucket(req_tag(r)).unlink(r, slot_);
        --count_;
    }

private:
    static constexpr size_t kInitialBuckets = 64;

    void grow();

    Tag96 mask_{};
    int slot_ = 1;
    size_t count_ = 0;
    std::vector<ReqList> buckets_;
};

}  // namespace psm::mq
