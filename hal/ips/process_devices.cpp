#include "hal/ips/process_devices.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "hal/ips/ips_device_impl.h"

namespace psm::hal::ips {
namespace {

struct Registry {
    std::mutex mu;   // open/close may come from different threads
    std::vector<IpsDevice*> devices;
};

Registry& registry() {
    static Registry r;
    return r;
}

}  // namespace

void register_device(IpsDevice* d) {
    std::lock_guard lk(registry().mu);
    registry().devices.push_back(d);
}

void unregister_device(IpsDevice* d) {
    std::lock_guard lk(registry().mu);
    std::erase(registry().devices, d);
}

void poll_other_devices(const IpsDevice* except) {
    std::lock_guard lk(registry().mu);
    for (IpsDevice* d : registry().devices)
        if (d != except) d->poll_quietly();
}

}  // namespace psm::hal::ips
