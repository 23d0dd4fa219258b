// One lock around the API, as the original has: MPI libraries call PSM2 from
// several threads. Re-entrant per thread so that an AM handler running inside
// psm2_poll may call psm2_am_reply_short.
#pragma once

#include <atomic>
#include <thread>

namespace psm {

class ApiLock {
public:
    static ApiLock& instance();
    void lock();
    void unlock();

private:
    std::atomic<bool> held_{false};
};

class ApiGuard {
public:
    ApiGuard();
    ~ApiGuard();
    ApiGuard(const ApiGuard&) = delete;
    ApiGuard& operator=(const ApiGuard&) = delete;
};

}  // namespace psm
