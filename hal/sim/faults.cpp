#include "hal/sim/faults.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "hal/env.h"
#include "hal/log.h"

namespace psm::hal::sim {

namespace {

double rate(const char* name) {
    std::string v = env::get_str(name);
    if (v.empty()) return 0;
    char* end = nullptr;
    double r = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0' || !(r >= 0 && r <= 1)) {
        log::warn("%s=\"%s\" is not a rate between 0 and 1; using 0", name, v.c_str());
        return 0;
    }
    return r;
}

uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

uint64_t hash_bytes(uint64_t h, const uint8_t* p, uint32_t n) {
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        std::memcpy(&v, p + i, 8);
        h = mix(h, v);
    }
    uint64_t tail = 0;
    if (n > i) std::memcpy(&tail, p + i, n - i);   // p may be null when n == 0
    return mix(h, tail ^ n);
}

}  // namespace

FaultRates fault_rates_from_env() {
    FaultRates r;
    r.loss = rate("PSM2_SIM_LOSS");
    r.reorder = rate("PSM2_SIM_REORDER");
    r.dup = rate("PSM2_SIM_DUP");
    r.corrupt = rate("PSM2_SIM_CORRUPT");
    r.delay = rate("PSM2_SIM_DELAY");
    r.seed = static_cast<uint64_t>(env::get_int("PSM2_SIM_SEED"));
    return r;
}

uint32_t packet_checksum(const uint8_t* hdr, uint32_t hdr_len, const void* payload, uint32_t len) {
    uint64_t h = hash_bytes(0x51ed270b27a5c3e1ull, hdr, hdr_len);
    h = hash_bytes(h, static_cast<const uint8_t*>(payload), len);
    return uint32_t(h ^ (h >> 32));
}

}  // namespace psm::hal::sim
