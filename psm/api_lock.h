// One lock around the API, as the original has: MPI libraries call PSM2 from
// several threads. Re-entrant per thread so that an AM handler running inside
// psm2_poll may call psm2_am_reply_short.
//
// The uncontended path is one compare-exchange to take and one exchange to
// release, inlined into every entry point. A thread that finds the lock taken
// spins briefly (the holder is usually in a short call on the other core),
// then yields a few times (the holder may be waiting for our core), then
// sleeps on a futex: with 8 threads on 2 cores, waiters that keep spinning
// only steal the cycles the holder needs to finish.
#pragma once

#include <atomic>
#include <cstdint>

namespace psm {

// How deep the calling thread is inside the API (0 = not inside). Plain
// thread-local int: initial-exec and constinit so that every access is one
// %fs-relative load, without __tls_get_addr or a TLS wrapper call.
extern constinit thread_local int t_api_lock_depth __attribute__((tls_model("initial-exec")));

class ApiLock {
public:
    constexpr ApiLock() = default;
    ApiLock(const ApiLock&) = delete;
    ApiLock& operator=(const ApiLock&) = delete;

    void lock() {
        if (t_api_lock_depth++ > 0) return;
        uint32_t expected = kFree;
        if (__builtin_expect(state_.compare_exchange_strong(expected, kHeld, std::memory_order_acquire), 1))
            return;
        lock_contended();
    }

    void unlock() {
        if (--t_api_lock_depth > 0) return;
        if (__builtin_expect(state_.exchange(kFree, std::memory_order_release) == kHeldWithSleepers, 0))
            wake_one();
    }

    // Takes the lock only if nobody holds it (or this thread already does);
    // never waits. For the progress thread, which must not delay the user's.
    bool try_lock();

private:
    enum : uint32_t { kFree = 0, kHeld = 1, kHeldWithSleepers = 2 };

    void lock_contended();
    void wake_one();

    // Own cache line: the word every API call of every thread writes.
    alignas(64) std::atomic<uint32_t> state_{kFree};
};

extern constinit ApiLock g_api_lock;

class ApiGuard {
public:
    ApiGuard() { g_api_lock.lock(); }
    ~ApiGuard() { g_api_lock.unlock(); }
    ApiGuard(const ApiGuard&) = delete;
    ApiGuard& operator=(const ApiGuard&) = delete;
};

}  // namespace psm
