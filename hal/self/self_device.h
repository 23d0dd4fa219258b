// Loopback device: an endpoint talking to itself, and endpoints of the same
// process talking to each other (PSM2_MULTI_EP). Messages are queued and
// delivered from progress(), never from inside the send call, so the engine
// is not re-entered while it is in the middle of a send.
#pragma once

#include <memory>

#include "hal/device.h"

namespace psm::hal {

psm2_error_t open_self_device(const OpenParams& params, std::unique_ptr<Device>* out);

}  // namespace psm::hal
