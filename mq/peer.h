// The engine's view of a connected peer. psm2_epaddr_t points at one of these;
// psm/ creates it at psm2_ep_connect (after choosing the device) and the
// engine keeps its per-peer send queue in it.
#pragma once

#include <cstdint>
#include <string>

#include "hal/device.h"
#include "psm2.h"

namespace psm::mq {
class Engine;
struct PeerState;   // engine-private per-peer state (pending sends), defined in mq/
}

struct psm2_epaddr {
    psm2_epid_t epid = 0;
    psm2_ep_t ep = nullptr;              // local endpoint this address belongs to
    psm::hal::Device* dev = nullptr;     // device chosen at connect time
    psm::hal::Conn* conn = nullptr;      // device connection (conn->peer_cookie == this)
    void* user_ctxt = nullptr;           // psm2_epaddr_setctxt
    std::string label;                   // psm2_epaddr_setlabel
    psm::mq::PeerState* mq_state = nullptr;  // owned by the engine
    bool lost = false;                   // device reported the peer gone
    uint32_t magic = kMagic;             // guards against foreign pointers
    static constexpr uint32_t kMagic = 0x45504144;  // "EPAD"
};
