// The child side of one row: build the starting state, make the call with a
// counting error handler installed, check that the library still works, and
// tear down. Everything the parent judges travels back in Observed.
#pragma once

#include "tests/badinput/table.h"

namespace badinput {

struct Observed {
    int setup_ok = 0;
    int result = 0;
    int errno_after = 0;
    int handler_calls = 0;
    int handler_last_code = 0;
    int handler_msg_len = 0;
    int defer_mismatches = 0;   // psm2_error_defer(token) returned another code
    int alive = -1;             // -1 not checked, 0 endpoint broken, 1 still works
    int teardown_code = 0;      // psm2_finalize after the row
    char setup_error[160] = {};
};

// Runs row in this process (the child); never returns on a helper failure
// (the child exits with status 3 after printing why).
Observed run_row(const Row& row);

}  // namespace badinput
