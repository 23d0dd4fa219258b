// The psm2_mq_* entry points of psm2_mq.h: argument checking, the API lock,
// error routing through psm::raise, and the blocking loops. The work itself
// is done by the engine (mq/engine_impl.h).
#include <sched.h>

#include <cstring>

#include "hal/env.h"
#include "mq/engine_impl.h"
#include "mq/status.h"
#include "psm/api_lock.h"
#include "psm/c_enum.h"
#include "psm/endpoint.h"
#include "psm/error.h"
#include "psm/library.h"

using psm::ApiGuard;
using psm::mq::Engine;

namespace {

// Polls a blocking wait makes before it starts giving the core away: on a
// 2-core node with several ranks, a spinning waiter starves the peer it
// waits for.
int yield_after() {
    static const int n = [] {
        int64_t v = psm::env::get_int("PSM2_YIELD_SPIN_COUNT");
        return v < 0 ? 0 : v > (1 << 20) ? (1 << 20) : static_cast<int>(v);
    }();
    return n;
}

// The live engine behind mq, or nullptr after the error went through the
// handler (*err says which).
Engine* engine_of(psm2_mq_t mq, const char* fn, psm2_error_t* err) {
    // A live engine implies an initialised library (engines belong to
    // endpoints, and psm2_finalize closes them all): the common case needs
    // only the handle lookup. Every failure is sorted out below in the
    // original order, "not initialised" first.
    if (Engine* e = psm::mq::from_mq(mq)) [[likely]]
        return e;
    if (psm2_error_t e = psm::check_initialized(fn); e != PSM2_OK) {
        *err = e;
        return nullptr;
    }
    *err = psm::raise_stale_handle(mq, fn, "MQ");
    return nullptr;
}

// A live request handle, or nullptr after raising PSM2_PARAM_ERR.
psm2_mq_req* request_of(psm2_mq_req_t r, const char* fn, Engine** owner) {
    Engine* e = Engine::owner_of_live(r);
    if (!e) {
        psm::raise(nullptr, PSM2_PARAM_ERR, "%s: %p is not a live MQ request (freed, completed or foreign)", fn,
                   static_cast<void*>(r));
        return nullptr;
    }
    *owner = e;
    return r;
}

bool valid_buffer(const void* buf, uint32_t len) { return buf != nullptr || len == 0; }

psm2_error_t check_send_args(Engine* e, psm2_epaddr_t dest, const void* buf, uint32_t len, const char* fn) {
    if (psm2_error_t d = e->check_destination(dest); d != PSM2_OK)
        return psm::raise(e->ep(), d, "%s: destination %p is not a usable peer of this endpoint", fn,
                          static_cast<void*>(dest));
    if (!valid_buffer(buf, len)) return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: NULL buffer of %u bytes", fn, len);
    return PSM2_OK;
}

// Progress rounds one locked section may run back to back while they keep
// finding work; past that the lock is dropped anyway so that other threads
// get their turn.
constexpr int kRoundsPerLock = 16;

// Polls until the request *request is done, hands it to on_done under the
// lock, retires it and clears the handle. The lock is dropped between polls
// that find nothing (and every kRoundsPerLock busy ones) so that other
// threads of the process can post the receive or send we wait for.
template <class OnDone>
psm2_error_t wait_done(psm2_mq_req_t* request, const char* fn, OnDone on_done) {
    uint32_t generation = 0;
    for (int round = 0, spins = 0;; ++round) {
        {
            ApiGuard g;
            psm2_mq_req* r = *request;
            Engine* e = nullptr;
            if (round == 0) {
                // The handle is checked in the same locked section as the
                // first completion test: a request that is already done
                // costs one lock round trip, not two.
                if (r == PSM2_MQ_REQINVALID) return PSM2_OK;
                if (!request_of(r, fn, &e)) return PSM2_PARAM_ERR;
                if (r->state == psm::mq::ReqState::Probed)
                    return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: a request from improbe completes only via imrecv",
                                      fn);
                generation = r->generation;
            } else {
                e = Engine::owner_of_live(r);
                if (!e || r->generation != generation)
                    return psm::raise(nullptr, PSM2_PARAM_ERR, "%s: request was released while waiting", fn);
            }
            bool still_busy = false;
            for (int busy = 0;; ++busy) {
                if (Engine::is_done(r)) {
                    on_done(r);
                    e->retire(r);
                    *request = PSM2_MQ_REQINVALID;
                    return PSM2_OK;
                }
                if (busy == kRoundsPerLock) {
                    still_busy = true;
                    break;
                }
                if (e->progress() == 0) break;
                spins = 0;
                // Still under the lock, r is still a slot of e's pool (pools
                // live as long as their engine, and no callback may close
                // the endpoint), but a handler run by progress may have
                // completed and released it: the generation tells.
                if (r->generation != generation || r->state == psm::mq::ReqState::Free)
                    return psm::raise(nullptr, PSM2_PARAM_ERR, "%s: request was released while waiting", fn);
            }
            if (still_busy) continue;   // lock dropped for a moment, core kept
        }
        // Unlocked here: other threads of the process can post the receive
        // or send we wait for, or complete their own requests.
        if (++spins > yield_after()) sched_yield();
    }
}

