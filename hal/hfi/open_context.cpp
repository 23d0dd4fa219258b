#include <memory>

#include "hal/hfi/cdev_context.h"
#include "hal/hfi/context.h"
#include "hal/sim/sim_context.h"

namespace psm::hal::hfi {

bool device_present() {
    sim::FabricConfig cfg;
    return sim::config_from_env(&cfg) || first_cdev_unit() >= 0;
}

psm2_error_t open_context(const OpenRequest& req, std::unique_ptr<Context>* out) {
    sim::FabricConfig cfg;
    if (sim::config_from_env(&cfg)) return sim::SimContext::open(cfg, req, out);
    return open_cdev_context(req, out);
}

}  // namespace psm::hal::hfi
