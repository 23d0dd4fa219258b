// psm2_map_nid_hostname: the original keeps nid -> hostname pairs only to
// print friendlier error messages; so do we.
#include <map>
#include <string>

#include "psm/api_lock.h"
#include "psm/error.h"
#include "psm/library.h"

namespace psm {
std::map<uint64_t, std::string>& nid_hostnames() {
    static std::map<uint64_t, std::string> m;
    return m;
}
}  // namespace psm

extern "C" psm2_error_t psm2_map_nid_hostname(int num, const uint64_t* nids, const char** hostnames) {
    psm::ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_map_nid_hostname"); e != PSM2_OK) return e;
    if (num < 0 || (num > 0 && (nids == nullptr || hostnames == nullptr)))
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_map_nid_hostname: bad count or NULL array");
    for (int i = 0; i < num; ++i) {
        if (hostnames[i] == nullptr) continue;
        psm::nid_hostnames()[nids[i]] = hostnames[i];
    }
    return PSM2_OK;
}
