// PSM1 active messages (psm1_am.h) over PSM2 active messages.
//
// Requests, replies and parameters have the same shape in both APIs.  The
// handlers do not: a PSM1 handler takes the sender's epaddr as its second
// argument, a PSM2 handler does not get it.  Each PSM1 handler is therefore
// registered through psm2_am_register_handlers_2 as one shared trampoline
// whose per-handler context points at a record holding the PSM1 function;
// the trampoline asks PSM2 for the source (psm2_am_get_source) and calls it.
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "am_handlers.h"
#include "translate.h"

using psm1::to_psm1;
using psm1::to_psm2;

namespace psm1 {
namespace {

struct HandlerRecord {
    psm_am_handler_fn_t fn;
};

// Records must live as long as PSM2 may call the handlers, i.e. until the
// endpoint is closed.  Endpoints are few: a vector of (endpoint, block).
struct Records {
    std::mutex lock;
    std::vector<std::pair<psm2_ep_t, std::unique_ptr<HandlerRecord[]>>> blocks;
};

Records &records()
{
    // Never destroyed: a handler may run during the exit-time close of PSM2.
    static Records *r = new Records;
    return *r;
}

int call_psm1_am_handler(psm2_am_token_t token, psm2_amarg_t *args, int nargs, void *src,
                         uint32_t len, void *hctx)
{
    const auto *record = static_cast<const HandlerRecord *>(hctx);
    psm2_epaddr_t source = nullptr;
    if (psm2_am_get_source(token, &source) != PSM2_OK)
        source = nullptr;
    return record->fn(token, to_psm1(source), to_psm1(args), nargs, src, len);
}

psm2_error_t register_handlers(psm2_ep_t ep, const psm_am_handler_fn_t *handlers, int num,
                               int *handlers_idx)
{
    auto block = std::make_unique<HandlerRecord[]>(static_cast<size_t>(num));
    std::vector<psm2_am_handler_2_fn_t> trampolines(static_cast<size_t>(num),
                                                    call_psm1_am_handler);
    std::vector<void *> contexts(static_cast<size_t>(num));
    for (int i = 0; i < num; ++i) {
        block[i].fn = handlers[i];
        contexts[i] = &block[i];
    }
    // Reserve the slot before registering, so that once PSM2 holds pointers
    // into the block nothing can fail to keep it.
    Records &r = records();
    std::lock_guard guard(r.lock);
    r.blocks.reserve(r.blocks.size() + 1);
    psm2_error_t err =
        psm2_am_register_handlers_2(ep, trampolines.data(), num, contexts.data(), handlers_idx);
    if (err == PSM2_OK)
        r.blocks.emplace_back(ep, std::move(block));
    return err;
}

} // namespace

void forget_am_handlers(psm2_ep_t ep) noexcept
{
    Records &r = records();
    std::lock_guard guard(r.lock);
    std::erase_if(r.blocks, [ep](const auto &entry) { return entry.first == ep; });
}

void forget_all_am_handlers() noexcept
{
    Records &r = records();
    std::lock_guard guard(r.lock);
    r.blocks.clear();
}

} // namespace psm1

PSM1_EXPORT psm_error_t __psm_am_register_handlers(psm_ep_t ep,
                                                   const psm_am_handler_fn_t *handlers,
                                                   int num_handlers, int *handlers_idx)
{
    if (num_handlers < 0 || (num_handlers > 0 && (handlers == nullptr || handlers_idx == nullptr)))
        return PSM_PARAM_ERR;
    for (int i = 0; i < num_handlers; ++i)
        if (handlers[i] == nullptr)
            return PSM_PARAM_ERR; // the trampoline would call through it
    try {
        return to_psm1(psm1::register_handlers(to_psm2(ep), handlers, num_handlers, handlers_idx));
    } catch (const std::bad_alloc &) {
        return PSM_NO_MEMORY;
    }
}
PSM1_WEAK_ALIAS(psm_am_register_handlers);

static_assert(PSM_AM_FLAG_NONE == PSM2_AM_FLAG_NONE);
static_assert(PSM_AM_FLAG_ASYNC == PSM2_AM_FLAG_ASYNC);
static_assert(PSM_AM_FLAG_NOREPLY == PSM2_AM_FLAG_NOREPLY);

PSM1_EXPORT psm_error_t __psm_am_request_short(psm_epaddr_t epaddr, psm_handler_t handler,
                                               psm_amarg_t *args, int nargs, void *src,
                                               size_t len, int flags,
                                               psm_am_completion_fn_t completion_fn,
                                               void *completion_ctxt)
{
    return to_psm1(psm2_am_request_short(to_psm2(epaddr), handler, to_psm2(args), nargs, src,
                                         len, flags, completion_fn, completion_ctxt));
}
PSM1_WEAK_ALIAS(psm_am_request_short);

PSM1_EXPORT psm_error_t __psm_am_reply_short(psm_am_token_t token, psm_handler_t handler,
                                             psm_amarg_t *args, int nargs, void *src,
                                             size_t len, int flags,
                                             psm_am_completion_fn_t completion_fn,
                                             void *completion_ctxt)
{
    return to_psm1(psm2_am_reply_short(token, handler, to_psm2(args), nargs, src, len, flags,
                                       completion_fn, completion_ctxt));
}
PSM1_WEAK_ALIAS(psm_am_reply_short);

// The caller states how many bytes of struct psm_am_parameters it has room
// for (older clients may know fewer fields) and learns how many were filled.
PSM1_EXPORT psm_error_t __psm_am_get_parameters(psm_ep_t ep,
                                                struct psm_am_parameters *parameters,
                                                size_t sizeof_parameters_in,
                                                size_t *sizeof_parameters_out)
{
    if (parameters == nullptr || sizeof_parameters_out == nullptr)
        return PSM_PARAM_ERR;
    psm2_am_parameters full{};
    size_t filled = 0;
    psm2_error_t err = psm2_am_get_parameters(to_psm2(ep), &full, sizeof full, &filled);
    if (err != PSM2_OK)
        return to_psm1(err);
    psm_am_parameters as_psm1{};
    as_psm1.max_handlers = full.max_handlers;
    as_psm1.max_nargs = full.max_nargs;
    as_psm1.max_request_short = full.max_request_short;
    as_psm1.max_reply_short = full.max_reply_short;
    size_t n = std::min({sizeof_parameters_in, sizeof as_psm1, filled});
    std::memcpy(parameters, &as_psm1, n);
    *sizeof_parameters_out = n;
    return PSM_OK;
}
PSM1_WEAK_ALIAS(psm_am_get_parameters);
