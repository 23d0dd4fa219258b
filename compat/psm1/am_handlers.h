// Bookkeeping for PSM1 active-message handlers registered on an endpoint.
#pragma once

#include <psm2.h>

namespace psm1 {

// Frees the handler records of an endpoint that psm_ep_close has closed.
void forget_am_handlers(psm2_ep_t ep) noexcept;

// psm_finalize closed every endpoint: frees all handler records.
void forget_all_am_handlers() noexcept;

} // namespace psm1
