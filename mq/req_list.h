// FIFO of requests threaded through one of a request's link slots. Insertion
// at the tail and removal anywhere are O(1); iteration follows insertion
// order, which is how post order and arrival order are kept.
#pragma once

#include <cstddef>

#include "mq/request.h"

namespace psm::mq {

struct ReqList {
    psm2_mq_req* head = nullptr;
    psm2_mq_req* tail = nullptr;
    size_t size = 0;

    bool empty() const { return head == nullptr; }

    void push_back(psm2_mq_req* r, int slot) {
        Links& l = r->links[slot];
        l.prev = tail;
        l.next = nullptr;
        if (tail) tail->links[slot].next = r;
        else head = r;
        tail = r;
        ++size;
    }

    void push_front(psm2_mq_req* r, int slot) {
        Links& l = r->links[slot];
        l.prev = nullptr;
        l.next = head;
        if (head) head->links[slot].prev = r;
        else tail = r;
        head = r;
        ++size;
    }

    void unlink(psm2_mq_req* r, int slot) {
        Links& l = r->links[slot];
        if (l.prev) l.prev->links[slot].next = l.next;
        else head = l.next;
        if (l.next) l.next->links[slot].prev = l.prev;
        else tail = l.prev;
        l.prev = l.next = nullptr;
        --size;
    }

    psm2_mq_req* pop_front(int slot) {
        psm2_mq_req* r = head;
        if (r) unlink(r, slot);
        return r;
    }

    static psm2_mq_req* next(const psm2_mq_req* r, int slot) { return r->links[slot].next; }
};

}  // namespace psm::mq