psm2_error_t test_done(psm2_mq_req_t* request, const char* fn, psm2_mq_status_t* s1, psm2_mq_status2_t* s2) {
    if (!request) return psm::raise(nullptr, PSM2_PARAM_ERR, "%s: NULL request pointer", fn);
    ApiGuard g;
    if (*request == PSM2_MQ_REQINVALID) return PSM2_OK;
    Engine* e = nullptr;
    psm2_mq_req* r = request_of(*request, fn, &e);
    if (!r) return PSM2_PARAM_ERR;
    if (!Engine::is_done(r)) return PSM2_MQ_NO_COMPLETIONS;
    if (s1) psm::mq::fill_status(r, s1);
    if (s2) psm::mq::fill_status2(r, s2);
    e->retire(r);
    *request = PSM2_MQ_REQINVALID;
    return PSM2_OK;
}

psm2_error_t set_option(Engine* e, int option, const void* value, const char* fn) {
    if (!value) return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: NULL option value", fn);
    uint32_t v;
    std::memcpy(&v, value, sizeof v);
    switch (option) {
    case PSM2_MQ_OPT_RNDV_IB_SZ: e->set_rndv_threshold(psm::mq::DeviceClass::Fabric, v); return PSM2_OK;
    case PSM2_MQ_OPT_RNDV_SHM_SZ: e->set_rndv_threshold(psm::mq::DeviceClass::IntraNode, v); return PSM2_OK;
    case PSM2_MQ_OPT_SYSBUF_MYBYTES: e->set_sysbuf_mbytes(v); return PSM2_OK;   // documented as no effect
    default: return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: unknown MQ option %#x", fn, option);
    }
}

// Receive posting shared by irecv, irecv2 and fp_msg.
psm2_error_t post_recv(Engine* e, psm2_epaddr_t src, const psm::hal::Tag96& tag, const psm::hal::Tag96& sel,
                       void* buf, uint32_t len, void* ctx, psm2_mq_req_t* req, const char* fn) {
    if (!req) return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: NULL request pointer", fn);
    if (!valid_buffer(buf, len)) return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: NULL buffer of %u bytes", fn, len);
    if (src && (src->magic != psm2_epaddr::kMagic || src->ep != e->ep()))
        return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: source %p is not a peer of this endpoint", fn,
                          static_cast<void*>(src));
    psm2_mq_req* r = nullptr;
    psm2_error_t err = e->irecv(src, tag, sel, buf, len, ctx, &r);
    if (err != PSM2_OK) return psm::raise(e->ep(), err, "%s: cannot post the receive", fn);
    *req = r;
    return PSM2_OK;
}

psm2_error_t post_send(Engine* e, psm2_epaddr_t dest, uint32_t flags, const psm::hal::Tag96& tag, const void* buf,
                       uint32_t len, void* ctx, psm2_mq_req_t* req, const char* fn) {
    if (!req) return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: NULL request pointer", fn);
    if (psm2_error_t err = check_send_args(e, dest, buf, len, fn); err != PSM2_OK) return err;
    psm2_mq_req* r = nullptr;
    psm2_error_t err = e->isend(dest, flags, tag, buf, len, ctx, &r);
    if (err != PSM2_OK) return psm::raise(e->ep(), err, "%s: send of %u bytes failed", fn, len);
    *req = r;
    return PSM2_OK;
}

