// psm2-self-rate: the cost of the API itself under threads, without a second
// process: T threads of one process each post a receive, send to their own
// endpoint (self loopback) and wait for both, on their own tag. With T = 1
// it is the single-thread API path (lock, handle checks, matching); with
// T > 1 every call contends for the library lock.
//
//   psm2-self-rate [--threads T] [--iters N]     (PSM2_DEVICES=self)
//
// Runs on Debian's library too (PSM2PERF_REAL_LIBRARY=1: its psm2_init
// reports PSM2_INTERNAL_ERR without an HFI, and its psm2_finalize crashes
// after that, so neither is held against it).
#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "psm2.h"
#include "psm2_mq.h"

namespace {

double now_s() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

bool ok(psm2_error_t e, const char* what) {
    if (e == PSM2_OK) return true;
    std::fprintf(stderr, "psm2-self-rate: %s: %s\n", what, psm2_error_get_string(e));
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 1, iters = 200000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--iters") == 0) iters = std::atoi(argv[i + 1]);
        else return 2;
    }
    if (threads < 1 || threads > 64 || iters < 1) return 2;
    const char* real = std::getenv("PSM2PERF_REAL_LIBRARY");
    const bool real_library = real && std::strcmp(real, "1") == 0;

    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    psm2_error_t err = psm2_init(&major, &minor);
    if (!(real_library && err == PSM2_INTERNAL_ERR) && !ok(err, "psm2_init")) return 1;
    psm2_uuid_t key;
    psm2_uuid_generate(key);
    psm2_ep_t ep;
    psm2_epid_t epid;
    psm2_epaddr_t self;
    psm2_mq_t mq;
    if (!ok(psm2_ep_open(key, nullptr, &ep, &epid), "psm2_ep_open") ||
        !ok(psm2_ep_connect(ep, 1, &epid, nullptr, &err, &self, 10'000'000'000LL), "psm2_ep_connect") ||
        !ok(psm2_mq_init(ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq), "psm2_mq_init"))
        return 1;

    std::atomic<bool> good{true};
    auto body = [&](int t, int n) {
        uint64_t in = 0, out = 0;
        for (int i = 0; i < n && good; ++i) {
            psm2_mq_req_t r, s;
            out = uint64_t(i);
            if (psm2_mq_irecv(mq, uint64_t(t), ~0ull, 0, &in, sizeof in, nullptr, &r) != PSM2_OK ||
                psm2_mq_isend(mq, self, 0, uint64_t(t), &out, sizeof out, nullptr, &s) != PSM2_OK ||
                psm2_mq_wait(&s, nullptr) != PSM2_OK || psm2_mq_wait(&r, nullptr) != PSM2_OK || in != out)
                good = false;
        }
    };
    body(0, iters / 10);   // warm-up: pools, caches
    std::vector<std::thread> pool;
    const double t0 = now_s();
    for (int t = 0; t < threads; ++t) pool.emplace_back(body, t, iters);
    for (auto& th : pool) th.join();
    const double secs = now_s() - t0;
    if (!good) {
        std::fprintf(stderr, "psm2-self-rate: a message was lost or corrupted\n");
        return 1;
    }
    std::printf("# threads ns/message Mmsg/s\n%d %.1f %.4f\n", threads, secs * 1e9 / (double(iters) * threads),
                double(iters) * threads / secs / 1e6);
    psm2_mq_finalize(mq);
    psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 1'000'000'000LL);
    if (!real_library) psm2_finalize();
    return 0;
}
