#include "hal/units.h"

#include <glob.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "hal/env.h"
#include "hal/sim/fabric.h"

namespace psm::hal {
namespace {

std::string read_line(const std::string& path) {
    std::ifstream f(path);
    std::string s;
    std::getline(f, s);
    return s;
}

uint32_t read_u32(const std::string& path, uint32_t def) {
    std::string s = read_line(path);
    if (s.empty()) return def;
    return static_cast<uint32_t>(std::strtoul(s.c_str(), nullptr, 0));
}

}  // namespace

uint32_t generation_speed_mbps(const std::string& gen) { return gen == "gen2" ? 400000 : 100000; }
uint32_t generation_mtu(const std::string& gen) { return gen == "gen2" ? 10240 : 8192; }

std::vector<UnitInfo> discover_units() {
    std::vector<UnitInfo> units;
    glob_t g{};
    if (glob("/sys/class/infiniband/hfi1_[0-9]*", 0, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) {
            std::string dir = g.gl_pathv[i];
            UnitInfo u;
            u.unit = static_cast<uint32_t>(units.size());
            u.name = dir.substr(dir.rfind('/') + 1);
            u.generation = "gen1";
            u.port_active = read_line(dir + "/ports/1/state").find("ACTIVE") != std::string::npos;
            u.contexts = read_u32(dir + "/nctxts", 0);
            u.free_contexts = read_u32(dir + "/nfreectxts", 0);
            u.mtu = generation_mtu(u.generation);
            u.link_speed_mbps = generation_speed_mbps(u.generation);
            units.push_back(u);
        }
    }
    globfree(&g);
    if (!psm::env::get_str("PSM2_SIM").empty()) {
        std::string gen = psm::env::get_str("PSM2_SIM_GEN");
        int64_t n = psm::env::get_int("PSM2_SIM_UNITS");
        if (n < 1) n = 1;
        if (n > 8) n = 8;
        for (int64_t i = 0; i < n; ++i) {
            UnitInfo u;
            u.unit = static_cast<uint32_t>(units.size());
            u.simulated = true;
            u.name = "sim-" + gen + "_" + std::to_string(i);
            u.generation = gen;
            u.port_active = true;
            u.contexts = sim::kUsableContextsPerUnit;
            u.free_contexts = sim::free_contexts_now(static_cast<uint32_t>(i));
            u.mtu = generation_mtu(gen);
            u.link_speed_mbps = generation_speed_mbps(gen);
            units.push_back(u);
        }
    }
    return units;
}

}  // namespace psm::hal
