// The real hfi1 character device (/dev/hfi1_N) behind hfi::Context, through
// the driver's user ABI headers (<rdma/hfi/hfi1_user.h>, hfi1_ioctl.h).
// Opening does what PSM's gen1 HAL does - GET_VERS, ASSIGN_CTXT, CTXT_INFO,
// USER_INFO, then maps the receive header queue, eager buffers and PIO
// buffers - and reports PSM2_EP_NO_DEVICE at once when no /dev/hfi1_N exists.
// Without hardware here the packet path stays minimal and untested (see the
// README); the simulated HFI carries the protocol's tests.
#pragma once

#include <memory>

#include "hal/hfi/context.h"

namespace psm::hal::hfi {

psm2_error_t open_cdev_context(const OpenRequest& req, std::unique_ptr<Context>* out);
// Path of unit's character device ("/dev/hfi1_<unit>").
std::string cdev_path(int unit);
// First unit whose device node exists, or -1 (a stat() per unit, no open).
int first_cdev_unit();

}  // namespace psm::hal::hfi
