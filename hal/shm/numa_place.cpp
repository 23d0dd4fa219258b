#include "hal/shm/numa_place.h"

#include <hwloc.h>
#include <numa.h>
#include <numaif.h>

#include <cerrno>
#include <cstring>

#include "hal/log.h"

namespace psm::hal::shm {

int local_numa_node() {
    // libnuma answers "is there more than one node?" from sysfs in microseconds;
    // only then is a (10 ms) hwloc topology load worth it.
    if (numa_available() < 0 || numa_max_node() <= 0) return -1;
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0) return -1;
    hwloc_topology_set_all_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
    hwloc_topology_set_type_filter(topo, HWLOC_OBJ_PU, HWLOC_TYPE_FILTER_KEEP_ALL);
    hwloc_topology_set_type_filter(topo, HWLOC_OBJ_NUMANODE, HWLOC_TYPE_FILTER_KEEP_ALL);
    int node = -1;
    if (hwloc_topology_load(topo) == 0) {
        hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
        hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
        if (hwloc_get_last_cpu_location(topo, cpus, HWLOC_CPUBIND_THREAD) == 0) {
            hwloc_cpuset_to_nodeset(topo, cpus, nodes);
            node = hwloc_bitmap_first(nodes);
        }
        hwloc_bitmap_free(nodes);
        hwloc_bitmap_free(cpus);
    }
    hwloc_topology_destroy(topo);
    return node;
}

void place_on_node(void* addr, size_t len, int node) {
    if (node < 0 || node >= static_cast<int>(sizeof(unsigned long) * 8)) return;
    unsigned long mask = 1UL << node;
    // Preferred, not bound: a full node must spill over rather than fail.
    if (mbind(addr, len, MPOL_PREFERRED, &mask, sizeof(mask) * 8, 0) != 0)
        log::trace(log::kDevices, "shm: mbind to node %d failed: %s", node, std::strerror(errno));
}

}  // namespace psm::hal::shm
