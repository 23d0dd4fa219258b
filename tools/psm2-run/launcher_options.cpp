#include "launcher_options.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace psm2run {

namespace {

void usage()
{
    std::fprintf(stderr,
        "usage: psm2-run [options] -- COMMAND [ARGS...]\n"
        "Runs COMMAND (mpirun, fi_pingpong, your program) on this libpsm2, with the\n"
        "Omni-Path device probes of Open MPI and libfabric answered for simulated units.\n"
        "  --sim gen1|gen2    enable the simulated HFI fabric of that generation\n"
        "                     (PSM2_DEVICES=self,shm,hfi); without it: PSM2_DEVICES=self,shm\n"
        "  --units N          simulated HFI units, 1..8 (default 1)\n"
        "  --loss P --reorder P --dup P --corrupt P --delay P\n"
        "                     fault rates 0..1 on the simulated fabric (needs --sim)\n"
        "  --seed S           fault injection seed (needs --sim)\n"
        "  --fabric NAME      simulated fabric name (default: unique to this run)\n"
        "  --devices LIST     PSM2_DEVICES to use instead of the default above\n"
        "  --lib DIR          directory with libpsm2.so.2 to put first on LD_LIBRARY_PATH\n"
        "                     (default: the libpsm2 installed or built beside psm2-run)\n"
        "  --no-lib           leave LD_LIBRARY_PATH alone\n"
        "  --verbose          print the environment and every answered probe\n");
}

bool parse_rate(const char* text)
{
    char* end = nullptr;
    double v = std::strtod(text, &end);
    return end != text && *end == '\0' && v >= 0.0 && v <= 1.0;
}

bool parse_count(const char* text, unsigned lo, unsigned hi, unsigned& out)
{
    char* end = nullptr;
    unsigned long v = std::strtoul(text, &end, 10);
    if (end == text || *end != '\0' || v < lo || v > hi) return false;
    out = static_cast<unsigned>(v);
    return true;
}

struct FaultFlag {
    const char* flag;
    const char* env_suffix;
};
constexpr FaultFlag fault_flags[] = {
    {"--loss", "LOSS"}, {"--reorder", "REORDER"}, {"--dup", "DUP"},
    {"--corrupt", "CORRUPT"}, {"--delay", "DELAY"},
};

}  // namespace

bool parse_launch_options(int argc, char** argv, LaunchOptions& out)
{
    int i = 1;
    for (; i < argc; ++i) {
        const char* arg = argv[i];
        if (std::strcmp(arg, "--") == 0) {
            ++i;
            break;
        }
        if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0) {
            usage();
            return false;
        }
        if (std::strcmp(arg, "--no-lib") == 0) {
            out.use_lib_dir = false;
            continue;
        }
        if (std::strcmp(arg, "--verbose") == 0) {
            out.verbose = true;
            continue;
        }
        if (arg[0] != '-') break;  // the command starts here even without "--"
        if (i + 1 >= argc) {
            std::fprintf(stderr, "psm2-run: %s needs a value\n", arg);
            usage();
            return false;
        }
        const char* value = argv[++i];
        bool ok = true;
        bool known = true;
        if (std::strcmp(arg, "--sim") == 0) {
            out.sim_gen = value;
            ok = out.sim_gen == "gen1" || out.sim_gen == "gen2";
        } else if (std::strcmp(arg, "--units") == 0) {
            ok = parse_count(value, 1, 8, out.units);
        } else if (std::strcmp(arg, "--seed") == 0) {
            unsigned seed = 0;
            ok = parse_count(value, 0, 0xffffffffu, seed);
            out.faults.emplace_back("PSM2_SIM_SEED", value);
        } else if (std::strcmp(arg, "--fabric") == 0) {
            out.fabric = value;
            ok = !out.fabric.empty() && out.fabric.find('/') == std::string::npos;
        } else if (std::strcmp(arg, "--devices") == 0) {
            out.devices = value;
        } else if (std::strcmp(arg, "--lib") == 0) {
            out.lib_dir = value;
        } else {
            known = false;
            for (const FaultFlag& f : fault_flags) {
                if (std::strcmp(arg, f.flag) == 0) {
                    known = true;
                    ok = parse_rate(value);
                    out.faults.emplace_back(std::string("PSM2_SIM_") + f.env_suffix, value);
                }
            }
        }
        if (!known || !ok) {
            std::fprintf(stderr, "psm2-run: %s %s: %s\n", arg, value, known ? "bad value" : "unknown option");
            usage();
            return false;
        }
    }
    for (; i < argc; ++i) out.command.emplace_back(argv[i]);
    if (out.command.empty()) {
        std::fprintf(stderr, "psm2-run: no command given\n");
        usage();
        return false;
    }
    if (!out.faults.empty() && out.sim_gen.empty()) {
        std::fprintf(stderr, "psm2-run: fault injection needs --sim gen1|gen2\n");
        return false;
    }
    return true;
}

}  // namespace psm2run
