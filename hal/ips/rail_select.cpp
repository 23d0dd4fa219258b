#include "hal/ips/rail_select.h"

#include <hwloc.h>

#include <charconv>
#include <fstream>

#include "hal/env.h"
#include "hal/log.h"
#include "hal/units.h"

namespace psm::hal::ips {
namespace {

bool parse_uint(std::string_view s, int* out) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && end == s.data() + s.size() && *out >= 0;
}

// NUMA node of a real unit from sysfs; -1 when unknown (and for simulated
// units, which have no place in the machine).
int unit_numa_node(const UnitInfo& u) {
    if (u.simulated) return -1;
    std::ifstream f("/sys/class/infiniband/" + u.name + "/device/numa_node");
    int node = -1;
    if (!(f >> node)) return -1;
    return node;
}

// The NUMA nodes the process may run on (its CPU binding), as a bitmask;
// all ones when hwloc cannot tell.
uint64_t process_numa_nodes() {
    uint64_t mask = ~0ull;
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0) return mask;
    if (hwloc_topology_load(topo) == 0) {
        hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
        hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
        if (hwloc_get_cpubind(topo, cpus, HWLOC_CPUBIND_PROCESS) == 0) {
            hwloc_cpuset_to_nodeset(topo, cpus, nodes);
            mask = 0;
            for (int n = hwloc_bitmap_first(nodes); n >= 0 && n < 64; n = hwloc_bitmap_next(nodes, n))
                mask |= 1ull << n;
        }
        hwloc_bitmap_free(nodes);
        hwloc_bitmap_free(cpus);
    }
    hwloc_topology_destroy(topo);
    return mask;
}

}  // namespace

bool parse_rail_map(std::string_view text, uint32_t units, uint32_t ports_per_unit,
                    std::vector<RailSpec>* out, std::string* why) {
    out->clear();
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
        size_t colon = item.find(':');
        RailSpec r;
        std::string_view unit = item.substr(0, colon);
        if (!parse_uint(unit, &r.unit) ||
            (colon != std::string_view::npos && !parse_uint(item.substr(colon + 1), &r.port))) {
            *why = "entry \"" + std::string(item) + "\" is not unit:port";
            return false;
        }
        if (uint32_t(r.unit) >= units) {
            *why = "unit " + std::to_string(r.unit) + " does not exist (" + std::to_string(units) + " unit(s))";
            return false;
        }
        if (uint32_t(r.port) > ports_per_unit) {
            *why = "unit " + std::to_string(r.unit) + " has no port " + std::to_string(r.port);
            return false;
        }
        for (const RailSpec& o : *out)
            if (o.unit == r.unit && (o.port == r.port || o.port == 0 || r.port == 0)) {
                *why = "unit " + std::to_string(r.unit) + " is listed twice";
                return false;
            }
        if (out->size() == kMaxRails) {
            *why = "more than " + std::to_string(kMaxRails) + " rails";
            return false;
        }
        out->push_back(r);
    }
    return true;
}

psm2_error_t choose_rails(std::vector<RailSpec>* out, std::string* why) {
    out->clear();
    int64_t mode = env::get_int("PSM2_MULTIRAIL");
    std::string map = env::get_str("PSM2_MULTIRAIL_MAP");
    if (mode <= 0) {
        if (!map.empty()) log::warn("PSM2_MULTIRAIL_MAP is ignored unless PSM2_MULTIRAIL is 1 or 2");
        return PSM2_OK;
    }
    std::vector<UnitInfo> units = discover_units();
    if (!map.empty()) {
        uint32_t ports = 1;
        for (const UnitInfo& u : units) ports = std::max(ports, u.ports);
        if (!parse_rail_map(map, uint32_t(units.size()), ports, out, why)) {
            *why = "PSM2_MULTIRAIL_MAP=\"" + map + "\": " + *why;
            out->clear();
            return PSM2_PARAM_ERR;
        }
        return PSM2_OK;
    }
    uint64_t local = mode == 2 ? process_numa_nodes() : ~0ull;
    for (const UnitInfo& u : units) {
        if (!u.port_active) continue;
        int node = unit_numa_node(u);
        if (node >= 0 && node < 64 && !(local >> node & 1)) {
            log::trace(log::kDevices, "multirail: unit %u is on NUMA node %d, not this process's; skipped", u.unit, node);
            continue;
        }
        if (out->size() < kMaxRails) out->push_back(RailSpec{int(u.unit), 0});
    }
    return PSM2_OK;
}

}  // namespace psm::hal::ips
