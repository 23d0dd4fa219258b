// psm2-perf: two-process latency / bandwidth / message-rate benchmark on the
// public PSM2 API. Built once against our headers and linked against
// libpsm2.so.2 by name, so LD_LIBRARY_PATH picks the library under test.
#include "options.h"
#include "patterns.h"
#include "peer_link.h"
#include "psm2_session.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sched.h>
#include <sys/random.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace perf;

// Rank r runs on the r-th core this process may use, so the two ranks never
// share a core (on a 2-core machine that is the whole machine).
void pin_to_core(int rank)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
    std::vector<int> cores;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &allowed)) cores.push_back(c);
    }
    if (cores.empty()) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cores[static_cast<std::size_t>(rank) % cores.size()], &one);
    sched_setaffinity(0, sizeof one, &one);
}

bool random_job_key(psm2_uuid_t key)
{
    return getrandom(key, sizeof(psm2_uuid_t), 0) == static_cast<ssize_t>(sizeof(psm2_uuid_t));
}

char* page_aligned_buffer(std::size_t size)
{
    void* p = nullptr;
    if (posix_memalign(&p, 4096, size == 0 ? 1 : size) != 0) return nullptr;
    std::memset(p, 0xa5, size);  // fault the pages in before timing
    return static_cast<char*>(p);
}

bool run_rank(PeerLink& link, int rank, const Options& o, const psm2_uuid_t key)
{
    std::unique_ptr<char, decltype(&std::free)> send(page_aligned_buffer(o.max_size), &std::free);
    std::unique_ptr<char, decltype(&std::free)> recv(page_aligned_buffer(o.max_size), &std::free);
    const Buffers buf{send.get(), recv.get()};
    if (!buf.send || !buf.recv) {
        std::fprintf(stderr, "psm2-perf: cannot allocate %zu-byte buffers\n", o.max_size);
        return false;
    }
    Session s;
    bool good = open_session(link, key, s);
    // Pinned after connecting, so each library opens its endpoint with the
    // affinity the process was started with, as in a real job.
    if (o.pin) pin_to_core(rank);
    if (good && rank == 0) {
        std::printf("# library %s%s\n", loaded_library_path().c_str(),
                    s.real_library ? " (real-library quirks allowed)" : "");
        std::printf("# mode bytes value unit\n");
        std::fflush(stdout);
    }
    for (std::size_t size : message_sizes(o)) {
        if (!good) break;
        auto value = measure(s, rank, o, o.pattern, size, buf);
        good = value.has_value() && psm2_barrier(s);
        if (good && rank == 0) {
            std::printf("%s %zu %.4f %s\n", pattern_name(o.pattern), size, *value, pattern_unit(o.pattern));
            std::fflush(stdout);
        }
    }
    // A rank that failed leaves at once (see main); only a clean run closes.
    if (!good) return false;
    return close_session(link, s);
}

}  // namespace

int main(int argc, char** argv)
{
    Options o;
    if (!parse_options(argc, argv, o)) return 2;

    PeerLink link;
    const int rank = link.start(argv, o.timeout_s);
    if (rank < 0) {
        std::perror("psm2-perf: starting rank 1");
        return 1;
    }
    // Rank 0 draws the job key and hands it to rank 1.
    psm2_uuid_t key;
    const bool have_key = rank == 0 ? random_job_key(key) && link.send(key, sizeof key)
                                    : link.recv(key, sizeof key);
    if (!have_key) {
        std::fprintf(stderr, "psm2-perf: no job key\n");
        return 1;
    }
    // On failure the peer may be blocked inside a PSM2 call waiting for us
    // and would only end at the alarm: rank 1 exits (rank 0 notices through
    // SIGCHLD), rank 0 kills rank 1.
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
