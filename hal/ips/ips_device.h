// The HFI device: the reliable protocol over an HFI user context (real hfi1
// or simulated), for both generations. psm/ opens it for "hfi" in
// PSM2_DEVICES.
#pragma once

#include <memory>

#include "psm2_am.h"   // before device.h, which uses psm2_amarg_t
#include "hal/device.h"

namespace psm::hal::ips {

// PSM2_EP_NO_DEVICE at once (no waiting) when neither a /dev/hfi1_N nor an
// enabled simulated fabric (PSM2_SIM) exists.
// With PSM2_MULTIRAIL and several units, one device over a context per rail
// (rails.h).
psm2_error_t open_hfi_device(const hal::OpenParams& params, std::unique_ptr<hal::Device>* out);

// Why this thread's last open_hfi_device failed, when there is more to say
// than the error code (a bad PSM2_MULTIRAIL_MAP, rails of mixed
// generations); "" otherwise.
const char* last_open_error();

}  // namespace psm::hal::ips
