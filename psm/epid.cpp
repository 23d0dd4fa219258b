#include "psm/epid.h"

extern "C" uint64_t psm2_epid_nid(psm2_epid_t epid) {
    // The node id of an HFI endpoint is its LID; a shm-only endpoint has no
    // fabric address, its "node" is the process that owns it.
    if (psm::epid::is_shm_only(epid)) return psm::epid::pid(epid);
    return psm::epid::lid(epid);
}

extern "C" uint64_t psm2_epid_context(psm2_epid_t epid) { return psm::epid::context(epid); }

extern "C" uint64_t psm2_epid_port(psm2_epid_t epid) {
    // Format 2 carries no port: an HFI endpoint always sits on its unit's
    // single port (1); shm-only endpoints have none.
    if (!psm::epid::is_valid(epid) || psm::epid::is_shm_only(epid)) return 0;
    return 1;
}
