#include "psm2.h"

#include "psm/c_enum.h"
#include "psm/visibility.h"

// Messages in the order of enum psm2_error; a code without a text here is
// reported as unknown rather than indexing past a table.
extern "C" PSM2_EXPORT const char* psm2_error_get_string(psm2_error_t error) {
    switch (psm::c_enum_value(error)) {
    case PSM2_OK: return "Success";
    case PSM2_OK_NO_PROGRESS: return "Success, but no progress was made";
    case PSM2_PARAM_ERR: return "Invalid parameter";
    case PSM2_NO_MEMORY: return "Out of memory";
    case PSM2_INIT_NOT_INIT: return "PSM2 has not been initialized (call psm2_init first)";
    case PSM2_INIT_BAD_API_VERSION: return "Incompatible PSM2 API version";
    case PSM2_NO_AFFINITY: return "No CPU affinity could be set";
    case PSM2_INTERNAL_ERR: return "Internal PSM2 error";
    case PSM2_SHMEM_SEGMENT_ERR: return "Shared-memory segment error";
    case PSM2_OPT_READONLY: return "Option is read-only";
    case PSM2_TIMEOUT: return "Operation timed out";
    case PSM2_TOO_MANY_ENDPOINTS: return "Too many endpoints (set PSM2_MULTI_EP=1 for more than one per process)";
    case PSM2_IS_FINALIZED: return "PSM2 has been finalized";
    case PSM2_EP_WAS_CLOSED: return "Endpoint was closed";
    case PSM2_EP_NO_DEVICE: return "No device available";
    case PSM2_EP_UNIT_NOT_FOUND: return "Requested HFI unit not found";
    case PSM2_EP_DEVICE_FAILURE: return "Device failure";
    case PSM2_EP_CLOSE_TIMEOUT: return "Endpoint close timed out";
    case PSM2_EP_NO_PORTS_AVAIL: return "No free ports or contexts on the device";
    case PSM2_EP_NO_NETWORK: return "No network connectivity (port down)";
    case PSM2_EP_INVALID_UUID_KEY: return "Invalid UUID key";
    case PSM2_EP_NO_RESOURCES: return "Out of endpoint resources, try again later";
    case PSM2_EPID_UNKNOWN: return "Unknown endpoint id";
    case PSM2_EPID_UNREACHABLE: return "Endpoint id is unreachable";
    case PSM2_EPID_INVALID_NODE: return "Endpoint id names an invalid node";
    case PSM2_EPID_INVALID_MTU: return "Endpoint id has an incompatible MTU";
    case PSM2_EPID_INVALID_UUID_KEY: return "Peer uses a different UUID key (another job)";
    case PSM2_EPID_INVALID_VERSION: return "Peer uses an incompatible protocol or epid version";
    case PSM2_EPID_INVALID_CONNECT: return "Invalid connect request";
    case PSM2_EPID_ALREADY_CONNECTED: return "Endpoint id is already connected";
    case PSM2_EPID_NETWORK_ERROR: return "Network error while connecting";
    case PSM2_EPID_INVALID_PKEY: return "Peer uses a different partition key";
    case PSM2_EPID_PATH_RESOLUTION: return "Path resolution failed";
    case PSM2_MQ_NO_COMPLETIONS: return "No MQ completions available";
    case PSM2_MQ_TRUNCATION: return "Message was truncated (receive buffer too small)";
    case PSM2_AM_INVALID_REPLY: return "Invalid AM reply";
    case PSM2_IQ_INVALID_QUERY: return "Invalid info query";
    default: return "Unknown PSM2 error code";
    }
}
