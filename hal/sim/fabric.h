// The simulated fabric's directory: one small POSIX shared-memory segment per
// fabric name ("/psm2_sim.<uid>.<name>") that records the generation, the
// number of units and, per (unit, context), the pid that owns it. Processes
// find each other through it; no switch process exists (senders write
// straight into the receiver's context segment, see sim_context.h).
//
// A context whose owner died is reclaimed by the next process that scans for
// a free one, and its segment unlinked, as shm does for stale segments.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "hal/hfi/generation.h"
#include "psm2.h"

namespace psm::hal::sim {

inline constexpr uint32_t kMaxUnits = 8;
inline constexpr uint32_t kContextsPerUnit = 128;
inline constexpr uint32_t kLidBase = 1;   // unit u of this host has LID base + u

struct FabricConfig {
    std::string name;                 // PSM2_SIM
    hfi::Generation gen = hfi::Generation::Gen1;
    uint32_t units = 1;
    uint32_t lid_base = kLidBase;     // PSM2_SIM_LID (0 = default)
};

// Reads PSM2_SIM, PSM2_SIM_GEN, PSM2_SIM_UNITS, PSM2_SIM_LID. False when the
// simulated fabric is off (PSM2_SIM empty) or misconfigured (warned).
bool config_from_env(FabricConfig* out);

class Fabric {
public:
    // Open (creating if needed) the directory. A directory that exists with
    // another generation is a mixed job: PSM2_EP_DEVICE_FAILURE, with a message.
    static psm2_error_t open(const FabricConfig& cfg, Fabric** out);
    ~Fabric();

    const FabricConfig& config() const { return cfg_; }
    // Claim a free context on unit (or on any unit when unit < 0).
    // PSM2_EP_WAS_CLOSED: the directory was removed meanwhile; open again.
    psm2_error_t claim(int unit, uint32_t* unit_out, uint32_t* ctxt_out, uint32_t* incarnation);
    void release(uint32_t unit, uint32_t ctxt);
    // Owner pid of (unit, ctxt), 0 when free or its owner is dead.
    int32_t owner(uint32_t unit, uint32_t ctxt) const;
    uint32_t incarnation(uint32_t unit, uint32_t ctxt) const;
    // Free contexts on a unit (for psm2_info_query style reports).
    uint32_t free_contexts(uint32_t unit) const;

    std::string context_segment_name(uint32_t unit, uint32_t ctxt) const;
    uint32_t lid_of(uint32_t unit) const { return cfg_.lid_base + unit; }
    // Unit that owns lid on this host, or -1.
    int unit_of(uint32_t lid) const;

    // Is the directory this process mapped still the one under its name? (The
    // last process of a job may unlink it just as a new one maps it.)
    bool still_current() const;

    // Unlink the directory and every context segment of a fabric (tests).
    static void remove(const std::string& name);

    struct Shared;   // the directory's layout (fabric.cpp)

private:
    Fabric() = default;
    FabricConfig cfg_;
    Shared* shared_ = nullptr;
    std::string seg_name_;
    uint64_t inode_ = 0;
};

std::string directory_name(const std::string& fabric);

// Usable contexts per simulated unit (context 0 is never handed out).
inline constexpr uint32_t kUsableContextsPerUnit = kContextsPerUnit - 1;
// Free contexts on unit of the fabric PSM2_SIM names, without creating or
// claiming anything (the directory may not exist yet: all free). For
// psm2_info_query / psm2-info.
uint32_t free_contexts_now(uint32_t unit);

}  // namespace psm::hal::sim
