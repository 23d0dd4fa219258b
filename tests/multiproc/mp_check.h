// Failure reporting shared by the multi-process test workers: every message
// names the rank, a rank gives up after 20 failed checks, and a failed setup
// call (CHECK_OK) ends the rank at once.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "psm2.h"

namespace mp {

inline int g_rank = 0;
inline int g_failures = 0;

__attribute__((format(printf, 1, 2))) inline void fail(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "rank %d: FAIL: ", g_rank);
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
    if (++g_failures > 20) std::exit(1);
}

// Under AddressSanitizer RSS says little about the library: freed memory
// sits in ASan's quarantine and every allocation has shadow memory. Memory
// checks are then reported but not asserted; everything else is.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kCheckRss = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kCheckRss = false;
#else
inline constexpr bool kCheckRss = true;
#endif
#else
inline constexpr bool kCheckRss = true;
#endif

}  // namespace mp

#define CHECK_OK(call)                                                                    \
    do {                                                                                  \
        psm2_error_t e_ = (call);                                                         \
        if (e_ != PSM2_OK) {                                                              \
            std::fprintf(stderr, "rank %d: %s failed: %s\n", mp::g_rank, #call,           \
                         psm2_error_get_string(e_));                                      \
            std::exit(1);                                                                 \
        }                                                                                 \
    } while (0)
