// One rank of a threads test, started by tests/multiproc's mp_launcher
// (which owns the timeout and the cleanup of processes and /dev/shm).
//   --scenario hammer [--threads N] [--rounds R]   (hammer.cpp)
//   --scenario sleepy --expect progress|stall      (sleepy_receiver.cpp)
#include <cstdio>

#include "worker_session.h"

int main(int argc, char** argv) {
    thr::Session s;
    if (!thr::parse_args(argc, argv, &s.args)) {
        std::fprintf(stderr,
                     "usage: %s --scenario hammer|sleepy [--threads N] [--rounds R] [--expect progress|stall] "
                     "--uuid U --rank R --size N --dir D\n",
                     argv[0]);
        return 2;
    }
    thr::open_session(s);
    thr::barrier(s, 1);
    int failed = s.args.scenario == "hammer" ? thr::run_hammer(s)
                 : s.args.scenario == "sleepy" ? thr::run_sleepy(s)
                                               : (thr::fail("unknown scenario %s", s.args.scenario.c_str()), 1);
    thr::barrier(s, 2);
    thr::close_session(s);
    if (failed == 0) std::fprintf(stderr, "rank %d: all checks passed\n", s.args.rank);
    return failed ? 1 : 0;
}
