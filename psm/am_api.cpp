// The psm2_am_* entry points of psm2_am.h. Handler tables and dispatch live
// in the engine (mq/am_table.h, mq/engine_am.cpp); this file checks
// arguments, takes the API lock and routes errors through psm::raise.
#include <cstring>

#include "mq/engine_impl.h"
#include "psm/api_lock.h"
#include "psm/endpoint.h"
#include "psm/error.h"
#include "psm/library.h"

using psm::ApiGuard;
using psm::mq::Engine;

namespace {

// The engine of a live endpoint, or nullptr after raising (*err says which).
Engine* engine_of(psm2_ep_t ep, const char* fn, psm2_error_t* err) {
    if (psm2_error_t e = psm::check_initialized(fn); e != PSM2_OK) {
        *err = e;
        return nullptr;
    }
    if (!psm::is_live_endpoint(ep) || !ep->engine) {
        *err = psm::raise_stale_handle(ep, fn, "endpoint");
        return nullptr;
    }
    return ep->engine;
}

psm2_error_t check_payload(Engine* e, const psm2_amarg_t* args, int nargs, const void* src, size_t len,
                           const char* fn) {
    if (nargs < 0 || (nargs > 0 && !args))
        return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: bad argument array (%d arguments)", fn, nargs);
    if (len > 0 && !src) return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: NULL payload of %zu bytes", fn, len);
    return PSM2_OK;
}

psm2_error_t register_handlers(psm2_ep_t ep, const psm2_am_handler_fn_t* fns, const psm2_am_handler_2_fn_t* fns2,
                               void** hctx, int n, int* idx, const char* fn) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(ep, fn, &err);
    if (!e) return err;
    if (n < 0 || (n > 0 && ((!fns && !fns2) || !idx)))
        return psm::raise(ep, PSM2_PARAM_ERR, "%s: bad handler array (%d handlers)", fn, n);
    err = e->am().register_handlers(fns, fns2, hctx, n, idx);
    if (err != PSM2_OK)
        return psm::raise(ep, err, "%s: no room for %d more handlers (table holds %u)", fn, n,
                          psm::mq::kAmMaxHandlers);
    return PSM2_OK;
}

}  // namespace

extern "C" {

psm2_error_t psm2_am_register_handlers(psm2_ep_t ep, const psm2_am_handler_fn_t* handlers, int num_handlers,
                                       int* handlers_idx) {
    return register_handlers(ep, handlers, nullptr, nullptr, num_handlers, handlers_idx,
                             "psm2_am_register_handlers");
}

psm2_error_t psm2_am_register_handlers_2(psm2_ep_t ep, const psm2_am_handler_2_fn_t* handlers, int num_handlers,
                                         void** hctx, int* handlers_idx) {
    return register_handlers(ep, nullptr, handlers, hctx, num_handlers, handlers_idx,
                             "psm2_am_register_handlers_2");
}

void psm2_am_unregister_handlers(psm2_ep_t ep) {
    ApiGuard g;
    psm2_error_t err;
    if (Engine* e = engine_of(ep, "psm2_am_unregister_handlers", &err)) e->am().unregister_all();
}

psm2_error_t psm2_am_request_short(psm2_epaddr_t epaddr, psm2_handler_t handler, psm2_amarg_t* args, int nargs,
                                   void* src, size_t len, int flags, psm2_am_completion_fn_t completion_fn,
                                   void* completion_ctxt) {
    ApiGuard g;
    const char* fn = "psm2_am_request_short";
    if (psm2_error_t e = psm::check_initialized(fn); e != PSM2_OK) return e;
    if (!epaddr || epaddr->magic != psm2_epaddr::kMagic || !psm::is_live_endpoint(epaddr->ep) || !epaddr->ep->engine)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "%s: %p is not a connected address", fn,
                          static_cast<void*>(epaddr));
    Engine* e = epaddr->ep->engine;
    if (psm2_error_t err = e->check_destination(epaddr); err != PSM2_OK)
        return psm::raise(e->ep(), err, "%s: peer %p cannot be reached", fn, static_cast<void*>(epaddr));
    if (psm2_error_t err = check_payload(e, args, nargs, src, len, fn); err != PSM2_OK) return err;
    if (handler >= psm::mq::kAmMaxHandlers)
        return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: handler index %u out of range", fn, handler);
    psm2_error_t err = e->am_request(epaddr, handler, args, nargs, src, len, flags, completion_fn, completion_ctxt);
    if (err == PSM2_PARAM_ERR)
        return psm::raise(e->ep(), err, "%s: %d arguments / %zu bytes exceed the limits of psm2_am_get_parameters",
                          fn, nargs, len);
    if (err != PSM2_OK) return psm::raise(e->ep(), err, "%s: request failed", fn);
    return PSM2_OK;
}

psm2_error_t psm2_am_reply_short(psm2_am_token_t token, psm2_handler_t handler, psm2_amarg_t* args, int nargs,
                                 void* src, size_t len, int flags, psm2_am_completion_fn_t completion_fn,
                                 void* completion_ctxt) {
    ApiGuard g;   // re-entrant: we are inside the handler, inside psm2_poll
    const char* fn = "psm2_am_reply_short";
    if (!psm::mq::am_token_active(token))
        return psm::raise(nullptr, PSM2_PARAM_ERR, "%s: token %p is not the token of a running handler", fn, token);
    auto* t = static_cast<psm::mq::AmToken*>(token);
    Engine* e = t->engine;
    if (psm2_error_t err = check_payload(e, args, nargs, src, len, fn); err != PSM2_OK) return err;
    if (handler >= psm::mq::kAmMaxHandlers)
        return psm::raise(e->ep(), PSM2_PARAM_ERR, "%s: handler index %u out of range", fn, handler);
    psm2_error_t err = e->am_reply(t, handler, args, nargs, src, len, flags, completion_fn, completion_ctxt);
    if (err == PSM2_AM_INVALID_REPLY)
        return psm::raise(e->ep(), err, "%s: this handler may not reply (a reply, a NOREPLY request, or replied)", fn);
    if (err == PSM2_PARAM_ERR)
        return psm::raise(e->ep(), err, "%s: %d arguments / %zu bytes exceed the limits of psm2_am_get_parameters",
                          fn, nargs, len);
    if (err != PSM2_OK) return psm::raise(e->ep(), err, "%s: reply failed", fn);
    return PSM2_OK;
}

psm2_error_t psm2_am_get_source(psm2_am_token_t token, psm2_epaddr_t* epaddr_out) {
    ApiGuard g;
    if (!epaddr_out || !psm::mq::am_token_active(token))
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_am_get_source: invalid token or NULL output");
    *epaddr_out = static_cast<psm::mq::AmToken*>(token)->source;
    return PSM2_OK;
}

psm2_error_t psm2_am_get_parameters(psm2_ep_t ep, struct psm2_am_parameters* parameters, size_t sizeof_parameters_in,
                                    size_t* sizeof_parameters_out) {
    ApiGuard g;
    psm2_error_t err;
    Engine* e = engine_of(ep, "psm2_am_get_parameters", &err);
    if (!e) return err;
    if (!parameters || !sizeof_parameters_out)
        return psm::raise(ep, PSM2_PARAM_ERR, "psm2_am_get_parameters: NULL output");
    // A caller built against a smaller (older) struct gets its prefix.
    psm2_am_parameters p = e->am_parameters();
    size_t n = sizeof_parameters_in < sizeof p ? sizeof_parameters_in : sizeof p;
    std::memcpy(parameters, &p, n);
    *sizeof_parameters_out = n;
    return PSM2_OK;
}

}  // extern "C"
