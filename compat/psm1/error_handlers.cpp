// PSM1 error handler registry: see error_handlers.h.
#include "error_handlers.h"

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

#include "translate.h"

namespace psm1 {
namespace {

// Endpoints are few (one or two per process), so a vector beats a hash map.
struct Registry {
    std::mutex lock;
    psm_ep_errhandler_t global = nullptr;
    std::vector<std::pair<psm2_ep_t, psm_ep_errhandler_t>> per_ep;
};

Registry &registry()
{
    // Never destroyed: PSM2 may still report an error while the process exits.
    static Registry *r = new Registry;
    return *r;
}

bool is_user_function(psm_ep_errhandler_t h)
{
    return h != nullptr && h != PSM_ERRHANDLER_DEFAULT && h != PSM_ERRHANDLER_NOP;
}

// Which PSM1 handler PSM2 meant to call.  PSM2 calls the endpoint's handler if
// one is registered, else the global one; the shim registered the trampoline
// in exactly the places where the user has a PSM1 handler, so looking up the
// endpoint first and then the global entry finds the right one.
psm_ep_errhandler_t handler_for(psm2_ep_t ep)
{
    Registry &r = registry();
    std::lock_guard guard(r.lock);
    if (ep != nullptr) {
        for (const auto &[e, h] : r.per_ep)
            if (e == ep)
                return h;
    }
    return r.global;
}

psm2_error_t call_psm1_handler(psm2_ep_t ep, const psm2_error_t err, const char *message,
                               psm2_error_token_t token)
{
    psm_ep_errhandler_t h = handler_for(ep);
    if (!is_user_function(h))
        return err; // only during a concurrent re-registration; PSM2 then decides
    return to_psm2(h(to_psm1(ep), to_psm1(err), message, to_psm1(token)));
}

psm2_ep_errhandler_t psm2_counterpart(psm_ep_errhandler_t h)
{
    if (h == PSM_ERRHANDLER_DEFAULT)
        return PSM2_ERRHANDLER_DEFAULT;
    if (h == PSM_ERRHANDLER_NOP)
        return PSM2_ERRHANDLER_NOP;
    if (h == nullptr)
        return nullptr; // PSM2 judges a null handler itself
    return call_psm1_handler;
}

// Stores `h` for `ep` and returns what was there, for rollback.
psm_ep_errhandler_t remember(psm2_ep_t ep, psm_ep_errhandler_t h)
{
    Registry &r = registry();
    std::lock_guard guard(r.lock);
    if (ep == nullptr)
        return std::exchange(r.global, h);
    auto it = std::find_if(r.per_ep.begin(), r.per_ep.end(),
                           [ep](const auto &entry) { return entry.first == ep; });
    if (it == r.per_ep.end()) {
        if (is_user_function(h))
            r.per_ep.emplace_back(ep, h);
        return nullptr;
    }
    psm_ep_errhandler_t old = it->second;
    if (is_user_function(h))
        it->second = h;
    else
        r.per_ep.erase(it);
    return old;
}

} // namespace

psm2_error_t register_error_handler(psm2_ep_t ep, psm_ep_errhandler_t handler)
{
    // Record first so that an error raised the moment PSM2 installs the
    // trampoline already finds its handler.
    psm_ep_errhandler_t previous = remember(ep, handler);
    psm2_error_t err = psm2_error_register_handler(ep, psm2_counterpart(handler));
    if (err != PSM2_OK)
        remember(ep, previous);
    return err;
}

void forget_error_handler(psm2_ep_t ep) noexcept
{
    Registry &r = registry();
    std::lock_guard guard(r.lock);
    std::erase_if(r.per_ep, [ep](const auto &entry) { return entry.first == ep; });
}

void forget_all_endpoint_error_handlers() noexcept
{
    Registry &r = registry();
    std::lock_guard guard(r.lock);
    r.per_ep.clear();
}

} // namespace psm1
