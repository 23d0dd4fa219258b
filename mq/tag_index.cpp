#include "mq/tag_index.h"

namespace psm::mq {

void TagIndex::grow() {
    std::vector<ReqList> old(buckets_.size() * 2);
    old.swap(buckets_);
    for (ReqList& chain : old) {
        psm2_mq_req* r = chain.head;
        while (r) {
            psm2_mq_req* next = ReqList::next(r, slot_);
            bucket(req_tag(r), r->user.peer).push_back(r, slot_);
            r = next;
        }
    }
}

}  // namespace psm::mq
