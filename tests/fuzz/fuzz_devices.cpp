// Fuzz target for the PSM2_DEVICES list parser (psm/device_select): any
// bytes, including separators in runs, NULs and non-ASCII. Invariants: no
// kind twice, at most three, every unknown name non-empty and free of
// separators, and parsing the canonical names of the result gives it back.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "psm/device_select.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string spec(reinterpret_cast<const char*>(data), size);
    psm::DeviceChoice d = psm::parse_devices(spec);
    FUZZ_CHECK(d.kinds.size() <= 3);
    for (size_t i = 0; i < d.kinds.size(); ++i)
        for (size_t j = i + 1; j < d.kinds.size(); ++j) FUZZ_CHECK(d.kinds[i] != d.kinds[j]);
    size_t chars = 0;
    for (const std::string& u : d.unknown) {
        FUZZ_CHECK(!u.empty() && u.find_first_of(", :\t") == std::string::npos);
        chars += u.size();
    }
    FUZZ_CHECK(chars <= spec.size());
    std::string again;
    for (psm::DeviceKind k : d.kinds) again += std::string(psm::device_kind_name(k)) + ",";
    FUZZ_CHECK(psm::parse_devices(again).kinds == d.kinds);
    return 0;
}
