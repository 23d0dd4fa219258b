// Error reporting the way PSM2 does it: every error a call returns goes
// through the endpoint's handler (or the global one). The default handler
// prints the message and, for fatal classes, exits; PSM2_ERRHANDLER_NO_HANDLER
// just returns the code.
#pragma once

#include "psm2.h"

namespace psm {

// Routes err through the handler of ep (nullptr = global) with a formatted
// message; returns what the handler returns (normally err).
psm2_error_t raise(psm2_ep_t ep, psm2_error_t err, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

// True after psm2_init succeeded and before psm2_finalize.
bool library_initialized();

}  // namespace psm
