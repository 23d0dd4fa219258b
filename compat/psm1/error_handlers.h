// PSM1 error handlers registered through psm_error_register_handler.
//
// A PSM1 handler and a PSM2 handler have the same shape but different types
// (psm_ep_t vs psm2_ep_t, psm_error_t vs psm2_error_t).  Rather than call a
// function through a pointer of the wrong type, the shim registers one PSM2
// trampoline and keeps the user's PSM1 handlers here, per endpoint and global.
#pragma once

#include <psm.h>
#include <psm2.h>

namespace psm1 {

// Registers `handler` for `ep` (nullptr: the global handler) with our PSM2,
// keeping PSM1's sentinels PSM_ERRHANDLER_DEFAULT and _NOP meaning the same.
psm2_error_t register_error_handler(psm2_ep_t ep, psm_ep_errhandler_t handler);

// Drops the per-endpoint handler of an endpoint that is being closed, so a
// later endpoint at the same address does not inherit it.
void forget_error_handler(psm2_ep_t ep) noexcept;

// psm_finalize closes every endpoint: drop all per-endpoint handlers (the
// global one stays, as in PSM2, for a later psm_init).
void forget_all_endpoint_error_handlers() noexcept;

} // namespace psm1
