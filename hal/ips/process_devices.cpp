#include "hal/ips/process_devices.h"

#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "hal/ips/ips_device_impl.h"

namespace psm::hal::ips {
namespace {

struct Registry {
    std::mutex mu;   // open/close may come from different threads
    std::vector<IpsDevice*> devices;
    // A forked child inherits the list, but the devices in it are its
    // parent's (their receive queues too): a child never polls those.
    pid_t owner = 0;

    void forget_parents() {
        if (owner == getpid()) return;
        devices.clear();
        owner = getpid();
    }
};

// Never destroyed: psm2_finalize may run from another library's destructor
// at exit (libfabric's), after this file's statics would be gone.
Registry& registry() {
    static Registry* r = new Registry;
    return *r;
}

}  // namespace

void register_device(IpsDevice* d) {
    std::lock_guard lk(registry().mu);
    registry().forget_parents();
    registry().devices.push_back(d);
}

void unregister_device(IpsDevice* d) {
    std::lock_guard lk(registry().mu);
    std::erase(registry().devices, d);
}

void poll_other_devices(const IpsDevice* except) {
    std::lock_guard lk(registry().mu);
    registry().forget_parents();
    for (IpsDevice* d : registry().devices)
        if (d != except) d->poll_quietly();
}

}  // namespace psm::hal::ips
