#include "mq/match_queues.h"

namespace psm::mq {

namespace {

// A selector of all zeros matches everything; hashing it would put every
// entry into one bucket, so such receives stay in the plain list.
bool worth_indexing(const Tag96& mask) { return !tag_is_zero(mask); }

}  // namespace

// ---- posted receives -------------------------------------------------------

int PostedQueue::class_for(const Tag96& mask) {
    if (!worth_indexing(mask)) return -1;
    for (int c = 0; c < nclasses_; ++c)
        if (tag_equal(classes_[c].mask(), mask)) return c;
    if (nclasses_ < kMaskClasses) {
        classes_[nclasses_].init(mask, class_slot(nclasses_), /*by_source=*/true);
        return nclasses_++;
    }
    // All classes taken: recycle one that is empty right now.
    for (int c = 0; c < nclasses_; ++c) {
        if (classes_[c].count() == 0) {
            classes_[c].init(mask, class_slot(c), /*by_source=*/true);
            return c;
        }
    }
    return -1;
}

void PostedQueue::post(psm2_mq_req* r) {
    r->seq = next_seq_++;
    int c = class_for(req_tagsel(r));
    r->mask_class = static_cast<int8_t>(c);
    if (c >= 0) classes_[c].insert(r);
    else wildcard_.push_back(r, kMainSlot);
    ++size_;
}

void PostedQueue::remove(psm2_mq_req* r) {
    if (r->mask_class >= 0) classes_[r->mask_class].remove(r);
    else wildcard_.unlink(r, kMainSlot);
    --size_;
}

psm2_mq_req* PostedQueue::take_match(psm2_epaddr_t src, const Tag96& tag) {
    if (size_ == 0) return nullptr;
    psm2_mq_req* best = nullptr;
    ReqList* best_chain = nullptr;   // bucket holding best (nullptr: wildcard list)
    int best_class = -1;
    // Per class: the oldest receive for exactly this source, and the oldest
    // any-source receive; each sits first among its kind in its own bucket
    // (chains are in post order), whatever else shares the bucket.
    auto oldest_in = [&](ReqList& chain, int slot, const Tag96& mask, psm2_epaddr_t want) {
        for (psm2_mq_req* r = chain.head; r; r = ReqList::next(r, slot))
            if (r->user.peer == want && tag_matches(tag, req_tag(r), mask)) return r;
        return static_cast<psm2_mq_req*>(nullptr);
    };
    auto consider = [&](ReqList& chain, int c, psm2_epaddr_t want) {
        psm2_mq_req* r = oldest_in(chain, classes_[c].slot(), classes_[c].mask(), want);
        if (r && (!best || r->seq < best->seq)) {
            best = r;
            best_chain = &chain;
            best_class = c;
        }
    };
    for (int c = 0; c < nclasses_; ++c) {
        TagIndex& idx = classes_[c];
        if (idx.count() == 0) continue;
        if (src) consider(idx.bucket(tag, src), c, src);
        consider(idx.bucket(tag, nullptr), c, nullptr);
    }
    for (psm2_mq_req* r = wildcard_.head; r; r = ReqList::next(r, kMainSlot)) {
        if (best && r->seq > best->seq) break;
        if (tag_matches(tag, req_tag(r), req_tagsel(r)) && source_matches(r, src)) {
            best = r;
            best_chain = nullptr;
            break;
        }
    }
    if (!best) return nullptr;
    // Unlinked from the bucket the search found it in: no second hash.
    if (best_chain) classes_[best_class].remove_from(*best_chain, best);
    else wildcard_.unlink(best, kMainSlot);
    --size_;
    return best;
}

// ---- unexpected messages ---------------------------------------------------

int UnexpectedQueue::class_for(const Tag96& mask) {
    if (!worth_indexing(mask)) return -1;
    for (int c = 0; c < nclasses_; ++c)
        if (tag_equal(classes_[c].mask(), mask)) return c;
    if (nclasses_ == kMaskClasses) return -1;
    // A new selector: index the messages already waiting, in arrival order.
    TagIndex& idx = classes_[nclasses_];
    idx.init(mask, class_slot(nclasses_), /*by_source=*/false);
    for (psm2_mq_req* m = arrival_.head; m; m = ReqList::next(m, kMainSlot)) idx.insert(m);
    return nclasses_++;
}

void UnexpectedQueue::add(psm2_mq_req* m) {
    m->seq = next_seq_++;
    arrival_.push_back(m, kMainSlot);
    for (int c = 0; c < nclasses_; ++c) classes_[c].insert(m);
}

void UnexpectedQueue::remove(psm2_mq_req* m) {
    arrival_.unlink(m, kMainSlot);
    for (int c = 0; c < nclasses_; ++c) classes_[c].remove(m);
}

psm2_mq_req* UnexpectedQueue::find(psm2_epaddr_t src, const Tag96& rtag, const Tag96& mask) {
    if (arrival_.empty()) return nullptr;
    int c = class_for(mask);
    if (c >= 0) {
        TagIndex& idx = classes_[c];
        const int slot = idx.slot();
        for (psm2_mq_req* m = idx.bucket(rtag).head; m; m = ReqList::next(m, slot))
            if (tag_matches(req_tag(m), rtag, mask) && (src == nullptr || m->user.peer == src)) return m;
        return nullptr;
    }
    for (psm2_mq_req* m = arrival_.head; m; m = ReqList::next(m, kMainSlot))
        if (tag_matches(req_tag(m), rtag, mask) && (src == nullptr || m->user.peer == src)) return m;
    return nullptr;
}

}  // namespace psm::mq
