// Fuzz target for PSM2_MULTIRAIL_MAP "unit:port,unit:port" (hal/ips
// rail_select). Input: byte 0 = units on the machine (1..8), byte 1 = ports
// per unit (1..2), the rest = the map. Invariants: an accepted map has 1 to
// kMaxRails entries, each unit and port exists, no unit is named twice in a
// conflicting way, and its canonical spelling parses to the same rails; a
// refused one says why.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "hal/ips/rail_select.h"

using namespace psm::hal::ips;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    uint32_t units = 1 + data[0] % 8, ports = 1 + data[1] % 2;
    std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
    std::vector<RailSpec> rails;
    std::string why;
    if (!parse_rail_map(text, units, ports, &rails, &why)) {
        FUZZ_CHECK(!why.empty());
        return 0;
    }
    FUZZ_CHECK(!rails.empty() && rails.size() <= kMaxRails);
    std::string again;
    for (size_t i = 0; i < rails.size(); ++i) {
        const RailSpec& r = rails[i];
        FUZZ_CHECK(r.unit >= 0 && uint32_t(r.unit) < units);
        FUZZ_CHECK(r.port >= 0 && uint32_t(r.port) <= ports);
        for (size_t j = 0; j < i; ++j)
            FUZZ_CHECK(rails[j].unit != r.unit || (rails[j].port != r.port && rails[j].port && r.port));
        again += (i ? "," : "") + std::to_string(r.unit) + (r.port ? ":" + std::to_string(r.port) : "");
    }
    std::vector<RailSpec> back;
    FUZZ_CHECK(parse_rail_map(again, units, ports, &back, &why));
    FUZZ_CHECK(back.size() == rails.size());
    for (size_t i = 0; i < back.size(); ++i)
        FUZZ_CHECK(back[i].unit == rails[i].unit && back[i].port == rails[i].port);
    return 0;
}