psm2_error_t blocking_send(psm2_mq_t mq, psm2_epaddr_t dest, uint32_t flags, const psm::hal::Tag96& tag,
                           const void* buf, uint32_t len, const char* fn) {
    psm2_mq_req_t r = nullptr;
    {
        ApiGuard g;
        psm2_error_t err;
        Engine* e = engine_of(mq, fn, &err);
        if (!e) return err;
        if ((err = check_send_args(e, dest, buf, len, fn)) != PSM2_OK) return err;
        err = e->send_blocking(dest, flags, tag, buf, len, &r);
        if (err != PSM2_OK) return psm::raise(e->ep(), err, "%s: send of %u bytes failed", fn, len);
        if (!r) return PSM2_OK;
    }
    psm2_error_t result = PSM2_OK;
    psm2_error_t werr =
        wait_done(&r, fn, [&](psm2_mq_req* done) { result = static_cast<psm2_error_t>(done->user.error_code); });
    if (werr != PSM2_OK) return werr;
    if (result != PSM2_OK) return psm::raise(nullptr, result, "%s: send of %u bytes failed", fn, len);
    return PSM2_OK;
}

template <class Fill>
psm2_error_t peek(psm2_mq_t mq, psm2_mq_req_t* req, const char* fn, Fill fill) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, fn, &err);
    if (!e) return err;
    if (!req) return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: NULL request pointer", fn);
    psm2_mq_req* head = e->completion_head();
    if (!head) {
        e->progress();   // documented: progress only when the queue is empty
        head = e->completion_head();
    }
    if (!head) return PSM2_MQ_NO_COMPLETIONS;
    *req = head;
    fill(head);
    return PSM2_OK;
}

template <class Fill>
psm2_error_t probe(psm2_mq_t mq, psm2_epaddr_t src, const psm::hal::Tag96& tag, const psm::hal::Tag96& sel,
                   bool take, psm2_mq_req_t* req, const char* fn, Fill fill) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, fn, &err);
    if (!e) return err;
    if (take && !req) return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: NULL request pointer", fn);
    auto find = [&] { return take ? e->mprobe(src, tag, sel) : e->probe(src, tag, sel); };
    psm2_mq_req* m = find();
    if (!m) {
        e->progress();   // documented: progress after a first miss
        m = find();
    }
    if (!m) return PSM2_MQ_NO_COMPLETIONS;
    fill(m);
    if (take) *req = m;
    return PSM2_OK;
}

}  // namespace

extern "C" {

psm2_error_t psm2_mq_init(psm2_ep_t ep, uint64_t, const struct psm2_optkey* opts, int numopts, psm2_mq_t* mq) {
    ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_mq_init"); e != PSM2_OK) return e;
    if (!psm::is_live_endpoint(ep)) return psm::raise_stale_handle(ep, "psm2_mq_init", "endpoint");
    if (!mq) return psm::raise(ep, PSM2_PARAM_ERR, "psm2_mq_init: NULL mq pointer");
    if (numopts < 0 || (numopts > 0 && !opts))
        return psm::raise(ep, PSM2_PARAM_ERR, "psm2_mq_init: bad option list (%d options)", numopts);
    Engine* e = ep->engine;
    if (!e) return psm::raise(ep, PSM2_INTERNAL_ERR, "psm2_mq_init: endpoint has no matched queue");
    // Options count only the first time (psm2_mq.h).
    if (!ep->mq_initialized) {
        for (int i = 0; i < numopts; ++i)
            if (psm2_error_t err = set_option(e, static_cast<int>(opts[i].key), opts[i].value, "psm2_mq_init");
                err != PSM2_OK)
                return err;
        ep->mq_initialized = true;
    }
    *mq = psm::mq::as_mq(e);
    return PSM2_OK;
}

psm2_error_t psm2_mq_finalize(psm2_mq_t mq) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_finalize", &err);
    if (!e) return err;
    // The engine lives as long as its endpoint; psm2_ep_close releases it.
    return PSM2_OK;
}

psm2_error_t psm2_mq_getopt(psm2_mq_t mq, int option, void* value) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_getopt", &err);
    if (!e) return err;
    if (!value) return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_getopt: NULL value");
    uint32_t v;
    switch (option) {
    case PSM2_MQ_OPT_RNDV_IB_SZ: v = e->rndv_threshold(psm::mq::DeviceClass::Fabric); break;
    case PSM2_MQ_OPT_RNDV_SHM_SZ: v = e->rndv_threshold(psm::mq::DeviceClass::IntraNode); break;
    case PSM2_MQ_OPT_SYSBUF_MYBYTES: v = e->sysbuf_mbytes(); break;
    default: return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_getopt: unknown MQ option %#x", option);
    }
    std::memcpy(value, &v, sizeof v);
    return PSM2_OK;
}

