// psm2_init / psm2_finalize / capabilities / uuid. Nothing expensive happens
// at load time or in init: no clock calibration, no device probing (devices
// are opened by psm2_ep_open, and only those PSM2_DEVICES names).
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "hal/env.h"
#include "psm/api_lock.h"
#include "psm/endpoint.h"
#include "psm/error.h"
#include "psm/identify.h"
#include "psm/library.h"

using psm::ApiGuard;

// Exported data object of the original (8 bytes, the capability bits this
// build supports); some clients read it instead of calling
// psm2_get_capability_mask.
extern "C" __attribute__((visibility("default"))) uint64_t psm2_capabilities_bitset =
    PSM2_MULTI_EP_CAP | PSM2_LIB_REFCOUNT_CAP;

extern "C" psm2_error_t psm2_init(int* api_verno_major, int* api_verno_minor) {
    ApiGuard g;
    if (api_verno_major == nullptr || api_verno_minor == nullptr)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_init: NULL version pointer");
    // PSM2 accepts callers written for its own major and for the PSM1
    // compatibility major; anything else was built for another API.
    if (*api_verno_major != PSM2_VERNO_MAJOR && *api_verno_major != PSM2_VERNO_COMPAT_MAJOR) {
        int asked = *api_verno_major;
        *api_verno_major = PSM2_VERNO_MAJOR;
        *api_verno_minor = PSM2_VERNO_MINOR;
        return psm::raise(nullptr, PSM2_INIT_BAD_API_VERSION,
                          "psm2_init: caller wants API major %d, this library provides %d.%d", asked,
                          PSM2_VERNO_MAJOR, PSM2_VERNO_MINOR);
    }
    *api_verno_major = PSM2_VERNO_MAJOR;
    *api_verno_minor = PSM2_VERNO_MINOR;

    psm::Library& lib = psm::library();
    if (lib.init_refcount++ == 0) {
        psm::env::warn_unknown_once();
        psm::print_verbose_env_once();
        psm::print_identify_once();
    }
    return PSM2_OK;
}

extern "C" uint64_t psm2_get_capability_mask(uint64_t req_cap_mask) {
    return req_cap_mask & (PSM2_MULTI_EP_CAP | PSM2_LIB_REFCOUNT_CAP);
}

namespace psm {
psm2_error_t close_all_endpoints_for_finalize();
}

extern "C" psm2_error_t psm2_finalize(void) {
    ApiGuard g;
    psm::Library& lib = psm::library();
    if (lib.init_refcount == 0) {
        if (lib.ever_finalized)
            return psm::raise(nullptr, PSM2_IS_FINALIZED, "psm2_finalize: already finalized");
        return psm::raise(nullptr, PSM2_INIT_NOT_INIT, "psm2_finalize: called before psm2_init");
    }
    if (lib.init_refcount == 1 && psm::called_from_callback("psm2_finalize")) return PSM2_PARAM_ERR;
    if (--lib.init_refcount > 0) return PSM2_OK;
    // Endpoints the caller forgot to close are closed here, so that their
    // shared-memory segments are unlinked before the process exits.
    psm2_error_t err = psm::close_all_endpoints_for_finalize();
    lib.retired_epaddrs.clear();
    lib.closed_handles.clear();
    lib.ever_finalized = true;
    return err;
}

extern "C" void psm2_uuid_generate(psm2_uuid_t uuid_out) {
    if (uuid_out == nullptr) return;
    bool filled = false;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        filled = read(fd, uuid_out, sizeof(psm2_uuid_t)) == static_cast<ssize_t>(sizeof(psm2_uuid_t));
        close(fd);
    }
    if (!filled) {
        // No /dev/urandom (odd containers): fall back to something unique
        // enough for a job key - pid, time and the stack address.
        uint64_t a = static_cast<uint64_t>(getpid()) << 32 ^ static_cast<uint64_t>(time(nullptr));
        uint64_t b = reinterpret_cast<uintptr_t>(&a) ^ (a * 0x9E3779B97F4A7C15ull);
        std::memcpy(uuid_out, &a, 8);
        std::memcpy(uuid_out + 8, &b, 8);
    }
    uuid_out[6] = static_cast<unsigned char>((uuid_out[6] & 0x0f) | 0x40);  // version 4
    uuid_out[8] = static_cast<unsigned char>((uuid_out[8] & 0x3f) | 0x80);  // RFC 4122 variant
}
