// struct psm2_ep: one endpoint, its devices (in PSM2_DEVICES order), its
// engine and its connected peers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "hal/device.h"
#include "mq/engine.h"
#include "psm/peer_adopter.h"
#include "psm2.h"

struct psm2_ep {
    static constexpr uint32_t kMagic = 0x50534d45;  // "PSME"
    uint32_t magic = kMagic;
    uint32_t index = 0;                  // endpoint number in this process
    psm2_epid_t epid = 0;
    psm2_uuid_t uuid{};
    psm2_ep_open_opts opts{};
    psm2_ep_errhandler_t errhandler = nullptr;  // nullptr = use the global handler
    std::vector<std::unique_ptr<psm::PeerAdopter>> sinks;     // one per device, same order
    std::vector<std::unique_ptr<psm::hal::Device>> devices;   // PSM2_DEVICES order
    std::vector<std::string> device_names;                    // as opened, for the banner
    psm::mq::Engine* engine = nullptr;
    std::unordered_map<psm2_epid_t, std::unique_ptr<psm2_epaddr>> peers;
    // Disconnected addresses stay allocated (magic cleared) until close, so a
    // caller's stale psm2_epaddr_t is detected instead of dereferenced freed.
    std::vector<std::unique_ptr<psm2_epaddr>> retired;
    bool mq_initialized = false;
};

namespace psm {

// Live endpoints of this process (for validation of user pointers).
bool is_live_endpoint(psm2_ep_t ep);

// The epaddr if p is a connected peer of some open endpoint, else nullptr;
// never dereferences p before it is known to be one of ours (slow paths).
psm2_epaddr* find_live_epaddr(const void* p);

// Tear down one peer: engine first (pending requests fail), then the device.
void remove_peer(psm2_ep_t ep, psm2_epaddr* addr);

// Destroy an endpoint and everything it owns (used by close and finalize).
void destroy_endpoint(psm2_ep_t ep);

}  // namespace psm
