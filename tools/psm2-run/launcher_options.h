// Command line of psm2-run and the environment it turns into.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace psm2run {

struct LaunchOptions {
    std::string sim_gen;        // "", "gen1" or "gen2"
    unsigned units = 1;         // simulated units the probes report (1..8)
    std::string fabric;         // simulated fabric name (default: unique per run)
    std::string devices;        // PSM2_DEVICES override
    std::string lib_dir;        // prepended to LD_LIBRARY_PATH ("" = auto)
    bool use_lib_dir = true;
    bool verbose = false;
    // Fault injection on the simulated fabric: PSM2_SIM_<NAME> values.
    std::vector<std::pair<std::string, std::string>> faults;
    std::vector<std::string> command;
};

// Parses argv; prints the problem and usage and returns false on error.
bool parse_launch_options(int argc, char** argv, LaunchOptions& out);

}  // namespace psm2run
