// HFI units visible to this process: real hfi1 units from sysfs, and the
// units of the simulated fabric when PSM2_SIM names one. Answers
// psm2_info_query, psm2_ep_num_devunits and psm2-info without opening a
// context, in microseconds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace psm::hal {

struct UnitInfo {
    uint32_t unit = 0;
    bool simulated = false;
    std::string name;            // "hfi1_0" or "sim-gen1_0"
    std::string generation;      // "gen1" (100 Gb/s, 9B) or "gen2" (400 Gb/s, 16B)
    uint32_t ports = 1;
    bool port_active = false;
    uint32_t contexts = 0;
    uint32_t free_contexts = 0;
    uint32_t mtu = 0;
    uint32_t link_speed_mbps = 0;
};

std::vector<UnitInfo> discover_units();

// Link speed and MTU of a generation, for devices and info queries.
uint32_t generation_speed_mbps(const std::string& gen);
uint32_t generation_mtu(const std::string& gen);

}  // namespace psm::hal
