// The intra-node shared-memory device ("shm"): lock-free rings in POSIX shm
// for small messages and control, single-copy CMA (or a bounce pipeline
// through the rings when CMA is refused) for rendezvous.
#pragma once

#include <memory>

#include "psm2_am.h"   // psm2_amarg_t, used by hal/device.h
#include "hal/device.h"

namespace psm::hal {

// Opens the device for one endpoint. params.epid must be the endpoint's epid
// (the segment is named after it); params.sink receives every upcall.
psm2_error_t open_shm_device(const OpenParams& params, std::unique_ptr<Device>* out);

}  // namespace psm::hal
