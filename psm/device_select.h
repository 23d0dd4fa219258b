// PSM2_DEVICES: which devices an endpoint opens, in which order.
#pragma once

#include <string>
#include <vector>

namespace psm {

enum class DeviceKind { Self, Shm, Hfi };

struct DeviceChoice {
    std::vector<DeviceKind> kinds;      // in the user's order, duplicates removed
    std::vector<std::string> unknown;   // names we did not recognise (warned)
};

// Parses a comma/space separated list; accepts the original's aliases
// ("amsh" for shm, "ips" for hfi).
DeviceChoice parse_devices(const std::string& spec);
const char* device_kind_name(DeviceKind k);

}  // namespace psm
