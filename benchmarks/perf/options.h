// Command line of psm2-perf: which pattern, which sizes, how long.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace perf {

enum class Pattern { latency, bandwidth, bibandwidth, msgrate };

struct Options {
    Pattern pattern = Pattern::latency;
    std::size_t min_size = 0;
    std::size_t max_size = std::size_t{4} << 20;  // 4 MiB
    double duration_scale = 1.0;  // < 1 shortens every measurement (smoke runs)
    unsigned window = 64;         // messages in flight for the streaming patterns
    int timeout_s = 120;          // the whole run is killed after this
    bool pin = true;              // rank r runs on the r-th allowed core
};

// Parses argv; on error or --help prints usage and returns false.
bool parse_options(int argc, char** argv, Options& out);

const char* pattern_name(Pattern p);
const char* pattern_unit(Pattern p);

// 0, 1, 2, 4, ... up to max, starting from min (0 included only if min is 0).
std::vector<std::size_t> message_sizes(const Options& o);

}  // namespace perf
