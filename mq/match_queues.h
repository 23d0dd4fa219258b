// The two matching structures of the engine.
//
// PostedQueue holds receives waiting for a message. Receives whose selector
// belongs to one of a few "mask classes" (the first selectors seen, e.g.
// MPI's exact / any-tag / any-source combinations) live in a hash index per
// class, keyed by masked tag and source filter; the rest live in one
// wildcard list. Every receive carries a post sequence number, so an
// incoming message takes the oldest candidate: per class the first match in
// its (tag, source) bucket and in its (tag, any source) bucket, and the first
// match in the wildcard list, whose scan stops as soon as it passes the best
// sequence so far.
//
// UnexpectedQueue holds messages that arrived before their receive, in
// arrival order (one list) and in a hash index per selector class that has
// searched it, so a receive finds the oldest matching message by looking
// into one bucket. Per-source order follows from arrival order.
#pragma once

#include <cstddef>

#include "mq/req_list.h"
#include "mq/tag_index.h"

namespace psm::mq {

inline bool source_matches(const psm2_mq_req* recv_or_filter, psm2_epaddr_t src) {
    return recv_or_filter->user.peer == nullptr || recv_or_filter->user.peer == src;
}

class PostedQueue {
public:
    // r->user.{peer, tag, tagsel} hold the receive's source filter (nullptr =
    // any), tag and selector.
    void post(psm2_mq_req* r);
    // Oldest posted receive matching (src, tag), removed from the queue.
    psm2_mq_req* take_match(psm2_epaddr_t src, const Tag96& tag);
    void remove(psm2_mq_req* r);
    size_t size() const { return size_; }

private:
    int class_for(const Tag96& mask);

    TagIndex classes_[kMaskClasses];
    int nclasses_ = 0;
    ReqList wildcard_;
    uint64_t next_seq_ = 1;
    size_t size_ = 0;
};

class UnexpectedQueue {
public:
    // m->user.{peer, tag} hold the sender and the message tag.
    void add(psm2_mq_req* m);
    // Oldest message matching the filter, left in the queue.
    psm2_mq_req* find(psm2_epaddr_t src, const Tag96& rtag, const Tag96& mask);
    void remove(psm2_mq_req* m);
    size_t size() const { return arrival_.size; }
    psm2_mq_req* oldest() const { return arrival_.head; }

private:
    int class_for(const Tag96& mask);

    TagIndex classes_[kMaskClasses];
    int nclasses_ = 0;
    ReqList arrival_;
    uint64_t next_seq_ = 1;
};

}  // namespace psm::mq
