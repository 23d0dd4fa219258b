// Multirail: one endpoint, one HFI context per rail (PSM2_MULTIRAIL; which
// units in rail_select.h), and to the engine still one device.
//
// - Rail 0's context gives the endpoint its epid. Its handshake tells the
//   peer the epids of the other rails; connecting to a peer then connects
//   rail k to the peer's rail k as well.
// - Eager messages, RTS and active messages travel on rail 0 only, so
//   per-peer MPI ordering is rail 0's.
// - A rendezvous of at least kStripeMinBytes is striped: the sender exposes
//   the buffer on every rail it has up to that peer and says so in the RTS;
//   the receiver asks each rail both sides have for one slice (CTS windows
//   per rail). The sender's completion is rail 0's: the receiver asks for
//   the last bytes of rail 0's slice only after every other slice landed,
//   and a slice whose rail failed is fetched again over rail 0.
#pragma once

#include <memory>
#include <vector>

#include "psm2_am.h"   // before device.h, which uses psm2_amarg_t
#include "hal/device.h"
#include "hal/hfi/context.h"
#include "hal/ips/rail_select.h"

namespace psm::hal::ips {

inline constexpr uint32_t kStripeMinBytes = 256u << 10;

// Opens a context on each rail and the device over them. Contexts of
// different generations are refused (PSM2_EP_DEVICE_FAILURE, *why says so).
psm2_error_t open_rails_device(const OpenParams& params, const std::vector<RailSpec>& rails,
                               std::unique_ptr<Device>* out, std::string* why);
// The same over contexts already open (tests).
psm2_error_t make_rails_device(const OpenParams& params, std::vector<std::unique_ptr<hfi::Context>> contexts,
                               std::unique_ptr<Device>* out, std::string* why);

// What each rail carried, for tests and the close-time trace.
struct RailCounters {
    uint32_t unit = 0;
    psm2_epid_t epid = 0;
    uint64_t packets_sent = 0;
    uint64_t rndv_bytes_sent = 0;
};
// One entry per rail of a multirail device; empty for any other device.
std::vector<RailCounters> rail_counters(const Device& d);

}  // namespace psm::hal::ips
