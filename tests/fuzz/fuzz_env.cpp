// Fuzz target for the environment/config parsers: the typed getters of
// hal/env (PSM2_* integers and booleans), PSM2_ERRCHK_TIMEOUT "min:max:factor"
// and the other knobs the HFI device derives its settings from
// (ips::settings_from_env), and the PSM2_DEVICES list (psm/device_select).
// A job's environment is set by whoever launches it, so nothing here may
// crash, and every derived setting must stay in its documented range.
//
// Input: lines "NAME=value" (NAME chosen among the variables below by its
// first byte when it is not a known name); each sets one variable.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "hal/env.h"
#include "hal/hfi/context.h"
#include "hal/ips/ips_device_impl.h"
#include "psm/device_select.h"

namespace {

const char* const kVars[] = {
    "PSM2_DEVICES", "PSM2_ERRCHK_TIMEOUT", "PSM2_MTU", "PSM2_FLOW_CREDITS",
    "PSM2_MQ_RNDV_HFI_THRESH", "PSM2_MQ_RNDV_HFI_WINDOW", "PSM2_CONNECT_TIMEOUT",
    "PSM2_PEER_TIMEOUT", "PSM2_MULTIRAIL_MAP", "PSM2_MULTIRAIL", "PSM2_TRACEMASK",
    "PSM2_MQ_RNDV_SHM_THRESH", "PSM2_YIELD_SPIN_COUNT", "PSM2_KASSIST_MODE",
    "PSM2_MEMORY", "PSM2_IDENTIFY",
};
constexpr size_t kNumVars = sizeof kVars / sizeof kVars[0];

void check_settings(psm::hal::hfi::Generation g) {
    using namespace psm::hal;
    hfi::ContextInfo info;
    info.gen = g;
    info.mtu = hfi::generation_info(g).max_mtu;
    info.tid_max_bytes = 1u << 20;
    ips::Settings s = ips::settings_from_env(info);
    FUZZ_CHECK(s.mtu >= 2048 && s.mtu <= info.mtu);
    FUZZ_CHECK(s.window >= 4 && s.window <= 1024);
    FUZZ_CHECK(s.rndv_window >= s.mtu && s.rndv_window <= info.tid_max_bytes);
    FUZZ_CHECK(s.rndv_window % s.mtu == 0);
    FUZZ_CHECK(s.connect_timeout_ns >= 0);
    // The retransmit timer: a positive floor, a ceiling above it, growth.
    FUZZ_CHECK(s.timer.min_ns > 0 && s.timer.min_ns <= s.timer.max_ns);
    FUZZ_CHECK(s.timer.factor >= 1);
}

void check_devices() {
    std::string spec = psm::env::get_str("PSM2_DEVICES");
    psm::DeviceChoice d = psm::parse_devices(spec);
    FUZZ_CHECK(d.kinds.size() <= 3);
    for (size_t i = 0; i < d.kinds.size(); ++i)
        for (size_t j = i + 1; j < d.kinds.size(); ++j) FUZZ_CHECK(d.kinds[i] != d.kinds[j]);
    size_t chars = 0;
    for (const std::string& u : d.unknown) {
        FUZZ_CHECK(!u.empty());
        FUZZ_CHECK(u.find_first_of(", :\t") == std::string::npos);
        chars += u.size();
    }
    FUZZ_CHECK(chars <= spec.size());
    // Parsing the canonical names of what was chosen gives the same choice.
    std::string again;
    for (psm::DeviceKind k : d.kinds) again += std::string(psm::device_kind_name(k)) + ",";
    FUZZ_CHECK(psm::parse_devices(again).kinds == d.kinds);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    setenv("PSM2_NO_WARN", "1", 1);   // unparsable values are warned about: keep the log short
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    for (const char* v : kVars) unsetenv(v);
    std::string in(reinterpret_cast<const char*>(data), size);
    size_t pos = 0;
    while (pos < in.size()) {
        size_t nl = in.find('\n', pos);
        std::string line = in.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? in.size() : nl + 1;
        if (line.empty()) continue;
        size_t eq = line.find('=');
        std::string name = eq == std::string::npos ? "" : line.substr(0, eq);
        std::string value = eq == std::string::npos ? line.substr(1) : line.substr(eq + 1);
        bool known = false;
        for (const char* v : kVars) known = known || name == v;
        if (!known) name = kVars[uint8_t(line[0]) % kNumVars];
        value = value.substr(0, value.find('\0'));   // the environment holds C strings
        setenv(name.c_str(), value.c_str(), 1);
    }
    for (const char* v : kVars) {
        (void)psm::env::get_int(v);
        (void)psm::env::get_bool(v);
        (void)psm::env::get_str(v);
    }
    check_settings(psm::hal::hfi::Generation::Gen1);
    check_settings(psm::hal::hfi::Generation::Gen2);
    check_devices();
    return 0;
}
