// Fault injection for the simulated fabric: each packet a sender puts on the
// wire may be lost, corrupted, duplicated, reordered (held back behind the
// next one) or delayed, each with its own rate. The random stream is seeded
// (PSM2_SIM_SEED mixed with the sender's LID and context) so that a failing
// run can be replayed with the same settings.
#pragma once

#include <cstdint>

namespace psm::hal::sim {

struct FaultRates {
    double loss = 0, reorder = 0, dup = 0, corrupt = 0, delay = 0;
    uint64_t seed = 1;
    bool any() const { return loss > 0 || reorder > 0 || dup > 0 || corrupt > 0 || delay > 0; }
};

// Reads PSM2_SIM_LOSS/REORDER/DUP/CORRUPT/DELAY (rates 0..1) and PSM2_SIM_SEED.
FaultRates fault_rates_from_env();

enum FaultAction : uint32_t {
    kDeliver = 0,
    kDrop = 1,
    kCorrupt = 2,
    kDuplicate = 4,
    kReorder = 8,
    kDelay = 16,
};

class FaultInjector {
public:
    FaultInjector() = default;
    FaultInjector(const FaultRates& r, uint64_t stream) : rates_(r), state_(r.seed ^ (stream * 0x9e3779b97f4a7c15ull)) {
        if (state_ == 0) state_ = 1;
    }
    bool enabled() const { return rates_.any(); }
    // What happens to the next packet (a set of FaultAction bits).
    uint32_t next() {
        if (!rates_.any()) return kDeliver;
        if (chance(rates_.loss)) return kDrop;
        uint32_t a = kDeliver;
        if (chance(rates_.corrupt)) a |= kCorrupt;
        if (chance(rates_.dup)) a |= kDuplicate;
        if (chance(rates_.reorder)) a |= kReorder;
        else if (chance(rates_.delay)) a |= kDelay;
        return a;
    }
    uint64_t random() {
        // xorshift64*: small, fast, and reproducible across runs.
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        return state_ * 0x2545f4914f6cdd1dull;
    }

private:
    bool chance(double rate) {
        return rate > 0 && double(random() >> 11) * 0x1.0p-53 < rate;
    }
    FaultRates rates_;
    uint64_t state_ = 1;
};

// Integrity check the simulated link uses in place of the ICRC.
uint32_t packet_checksum(const uint8_t* hdr, uint32_t hdr_len, const void* payload, uint32_t len);

}  // namespace psm::hal::sim