psm2_error_t psm2_mq_setopt(psm2_mq_t mq, int option, const void* value) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_setopt", &err);
    if (!e) return err;
    return set_option(e, option, value, "psm2_mq_setopt");
}

psm2_error_t psm2_mq_irecv(psm2_mq_t mq, uint64_t rtag, uint64_t rtagsel, uint32_t, void* buf, uint32_t len,
                           void* context, psm2_mq_req_t* req) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_irecv", &err);
    if (!e) return err;
    return post_recv(e, nullptr, psm::mq::tag_from64(rtag), psm::mq::tag_from64(rtagsel), buf, len, context, req,
                     "psm2_mq_irecv");
}

psm2_error_t psm2_mq_irecv2(psm2_mq_t mq, psm2_epaddr_t src, psm2_mq_tag_t* rtag, psm2_mq_tag_t* rtagsel,
                            uint32_t, void* buf, uint32_t len, void* context, psm2_mq_req_t* req) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_irecv2", &err);
    if (!e) return err;
    if (!rtag || !rtagsel) return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_irecv2: NULL tag or selector");
    return post_recv(e, src, psm::mq::tag_from_public(*rtag), psm::mq::tag_from_public(*rtagsel), buf, len,
                     context, req, "psm2_mq_irecv2");
}

psm2_error_t psm2_mq_imrecv(psm2_mq_t mq, uint32_t, void* buf, uint32_t len, void* context, psm2_mq_req_t* reqo) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_imrecv", &err);
    if (!e) return err;
    if (!reqo) return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_imrecv: NULL request pointer");
    if (!valid_buffer(buf, len))
        return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_imrecv: NULL buffer of %u bytes", len);
    Engine* owner = nullptr;
    psm2_mq_req* r = request_of(*reqo, "psm2_mq_imrecv", &owner);
    if (!r) return PSM2_PARAM_ERR;
    if (owner != e || r->state != psm::mq::ReqState::Probed)
        return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_imrecv: request was not returned by improbe on this MQ");
    return e->imrecv(r, buf, len, context);
}

psm2_error_t psm2_mq_fp_msg(psm2_ep_t ep, psm2_mq_t mq, psm2_epaddr_t addr, psm2_mq_tag_t* tag,
                            psm2_mq_tag_t* tagsel, uint32_t flags, void* buf, uint32_t len, void* context,
                            enum psm2_mq_fp_op fp_arg, psm2_mq_req_t* req) {
    ApiGuard g;   // re-entrant: the usual caller is an AM handler inside psm2_poll
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_fp_msg", &err);
    if (!e) return err;
    if (ep && ep != e->ep()) return psm::raise(ep, PSM2_PARAM_ERR, "psm2_mq_fp_msg: mq does not belong to ep");
    if (!tag) return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_fp_msg: NULL tag");
    const psm::hal::Tag96 t = psm::mq::tag_from_public(*tag);
    const int fp_type = psm::c_enum_value(fp_arg);   // any int from a C caller
    switch (fp_type) {
    case PSM2_MQ_ISEND_FP: return post_send(e, addr, flags, t, buf, len, context, req, "psm2_mq_fp_msg");
    case PSM2_MQ_IRECV_FP:
        if (!tagsel) return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_fp_msg: NULL tag selector");
        return post_recv(e, addr, t, psm::mq::tag_from_public(*tagsel), buf, len, context, req, "psm2_mq_fp_msg");
    }
    return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_fp_msg: unknown operation %d", fp_type);
}

psm2_error_t psm2_mq_send(psm2_mq_t mq, psm2_epaddr_t dest, uint32_t flags, uint64_t stag, const void* buf,
                          uint32_t len) {
    return blocking_send(mq, dest, flags, psm::mq::tag_from64(stag), buf, len, "psm2_mq_send");
}

