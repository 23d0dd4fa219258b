#include "psm/api_lock.h"

#include <sched.h>

namespace psm {
namespace {
// Depth of the lock held by this thread, so that an AM handler running inside
// psm2_poll (lock held) can call psm2_am_reply_short without deadlocking.
// initial-exec: the library is loaded at program start by its clients, and
// the default model for a shared object turns every access into a
// __tls_get_addr call - on every API call.
thread_local int t_depth __attribute__((tls_model("initial-exec"))) = 0;
}  // namespace

ApiLock& ApiLock::instance() {
    static ApiLock lock;
    return lock;
}

void ApiLock::lock() {
    if (t_depth++ > 0) return;
    for (int spins = 0;; ++spins) {
        if (!held_.load(std::memory_order_relaxed) &&
            !held_.exchange(true, std::memory_order_acquire))
            return;
        // Another thread of the same process is inside the library; with two
        // cores and several ranks, spinning long only delays that thread.
        if (spins > 64) sched_yield();
    }
}

void ApiLock::unlock() {
    if (--t_depth > 0) return;
    held_.store(false, std::memory_order_release);
}

ApiGuard::ApiGuard() { ApiLock::instance().lock(); }
ApiGuard::~ApiGuard() { ApiLock::instance().unlock(); }

}  // namespace psm
