#include "options.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace perf {

namespace {

void usage(const char* argv0)
{
    std::fprintf(stderr,
        "usage: %s [--mode latency|bw|bibw|msgrate] [--min-size B] [--max-size B]\n"
        "          [--window N] [--scale F] [--timeout S] [--no-pin]\n"
        "Forks a second process; both talk over the PSM2 API (PSM2_DEVICES decides the\n"
        "device). Prints one line per size: '<mode> <bytes> <value> <unit>'.\n"
        "Environment: PSM2PERF_REAL_LIBRARY=1 tolerates the quirks of Debian's\n"
        "libpsm2 11.2.185 (psm2_init returns PSM2_INTERNAL_ERR without hardware,\n"
        "psm2_finalize crashes) so the same binary can measure it.\n",
        argv0);
}

bool parse_size(const char* text, std::size_t& out)
{
    char* end = nullptr;
    unsigned long long v = std::strtoull(text, &end, 0);
    if (end == text) return false;
    switch (*end) {
        case 'k': case 'K': v <<= 10; ++end; break;
        case 'm': case 'M': v <<= 20; ++end; break;
        default: break;
    }
    if (*end != '\0') return false;
    out = static_cast<std::size_t>(v);
    return true;
}

bool parse_pattern(const char* text, Pattern& out)
{
    struct Name { const char* text; Pattern p; };
    static constexpr Name names[] = {
        {"latency", Pattern::latency}, {"lat", Pattern::latency},
        {"bw", Pattern::bandwidth}, {"bandwidth", Pattern::bandwidth},
        {"bibw", Pattern::bibandwidth}, {"bibandwidth", Pattern::bibandwidth},
        {"msgrate", Pattern::msgrate}, {"rate", Pattern::msgrate},
    };
    for (const Name& n : names) {
        if (std::strcmp(text, n.text) == 0) {
            out = n.p;
            return true;
        }
    }
    return false;
}

}  // namespace

bool parse_options(int argc, char** argv, Options& out)
{
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        const char* value = (i + 1 < argc) ? argv[i + 1] : nullptr;
        bool ok = true;
        if (std::strcmp(arg, "--no-pin") == 0) {
            out.pin = false;
            continue;
        }
        if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0 || !value) {
            usage(argv[0]);
            return false;
        }
        if (std::strcmp(arg, "--mode") == 0) {
            ok = parse_pattern(value, out.pattern);
        } else if (std::strcmp(arg, "--min-size") == 0) {
            ok = parse_size(value, out.min_size);
        } else if (std::strcmp(arg, "--max-size") == 0) {
            ok = parse_size(value, out.max_size);
        } else if (std::strcmp(arg, "--window") == 0) {
            out.window = static_cast<unsigned>(std::atoi(value));
            ok = out.window > 0 && out.window <= 4096;
        } else if (std::strcmp(arg, "--scale") == 0) {
            out.duration_scale = std::atof(value);
            ok = out.duration_scale > 0;
        } else if (std::strcmp(arg, "--timeout") == 0) {
            out.timeout_s = std::atoi(value);
            ok = out.timeout_s > 0;
        } else {
            ok = false;
        }
        if (!ok) {
            std::fprintf(stderr, "psm2-perf: bad argument %s %s\n", arg, value);
            usage(argv[0]);
            return false;
        }
        ++i;
    }
    if (out.min_size > out.max_size || out.max_size > (std::size_t{1} << 30)) {
        std::fprintf(stderr, "psm2-perf: sizes must satisfy min <= max <= 1 GiB\n");
        return false;
    }
    return true;
}

const char* pattern_name(Pattern p)
{
    switch (p) {
        case Pattern::latency: return "latency";
        case Pattern::bandwidth: return "bw";
        case Pattern::bibandwidth: return "bibw";
        case Pattern::msgrate: return "msgrate";
    }
    return "?";
}

const char* pattern_unit(Pattern p)
{
    switch (p) {
        case Pattern::latency: return "us";
        case Pattern::bandwidth:
        case Pattern::bibandwidth: return "MB/s";
        case Pattern::msgrate: return "Mmsg/s";
    }
    return "?";
}

std::vector<std::size_t> message_sizes(const Options& o)
{
    std::vector<std::size_t> sizes;
    if (o.min_size == 0) sizes.push_back(0);
    for (std::size_t s = 1; s <= o.max_size; s <<= 1) {
        if (s >= o.min_size) sizes.push_back(s);
    }
    return sizes;
}

}  // namespace perf
