// Process-wide state of the library: init refcount, the global error
// handler, the list of open endpoints.
#pragma once

#include <vector>

#include "psm2.h"

namespace psm {

struct Library {
    int init_refcount = 0;
    bool ever_finalized = false;
    psm2_ep_errhandler_t global_errhandler = PSM2_ERRHANDLER_DEFAULT;
    std::vector<psm2_ep_t> endpoints;   // open endpoints, in open order
    uint32_t next_ep_index = 0;
};

Library& library();

// PSM2_INIT_NOT_INIT / PSM2_IS_FINALIZED (through the handler) or PSM2_OK.
psm2_error_t check_initialized(const char* caller);

}  // namespace psm
