#include "psm/api_lock.h"
#include "psm/endpoint.h"
#include "psm/error.h"
#include "psm/library.h"

extern "C" psm2_error_t psm2_poll(psm2_ep_t ep) {
    psm::ApiGuard g;
    if (__builtin_expect(!psm::is_live_endpoint(ep), 0)) {
        if (psm2_error_t e = psm::check_initialized("psm2_poll"); e != PSM2_OK) return e;
        return psm::raise_stale_handle(ep, "psm2_poll", "endpoint");
    }
    return psm::mq::progress(ep->engine) > 0 ? PSM2_OK : PSM2_OK_NO_PROGRESS;
}