psm2_error_t psm2_mq_send2(psm2_mq_t mq, psm2_epaddr_t dest, uint32_t flags, psm2_mq_tag_t* stag, const void* buf,
                           uint32_t len) {
    if (!stag) {
        ApiGuard g;
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_mq_send2: NULL tag");
    }
    return blocking_send(mq, dest, flags, psm::mq::tag_from_public(*stag), buf, len, "psm2_mq_send2");
}

psm2_error_t psm2_mq_isend(psm2_mq_t mq, psm2_epaddr_t dest, uint32_t flags, uint64_t stag, const void* buf,
                           uint32_t len, void* context, psm2_mq_req_t* req) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_isend", &err);
    if (!e) return err;
    return post_send(e, dest, flags, psm::mq::tag_from64(stag), buf, len, context, req, "psm2_mq_isend");
}

psm2_error_t psm2_mq_isend2(psm2_mq_t mq, psm2_epaddr_t dest, uint32_t flags, psm2_mq_tag_t* stag, const void* buf,
                            uint32_t len, void* context, psm2_mq_req_t* req) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_isend2", &err);
    if (!e) return err;
    if (!stag) return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_isend2: NULL tag");
    return post_send(e, dest, flags, psm::mq::tag_from_public(*stag), buf, len, context, req, "psm2_mq_isend2");
}

psm2_error_t psm2_mq_iprobe(psm2_mq_t mq, uint64_t rtag, uint64_t rtagsel, psm2_mq_status_t* status) {
    return probe(mq, nullptr, psm::mq::tag_from64(rtag), psm::mq::tag_from64(rtagsel), false, nullptr,
                 "psm2_mq_iprobe", [&](const psm2_mq_req* m) {
                     if (status) psm::mq::fill_probe_status(m, status);
                 });
}

psm2_error_t psm2_mq_iprobe2(psm2_mq_t mq, psm2_epaddr_t src, psm2_mq_tag_t* rtag, psm2_mq_tag_t* rtagsel,
                             psm2_mq_status2_t* status) {
    if (!rtag || !rtagsel) {
        ApiGuard g;
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_mq_iprobe2: NULL tag or selector");
    }
    return probe(mq, src, psm::mq::tag_from_public(*rtag), psm::mq::tag_from_public(*rtagsel), false, nullptr,
                 "psm2_mq_iprobe2", [&](const psm2_mq_req* m) {
                     if (status) psm::mq::fill_probe_status2(m, status);
                 });
}

psm2_error_t psm2_mq_improbe(psm2_mq_t mq, uint64_t rtag, uint64_t rtagsel, psm2_mq_req_t* req,
                             psm2_mq_status_t* status) {
    return probe(mq, nullptr, psm::mq::tag_from64(rtag), psm::mq::tag_from64(rtagsel), true, req,
                 "psm2_mq_improbe", [&](const psm2_mq_req* m) {
                     if (status) psm::mq::fill_probe_status(m, status);
                 });
}

psm2_error_t psm2_mq_improbe2(psm2_mq_t mq, psm2_epaddr_t src, psm2_mq_tag_t* rtag, psm2_mq_tag_t* rtagsel,
                              psm2_mq_req_t* reqo, psm2_mq_status2_t* status) {
    if (!rtag || !rtagsel) {
        ApiGuard g;
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_mq_improbe2: NULL tag or selector");
    }
    return probe(mq, src, psm::mq::tag_from_public(*rtag), psm::mq::tag_from_public(*rtagsel), true, reqo,
                 "psm2_mq_improbe2", [&](const psm2_mq_req* m) {
                     if (status) psm::mq::fill_probe_status2(m, status);
                 });
}

psm2_error_t psm2_mq_ipeek(psm2_mq_t mq, psm2_mq_req_t* req, psm2_mq_status_t* status) {
    return peek(mq, req, "psm2_mq_ipeek", [&](const psm2_mq_req* r) {
        if (status) psm::mq::fill_status(r, status);
    });
}

psm2_error_t psm2_mq_ipeek2(psm2_mq_t mq, psm2_mq_req_t* req, psm2_mq_status2_t* status) {
    return peek(mq, req, "psm2_mq_ipeek2", [&](const psm2_mq_req* r) {
        if (status) psm::mq::fill_status2(r, status);
    });
}

