// psm2-thread-rate: small-message rate between two processes when each
// process drives its endpoint from T threads at once (MPI_THREAD_MULTIPLE
// style). Thread t of rank 0 streams windows of messages to thread t of
// rank 1 on its own tag; rank 1 acknowledges every window. The rate is all
// threads' messages over the wall time of the slowest.
//
//   psm2-thread-rate [--threads T] [--size B] [--window W] [--iters N] [--timeout S]
//
// Runs on our library or, through LD_LIBRARY_PATH, on Debian's (set
// PSM2PERF_REAL_LIBRARY=1 to tolerate its init/finalize quirks); the
// process setup is psm2-perf's (benchmarks/perf).
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "../perf/peer_link.h"
#include "../perf/psm2_session.h"

namespace {

struct Options {
    int threads = 1;
    uint32_t size = 8;
    int window = 64;
    int iters = 2000;
    int timeout_s = 120;
};

bool parse(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc) return false;
        const int v = std::atoi(argv[++i]);
        if (a == "--threads") o.threads = v;
        else if (a == "--size") o.size = static_cast<uint32_t>(v);
        else if (a == "--window") o.window = v;
        else if (a == "--iters") o.iters = v;
        else if (a == "--timeout") o.timeout_s = v;
        else return false;
    }
    return o.threads > 0 && o.threads <= 64 && o.window > 0 && o.iters > 0 && o.size <= (1u << 20);
}

double now_s() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

constexpr uint64_t kDataTag = 0xDA7Aull << 48;
constexpr uint64_t kAckTag = 0xACCEull << 48;

bool ok(psm2_error_t e, const char* what) {
    if (e == PSM2_OK) return true;
    std::fprintf(stderr, "psm2-thread-rate: %s: %s\n", what, psm2_error_get_string(e));
    return false;
}

// One thread's stream: `iters` windows of `window` messages, each window
// acknowledged by the receiver (so the sender never runs ahead unbounded).
bool stream(const perf::Session& s, int rank, int t, int iters, const Options& o) {
    std::vector<char> buf(size_t(o.size) * o.window + 1, 'x');
    std::vector<psm2_mq_req_t> reqs(o.window);
    const uint64_t data_tag = kDataTag | uint64_t(t);
    const uint64_t ack_tag = kAckTag | uint64_t(t);
    char ack = 0;
    for (int it = 0; it < iters; ++it) {
        if (rank == 0) {
            for (int w = 0; w < o.window; ++w)
                if (!ok(psm2_mq_isend(s.mq, s.peer, 0, data_tag, &buf[size_t(w) * o.size], o.size, nullptr, &reqs[w]),
                        "isend"))
                    return false;
            for (auto& r : reqs)
                if (!ok(psm2_mq_wait(&r, nullptr), "wait send")) return false;
            psm2_mq_req_t a;
            if (!ok(psm2_mq_irecv(s.mq, ack_tag, ~0ull, 0, &ack, 1, nullptr, &a), "irecv ack") ||
                !ok(psm2_mq_wait(&a, nullptr), "wait ack"))
                return false;
        } else {
            for (int w = 0; w < o.window; ++w)
                if (!ok(psm2_mq_irecv(s.mq, data_tag, ~0ull, 0, &buf[size_t(w) * o.size], o.size, nullptr, &reqs[w]),
                        "irecv"))
                    return false;
            for (auto& r : reqs)
                if (!ok(psm2_mq_wait(&r, nullptr), "wait recv")) return false;
            if (!ok(psm2_mq_send(s.mq, s.peer, 0, ack_tag, &ack, 1), "send ack")) return false;
        }
    }
    return true;
}

// All threads run `iters` windows; returns the wall time, or -1 on error.
double run_threads(const perf::Session& s, int rank, int iters, const Options& o) {
    std::atomic<bool> good{true};
    std::vector<std::thread> threads;
    const double t0 = now_s();
    for (int t = 0; t < o.threads; ++t)
        threads.emplace_back([&, t] {
            if (!stream(s, rank, t, iters, o)) good = false;
        });
    for (auto& th : threads) th.join();
    return good ? now_s() - t0 : -1;
}

bool run_rank(perf::PeerLink& link, int rank, const Options& o, const psm2_uuid_t key) {
    perf::Session s;
    if (!perf::open_session(link, key, s)) return false;
    bool good = run_threads(s, rank, std::max(1, o.iters / 10), o) >= 0;   // warm-up
    good = link.barrier() && good;
    const double secs = good ? run_threads(s, rank, o.iters, o) : -1;
    good = secs >= 0 && good;
    if (good && rank == 0) {
        const double msgs = double(o.threads) * o.iters * o.window;
        std::printf("# threads bytes Mmsg/s library\n%d %u %.4f %s\n", o.threads, o.size, msgs / secs / 1e6,
                    perf::loaded_library_path().c_str());
    }
    return perf::close_session(link, s) && good;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse(argc, argv, o)) {
        std::fprintf(stderr,
                     "usage: %s [--threads T] [--size B] [--window W] [--iters N] [--timeout S]\n", argv[0]);
        return 2;
    }
    perf::PeerLink link;
    const int rank = link.start(argv, o.timeout_s);
    if (rank < 0) {
        std::perror("psm2-thread-rate: starting rank 1");
        return 1;
    }
    psm2_uuid_t key;
    const bool have_key = rank == 0 ? getrandom(key, sizeof key, 0) == ssize_t(sizeof key) && link.send(key, sizeof key)
                                    : link.recv(key, sizeof key);
    if (!have_key) return 1;
    const bool good = run_rank(link, rank, o, key);
    if (rank == 1) {
        if (!good) _exit(1);
        link.wait_for_release();
        return 0;
    }
    if (!good) {
        link.kill_child();
        return 1;
    }
    return link.reap_child() ? 0 : 1;
}
