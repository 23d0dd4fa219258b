#include "hal/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "hal/env.h"

namespace psm::log {
namespace {

uint32_t mask() {
    // Read once: the trace mask is consulted on slow paths only, but it must
    // not cost a getenv each time.
    static const uint32_t m = static_cast<uint32_t>(psm::env::get_int("PSM2_TRACEMASK"));
    return m;
}

void emit(const char* kind, const char* fmt, va_list ap) {
    char host[64] = "?";
    gethostname(host, sizeof host - 1);
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    std::fprintf(stderr, "%s.%d psm2 %s: %s\n", host, static_cast<int>(getpid()), kind, msg);
}

}  // namespace

bool enabled(uint32_t m) { return (mask() & m) != 0; }

void trace(uint32_t m, const char* fmt, ...) {
    if (!enabled(m)) return;
    va_list ap;
    va_start(ap, fmt);
    emit("trace", fmt, ap);
    va_end(ap);
}

void warn(const char* fmt, ...) {
    static const bool quiet = psm::env::get_bool("PSM2_NO_WARN");
    if (quiet) return;
    va_list ap;
    va_start(ap, fmt);
    emit("warning", fmt, ap);
    va_end(ap);
}

}  // namespace psm::log
