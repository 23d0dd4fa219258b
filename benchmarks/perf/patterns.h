// The four traffic patterns, each measured between rank 0 and rank 1 of a
// Session for one message size. Only rank 0's result is meaningful.
#pragma once

#include "options.h"
#include "psm2_session.h"

#include <cstddef>
#include <optional>

namespace perf {

struct Buffers {
    char* send = nullptr;
    char* recv = nullptr;
};

// Runs pattern p for one size. Returns the value in pattern_unit(p) units, or
// nothing if a PSM2 call failed (the reason is printed).
std::optional<double> measure(const Session& s, int rank, const Options& o, Pattern p,
                              std::size_t size, const Buffers& buf);

// Both ranks leave only after both arrived, exchanging zero-byte messages
// through PSM2 itself: a rank that waited on a pipe instead would stop
// progressing the library, and its peer's rendezvous send could never finish.
bool psm2_barrier(const Session& s);

}  // namespace perf
