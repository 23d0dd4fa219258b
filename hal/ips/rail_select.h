// Which HFI units an endpoint uses as rails (PSM2_MULTIRAIL,
// PSM2_MULTIRAIL_MAP; FACTS.md section 1):
//   PSM2_MULTIRAIL=0 (default)  one rail, chosen by HFI_UNIT / HFI_PORT
//   PSM2_MULTIRAIL=1            every unit with an active port
//   PSM2_MULTIRAIL=2            the units local to the process's NUMA node
//                               (hwloc; units of unknown locality - all
//                               simulated ones - count as local)
//   PSM2_MULTIRAIL_MAP=u:p,...  exactly these units and ports, in this order
//                               (needs PSM2_MULTIRAIL set, as the original)
// At most kMaxRails rails.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "psm2.h"

namespace psm::hal::ips {

inline constexpr uint32_t kMaxRails = 4;

struct RailSpec {
    int unit = -1;   // -1 = any
    int port = 0;    // 0 = any, else 1-based
};

// The rails to open; fewer than two means "one context as usual" (a single
// entry still names the unit and port to use). PSM2_PARAM_ERR when the map
// does not parse or names units/ports that do not exist; *why says which.
psm2_error_t choose_rails(std::vector<RailSpec>* out, std::string* why);

// "unit:port,unit:port" (":port" may be left out: any port). Units must be
// below `units`, ports within `ports_per_unit`, no unit:port twice, at most
// kMaxRails entries. False with the reason in *why.
bool parse_rail_map(std::string_view text, uint32_t units, uint32_t ports_per_unit,
                    std::vector<RailSpec>* out, std::string* why);

}  // namespace psm::hal::ips
