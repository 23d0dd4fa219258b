// What every rank of a threads test shares: its command line (from
// tests/multiproc's mp_launcher), one endpoint + MQ connected to every other
// rank, a message barrier, failure counting safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "psm2.h"
#include "psm2_mq.h"

namespace thr {

struct Args {
    std::string scenario;
    int threads = 8;
    int rounds = 40;            // hammer: rounds per thread
    std::string expect;         // sleepy: "progress" or "stall"
    psm2_uuid_t uuid{};
    int rank = 0, size = 0;
    std::string dir;
};

struct Session {
    Args args;
    psm2_ep_t ep = nullptr;
    psm2_mq_t mq = nullptr;
    std::vector<psm2_epaddr_t> peers;   // by rank
};

// Parses the launcher's and the scenario's flags; false on a bad line.
bool parse_args(int argc, char** argv, Args* out);

// psm2_init, ep_open, epid exchange through args.dir, connect, mq_init.
void open_session(Session& s);
void close_session(Session& s);

// Every rank sends a small message to every other and receives one from
// each: afterwards all connections are fully set up in both directions.
void barrier(Session& s, uint64_t round);

// Seconds on CLOCK_MONOTONIC (the same clock in every process of the host).
double now_s();

// Counted from any thread; the process exits 1 after too many.
void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int failures();

[[noreturn]] void die(const char* what, psm2_error_t err);

#define THR_CHECK_OK(call)                               \
    do {                                                 \
        psm2_error_t e_ = (call);                        \
        if (e_ != PSM2_OK) ::thr::die(#call, e_);        \
    } while (0)

int run_hammer(Session& s);
int run_sleepy(Session& s);

}  // namespace thr
