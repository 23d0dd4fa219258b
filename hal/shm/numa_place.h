// NUMA placement of shm segments: a receiver's rings live on the memory node
// of the core it runs on, so its polling loads stay local.
#pragma once

#include <cstddef>

namespace psm::hal::shm {

// NUMA node of the core the calling thread runs on, or -1 when the machine
// has a single node (nothing to choose) or the topology is unavailable.
int local_numa_node();

// Prefer `node` for every page of [addr, addr+len) - including pages other
// processes fault in later, since the policy of a shm mapping is shared.
void place_on_node(void* addr, size_t len, int node);

}  // namespace psm::hal::shm
