#include "psm/api_lock.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace psm {

// initial-exec: the library is loaded at program start by its clients, and
// the default model for a shared object turns every access into a
// __tls_get_addr call - on every API call.
constinit thread_local int t_api_lock_depth __attribute__((tls_model("initial-exec"))) = 0;

constinit ApiLock g_api_lock;

namespace {

// Short enough that a waiter behind a preempted holder gives up its core
// within a few microseconds, long enough to cover a typical API call.
constexpr int kSpins = 128;
constexpr int kYields = 4;

inline void cpu_relax() { __builtin_ia32_pause(); }

// The futex word is the lock's state (a std::atomic<uint32_t> has the layout
// of a uint32_t). PRIVATE: the lock is never shared between processes.
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected) {
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void futex_wake_one(std::atomic<uint32_t>* word) {
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

void ApiLock::lock_contended() {
    auto try_take = [this] {
        uint32_t s = state_.load(std::memory_order_relaxed);
        return s == kFree && state_.compare_exchange_weak(s, kHeld, std::memory_order_acquire);
    };
    for (int i = 0; i < kSpins; ++i) {
        cpu_relax();
        if (try_take()) return;
    }
    for (int i = 0; i < kYields; ++i) {
        sched_yield();
        if (try_take()) return;
    }
    // Announce a sleeper by moving the state to kHeldWithSleepers; taking
    // the lock this way keeps that mark (we cannot know whether others sleep
    // too), which costs at most one spurious wake at our unlock.
    while (state_.exchange(kHeldWithSleepers, std::memory_order_acquire) != kFree)
        futex_wait(&state_, kHeldWithSleepers);
}

void ApiLock::wake_one() { futex_wake_one(&state_); }

bool ApiLock::try_lock() {
    if (t_api_lock_depth > 0) {
        ++t_api_lock_depth;
        return true;
    }
    uint32_t expected = kFree;
    if (!state_.compare_exchange_strong(expected, kHeld, std::memory_order_acquire)) return false;
    t_api_lock_depth = 1;
    return true;
}

}  // namespace psm
