#include "psm/error.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "hal/log.h"
#include "psm/api_lock.h"
#include "psm/endpoint.h"
#include "psm/library.h"

struct psm2_error_token {
    psm2_ep_t ep;
    psm2_error_t error;
    const char* message;
};

namespace psm {
namespace {

// The library's own handler (PSM2_ERRHANDLER_DEFAULT). Unlike the original,
// it never ends the process: an HPC user prefers the code returned to the MPI
// layer, which knows how to abort a job cleanly.
psm2_error_t default_handler(psm2_ep_t, psm2_error_t err, const char* msg, psm2_error_token_t) {
    // Codes that are part of normal operation are not worth a line.
    if (err == PSM2_OK || err == PSM2_OK_NO_PROGRESS || err == PSM2_MQ_NO_COMPLETIONS ||
        err == PSM2_EP_NO_RESOURCES || err == PSM2_MQ_TRUNCATION)
        return err;
    if (psm::log::enabled(psm::log::kErrors)) psm::log::trace(psm::log::kErrors, "%s", msg);
    return err;
}

psm2_ep_errhandler_t handler_for(psm2_ep_t ep) {
    if (ep && is_live_endpoint(ep) && ep->errhandler) return ep->errhandler;
    return library().global_errhandler;
}

}  // namespace

Library& library() {
    // Never destroyed: clients such as libfabric call psm2_finalize from
    // their own destructors at exit, after this library's statics would
    // have been torn down.
    static Library* lib = new Library;
    return *lib;
}

bool library_initialized() { return library().init_refcount > 0; }

psm2_error_t check_initialized(const char* caller) {
    if (library_initialized()) return PSM2_OK;
    // The original answers "not initialised" in both cases; the message
    // tells the two apart.
    if (library().ever_finalized)
        return raise(nullptr, PSM2_INIT_NOT_INIT, "%s: called after psm2_finalize", caller);
    return raise(nullptr, PSM2_INIT_NOT_INIT, "%s: called before psm2_init", caller);
}

void remember_closed(const void* ep, const void* mq) {
    auto& closed = library().closed_handles;
    for (const void* h : {ep, mq}) {
        if (!h) continue;
        if (closed.size() >= kClosedHandlesKept) closed.pop_front();
        closed.push_back(h);
    }
}

psm2_error_t raise_stale_handle(const void* handle, const char* fn, const char* what) {
    const auto& closed = library().closed_handles;
    if (handle && std::find(closed.begin(), closed.end(), handle) != closed.end())
        return raise(nullptr, PSM2_EP_WAS_CLOSED, "%s: %s %p was closed", fn, what, handle);
    return raise(nullptr, PSM2_PARAM_ERR, "%s: %p is not an open %s", fn, handle, what);
}

bool called_from_callback(const char* fn) {
    if (t_api_lock_depth <= 1) return false;
    log::trace(log::kErrors, "%s: called from inside a PSM2 callback (AM handler, status copy or error handler); "
               "refused with PSM2_PARAM_ERR, call it after the callback returns", fn);
    return true;
}

psm2_error_t raise(psm2_ep_t ep, psm2_error_t err, const char* fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) std::strcpy(msg, psm2_error_get_string(err));
    char full[640];
    snprintf(full, sizeof full, "%s (err=%d: %s)", msg, static_cast<int>(err),
             psm2_error_get_string(err));

    psm2_ep_errhandler_t h = handler_for(ep);
    if (h == PSM2_ERRHANDLER_NO_HANDLER) return err;
    psm2_error_token token{ep, err, full};
    if (h == PSM2_ERRHANDLER_DEFAULT) return default_handler(ep, err, full, &token);
    return h(ep, err, full, &token);
}

}  // namespace psm

using psm::ApiGuard;

extern "C" psm2_error_t psm2_error_register_handler(psm2_ep_t ep,
                                                    const psm2_ep_errhandler_t errhandler) {
    ApiGuard g;
    if (ep == nullptr) {
        psm::library().global_errhandler = errhandler;
        return PSM2_OK;
    }
    if (!psm::is_live_endpoint(ep)) return psm::raise_stale_handle(ep, "psm2_error_register_handler", "endpoint");
    ep->errhandler = errhandler;
    return PSM2_OK;
}

extern "C" psm2_error_t psm2_error_defer(psm2_error_token_t token) {
    if (token == nullptr) return PSM2_PARAM_ERR;
    return psm::default_handler(token->ep, token->error, token->message, token);
}
