// Filling the public status structures from a request. A receive reports the
// sender, the message tag, the sent length and what was delivered; a send
// reports its own tag and length.
#pragma once

#include "mq/request.h"
#include "psm2_mq.h"

namespace psm::mq {

inline void fill_status(const psm2_mq_req* r, psm2_mq_status_t* s) {
    s->msg_tag = tag_to64(req_tag(r));
    s->msg_length = r->user.send_msglen;
    s->nbytes = r->user.recv_msglen;
    s->error_code = static_cast<psm2_error_t>(r->user.error_code);
    s->context = r->user.context;
}

inline void fill_status2(const psm2_mq_req* r, psm2_mq_status2_t* s) {
    s->msg_peer = r->user.peer;
    s->msg_tag = r->user.tag;
    s->msg_length = r->user.send_msglen;
    s->nbytes = r->user.recv_msglen;
    s->error_code = static_cast<psm2_error_t>(r->user.error_code);
    s->context = r->user.context;
}

// A probe reports an unexpected message: everything it holds is "available".
inline void fill_probe_status(const psm2_mq_req* m, psm2_mq_status_t* s) {
    s->msg_tag = tag_to64(req_tag(m));
    s->msg_length = m->user.send_msglen;
    s->nbytes = m->user.send_msglen;
    s->error_code = PSM2_OK;
    s->context = nullptr;
}

inline void fill_probe_status2(const psm2_mq_req* m, psm2_mq_status2_t* s) {
    s->msg_peer = m->user.peer;
    s->msg_tag = m->user.tag;
    s->msg_length = m->user.send_msglen;
    s->nbytes = m->user.send_msglen;
    s->error_code = PSM2_OK;
    s->context = nullptr;
}

}  // namespace psm::mq