psm2_error_t psm2_mq_ipeek_dequeue(psm2_mq_t mq, psm2_mq_req_t* req) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_ipeek_dequeue", &err);
    if (!e) return err;
    if (!req) return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_ipeek_dequeue: NULL request pointer");
    if (!e->completion_head()) e->progress();
    psm2_mq_req* r = e->dequeue_completion();
    if (!r) return PSM2_MQ_NO_COMPLETIONS;
    *req = r;
    return PSM2_OK;
}

psm2_error_t psm2_mq_ipeek_dequeue_multi(psm2_mq_t mq, void* status_array, psmi_mq_status_copy_user_t status_copy,
                                         int* count) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_ipeek_dequeue_multi", &err);
    if (!e) return err;
    if (!status_copy || !count)
        return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_ipeek_dequeue_multi: NULL callback or count");
    const int want = *count;
    if (want <= 0) {
        *count = 0;
        return PSM2_OK;
    }
    if (!e->completion_head()) e->progress();
    int stored = 0;
    while (stored < want) {
        psm2_mq_req* r = e->completion_head();
        if (!r) break;
        int rc = status_copy(&r->user, status_array, stored);
        if (rc < 0) {
            // The entry stays queued so that a retry sees it again.
            *count = rc;
            return PSM2_INTERNAL_ERR;
        }
        // The callback may post or complete other requests (appended at the
        // tail); r itself is released here unless the callback already did.
        if (Engine::owner_of_live(r) == e && r->state == psm::mq::ReqState::Complete) e->retire(r);
        if (rc >= 1) ++stored;
        if (rc > 1) break;
    }
    *count = stored;
    return stored == want ? PSM2_OK : PSM2_MQ_NO_COMPLETIONS;
}

psm2_error_t psm2_mq_req_free(psm2_mq_t mq, psm2_mq_req_t req) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_req_free", &err);
    if (!e) return err;
    if (req == PSM2_MQ_REQINVALID) return PSM2_OK;
    Engine* owner = nullptr;
    psm2_mq_req* r = request_of(req, "psm2_mq_req_free", &owner);
    if (!r) return PSM2_PARAM_ERR;
    if (owner != e) return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_req_free: request belongs to another MQ");
    if (!Engine::is_done(r))
        return psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_req_free: request %p is still in progress",
                          static_cast<void*>(req));
    e->retire(r);
    return PSM2_OK;
}

psm2_error_t psm2_mq_wait(psm2_mq_req_t* request, psm2_mq_status_t* status) {
    if (!request) {
        ApiGuard g;
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_mq_wait: NULL request pointer");
    }
    return wait_done(request, "psm2_mq_wait", [&](const psm2_mq_req* r) {
        if (status) psm::mq::fill_status(r, status);
    });
}

psm2_error_t psm2_mq_wait2(psm2_mq_req_t* request, psm2_mq_status2_t* status) {
    if (!request) {
        ApiGuard g;
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_mq_wait2: NULL request pointer");
    }
    return wait_done(request, "psm2_mq_wait2", [&](const psm2_mq_req* r) {
        if (status) psm::mq::fill_status2(r, status);
    });
}

psm2_error_t psm2_mq_test(psm2_mq_req_t* request, psm2_mq_status_t* status) {
    return test_done(request, "psm2_mq_test", status, nullptr);
}

psm2_error_t psm2_mq_test2(psm2_mq_req_t* request, psm2_mq_status2_t* status) {
    return test_done(request, "psm2_mq_test2", nullptr, status);
}

psm2_error_t psm2_mq_cancel(psm2_mq_req_t* req) {
    ApiGuard g;
    if (!req) return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_mq_cancel: NULL request pointer");
    // As the original: no request, nothing cancelled (not an error).
    if (*req == PSM2_MQ_REQINVALID) return PSM2_MQ_NO_COMPLETIONS;
    Engine* e = nullptr;
    psm2_mq_req* r = request_of(*req, "psm2_mq_cancel", &e);
    if (!r) return PSM2_PARAM_ERR;
    return e->cancel(r) ? PSM2_OK : PSM2_MQ_NO_COMPLETIONS;
}

void psm2_mq_get_stats(psm2_mq_t mq, psm2_mq_stats_t* stats) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(mq, "psm2_mq_get_stats", &err);
    if (!e) return;
    if (!stats) {
        psm::raise(e->ep(), PSM2_PARAM_ERR, "psm2_mq_get_stats: NULL stats pointer");
        return;
    }
    *stats = e->stats();
}

}  // extern "C"
