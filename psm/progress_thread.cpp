#include "psm/progress_thread.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stop_token>
#include <thread>

#include "hal/env.h"
#include "hal/log.h"
#include "mq/engine.h"
#include "psm/api_lock.h"
#include "psm/endpoint.h"
#include "psm/library.h"

namespace psm::progress_thread {
namespace {

// Progress rounds per wake-up at most: enough to drain a burst (an RTS, its
// pull, the acknowledgements), short enough that a user thread arriving
// meanwhile waits microseconds, not milliseconds.
constexpr int kMaxRoundsPerWake = 64;

class Worker {
public:
    Worker(psm2_ep_t ep, Frequency f)
        : ep_(ep), engine_(ep->engine), freq_(f), thread_([this](std::stop_token st) { run(st); }) {}
    ~Worker() { stop_and_join(); }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    psm2_ep_t ep() const { return ep_; }

    void stop_and_join() {
        thread_.request_stop();   // wakes the sleep below at once
        if (thread_.joinable()) thread_.join();
    }

    bool is_current_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

    // From the worker itself: it ends when the current poll returns.
    void stop_detached() {
        thread_.request_stop();
        thread_.detach();
    }

private:
    void run(std::stop_token stop) {
        // Signals are the application's business: keep them on its threads.
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        pthread_setname_np(pthread_self(), "psm2-progress");

        uint32_t hz = freq_.min_hz;
        std::unique_lock lk(sleep_mutex_);
        for (;;) {
            wake_.wait_for(lk, stop, std::chrono::microseconds(1'000'000 / hz), [] { return false; });
            if (stop.stop_requested()) return;
            lk.unlock();
            int found = poll();
            lk.lock();
            // Traffic: come back sooner; idle: back to the slow rate. A poll
            // skipped because a user thread was inside keeps the rate.
            if (found > 0) hz = std::min<uint64_t>(freq_.max_hz, uint64_t(hz) << freq_.shift);
            else if (found == 0) hz = freq_.min_hz;
        }
    }

    // Events handled, or -1 when a user thread held the API lock (it is
    // making progress itself; we do not queue behind it).
    int poll() {
        if (!g_api_lock.try_lock()) return -1;
        int found = 0;
        for (int round = 0; round < kMaxRoundsPerWake; ++round) {
            int n = mq::progress(engine_);
            if (n <= 0) break;
            found += n;
        }
        g_api_lock.unlock();
        return found;
    }

    psm2_ep_t ep_;
    mq::Engine* engine_;
    Frequency freq_;
    std::mutex sleep_mutex_;
    std::condition_variable_any wake_;
    std::jthread thread_;   // last: it starts running once the members above exist
};

// The one worker of the process (the original runs it on the first endpoint
// only). Read and written under the API lock; atomic only for the exit hook,
// which must not take that lock.
std::atomic<Worker*> g_worker{nullptr};

// A process that exits without psm2_finalize: stop polling before static
// destructors take apart what a poll would touch. The Worker itself is left
// to the exiting process.
void stop_at_exit() {
    Worker* w = g_worker.load();
    if (!w) return;
    if (w->is_current_thread()) w->stop_detached();   // exit() from a handler it ran
    else w->stop_and_join();
}

// fork() while another thread is inside the library would hand the child a
// lock held by a thread it does not have: hold the lock across fork, and let
// the child forget the worker (its Worker object is left alone; there is no
// thread to join there).
void before_fork() { g_api_lock.lock(); }
void after_fork_parent() { g_api_lock.unlock(); }
void after_fork_child() {
    g_worker.store(nullptr);
    g_api_lock.unlock();
}

bool parse_u32(std::string_view s, uint32_t* out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool has_hfi(psm2_ep_t ep) {
    return std::find(ep->device_names.begin(), ep->device_names.end(), "hfi") != ep->device_names.end();
}

}  // namespace

std::optional<Frequency> parse_frequency(std::string_view text) {
    Frequency f;
    uint32_t* fields[] = {&f.min_hz, &f.max_hz, &f.shift};
    size_t n = 0;
    while (n < 3) {
        size_t colon = text.find(':');
        if (!parse_u32(text.substr(0, colon), fields[n++])) return std::nullopt;
        if (colon == std::string_view::npos) break;
        text.remove_prefix(colon + 1);
        if (n == 3) return std::nullopt;   // a fourth field
    }
    if (n == 1) f.max_hz = std::max(f.max_hz, f.min_hz);
    if (f.min_hz == 0 || f.max_hz < f.min_hz || f.max_hz > 1'000'000 || f.shift > 16) return std::nullopt;
    return f;
}

void maybe_start(psm2_ep_t ep) {
    // Once per process that opens an endpoint, thread or not: fork() from
    // one thread while another is inside the library (a user thread in a
    // wait, or ours in a poll) must not leave the child a held lock.
    static std::once_flag hooks;
    std::call_once(hooks, [] {
        std::atexit(stop_at_exit);
        pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    });
    if (g_worker.load(std::memory_order_relaxed)) return;
    const auto& eps = library().endpoints;
    if (eps.size() != 1 || eps.front() != ep) return;
    // Unset: on for an HFI endpoint, as the original. Set: the user decides,
    // and nonzero also serves a shm-only endpoint.
    bool wanted = env::raw("PSM2_RCVTHREAD") ? env::get_int("PSM2_RCVTHREAD") != 0 : has_hfi(ep);
    if (!wanted) return;
    Frequency freq;
    std::string text = env::get_str("PSM2_RCVTHREAD_FREQ");
    if (auto f = parse_frequency(text)) freq = *f;
    else log::warn("PSM2_RCVTHREAD_FREQ=\"%s\" is not min:max:shift in Hz; using 10:100:1", text.c_str());

    try {
        g_worker.store(new Worker(ep, freq));
    } catch (const std::exception& e) {
        // No thread (resource limits): the endpoint works without one.
        log::warn("progress thread not started: %s", e.what());
        return;
    }
    log::trace(log::kDevices, "progress thread started for endpoint %u (%u..%u Hz, shift %u)", ep->index,
               freq.min_hz, freq.max_hz, freq.shift);
}

void stop_for(psm2_ep_t ep) {
    Worker* w = g_worker.load(std::memory_order_relaxed);
    if (!w || w->ep() != ep) return;
    g_worker.store(nullptr);
    if (w->is_current_thread()) {
        // An AM handler run by the thread closed its own endpoint: the
        // thread cannot join itself; it ends after this poll, and its few
        // bytes are left behind rather than freed under its feet.
        w->stop_detached();
        return;
    }
    delete w;   // joins: the thread never waits for the API lock we hold
}

bool running_for(psm2_ep_t ep) {
    ApiGuard g;
    Worker* w = g_worker.load(std::memory_order_relaxed);
    return w && w->ep() == ep;
}

}  // namespace psm::progress_thread
