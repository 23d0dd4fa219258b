// Two processes on one host and the pipes between them: used to exchange the
// job key and epids and to line the ranks up around a measurement. Rank 1 is
// a fresh exec of the same binary, not a bare fork: a library whose load-time
// constructor already ran in the parent (Debian's libpsm2 calibrates clocks
// and caches process state there) must not be inherited half-initialised.
#pragma once

#include <cstddef>
#include <sys/types.h>

namespace perf {

class PeerLink {
public:
    // Rank 0: forks and re-executes argv[0] as rank 1. Rank 1 (the exec'ed
    // copy): picks up the pipes. Returns the rank, or -1 on error. Both
    // processes get an alarm of timeout_s seconds (default action: die), and
    // rank 1 dies with rank 0, so a hang never outlives the run.
    int start(char** argv, int timeout_s);

    // Whole-buffer transfers to the other rank; false if the peer is gone.
    bool send(const void* data, std::size_t len);
    bool recv(void* data, std::size_t len);

    // Both ranks leave only after both arrived.
    bool barrier();

    // Rank 1: blocks until rank 0 calls reap_child (EOF on the pipe), so
    // rank 0 can tell an early death of rank 1 from a normal end.
    void wait_for_release();

    // Rank 0: reaps rank 1; true if it exited with status 0.
    bool reap_child();

    // Rank 0, after a failure: ends rank 1 and reaps it.
    void kill_child();

private:
    int fork_rank1(char** argv, int timeout_s);

    int to_peer_ = -1;
    int from_peer_ = -1;
    pid_t child_ = -1;
};

}  // namespace perf
