// Conversions between the PSM1 ABI (system psm.h / psm_mq.h, psm1_am.h) and
// our PSM2 ABI (include/psm2*.h).  Everything here is inline and branch-light
// because psm_mq_isend/irecv/test run through it on every message.
#pragma once

#include <psm.h>
#include <psm_mq.h>

#include <psm2.h>
#include <psm2_am.h>
#include <psm2_mq.h>

#include <cstddef>
#include <cstdint>

#include "psm1_am.h"

// Symbols of libpsm_infinipath.so.1.  Debian's library defines each entry
// point as __psm_<name> and exports psm_<name> as a weak alias of it; clients
// link psm_<name>, and a program may interpose its own psm_<name> (profiling
// layers did).  We export the same pairs with the same bindings.
#define PSM1_EXPORT extern "C" __attribute__((visibility("default")))
#define PSM1_WEAK_ALIAS(name)                                                   \
    extern "C" __attribute__((visibility("default"), weak, alias("__" #name))) \
    decltype(name) name

namespace psm1 {

// ---- error codes --------------------------------------------------------
// PSM2 kept every PSM1 error value; it only added PSM2_IQ_INVALID_QUERY (71),
// which no call of this shim can produce.  The asserts pin the shared values,
// so mapping is the identity on them and anything unknown is internal.
#define PSM1_SAME_ERROR(name) static_assert(int(PSM_##name) == int(PSM2_##name))
PSM1_SAME_ERROR(OK);
PSM1_SAME_ERROR(OK_NO_PROGRESS);
PSM1_SAME_ERROR(PARAM_ERR);
PSM1_SAME_ERROR(NO_MEMORY);
PSM1_SAME_ERROR(INIT_NOT_INIT);
PSM1_SAME_ERROR(INIT_BAD_API_VERSION);
PSM1_SAME_ERROR(NO_AFFINITY);
PSM1_SAME_ERROR(INTERNAL_ERR);
PSM1_SAME_ERROR(SHMEM_SEGMENT_ERR);
PSM1_SAME_ERROR(OPT_READONLY);
PSM1_SAME_ERROR(TIMEOUT);
PSM1_SAME_ERROR(TOO_MANY_ENDPOINTS);
PSM1_SAME_ERROR(IS_FINALIZED);
PSM1_SAME_ERROR(EP_WAS_CLOSED);
PSM1_SAME_ERROR(EP_NO_DEVICE);
PSM1_SAME_ERROR(EP_UNIT_NOT_FOUND);
PSM1_SAME_ERROR(EP_DEVICE_FAILURE);
PSM1_SAME_ERROR(EP_CLOSE_TIMEOUT);
PSM1_SAME_ERROR(EP_NO_PORTS_AVAIL);
PSM1_SAME_ERROR(EP_NO_NETWORK);
PSM1_SAME_ERROR(EP_INVALID_UUID_KEY);
PSM1_SAME_ERROR(EP_NO_RESOURCES);
PSM1_SAME_ERROR(EPID_UNKNOWN);
PSM1_SAME_ERROR(EPID_UNREACHABLE);
PSM1_SAME_ERROR(EPID_INVALID_NODE);
PSM1_SAME_ERROR(EPID_INVALID_MTU);
PSM1_SAME_ERROR(EPID_INVALID_UUID_KEY);
PSM1_SAME_ERROR(EPID_INVALID_VERSION);
PSM1_SAME_ERROR(EPID_INVALID_CONNECT);
PSM1_SAME_ERROR(EPID_ALREADY_CONNECTED);
PSM1_SAME_ERROR(EPID_NETWORK_ERROR);
PSM1_SAME_ERROR(EPID_INVALID_PKEY);
PSM1_SAME_ERROR(EPID_PATH_RESOLUTION);
PSM1_SAME_ERROR(MQ_NO_COMPLETIONS);
PSM1_SAME_ERROR(MQ_TRUNCATION);
PSM1_SAME_ERROR(AM_INVALID_REPLY);
#undef PSM1_SAME_ERROR

constexpr bool is_psm1_error(int value) noexcept
{
    switch (value) {
    case PSM_OK: case PSM_OK_NO_PROGRESS: case PSM_PARAM_ERR: case PSM_NO_MEMORY:
    case PSM_INIT_NOT_INIT: case PSM_INIT_BAD_API_VERSION: case PSM_NO_AFFINITY:
    case PSM_INTERNAL_ERR: case PSM_SHMEM_SEGMENT_ERR: case PSM_OPT_READONLY:
    case PSM_TIMEOUT: case PSM_TOO_MANY_ENDPOINTS: case PSM_IS_FINALIZED:
    case PSM_EP_WAS_CLOSED: case PSM_EP_NO_DEVICE: case PSM_EP_UNIT_NOT_FOUND:
    case PSM_EP_DEVICE_FAILURE: case PSM_EP_CLOSE_TIMEOUT: case PSM_EP_NO_PORTS_AVAIL:
    case PSM_EP_NO_NETWORK: case PSM_EP_INVALID_UUID_KEY: case PSM_EP_NO_RESOURCES:
    case PSM_EPID_UNKNOWN: case PSM_EPID_UNREACHABLE: case PSM_EPID_INVALID_NODE:
    case PSM_EPID_INVALID_MTU: case PSM_EPID_INVALID_UUID_KEY:
    case PSM_EPID_INVALID_VERSION: case PSM_EPID_INVALID_CONNECT:
    case PSM_EPID_ALREADY_CONNECTED: case PSM_EPID_NETWORK_ERROR:
    case PSM_EPID_INVALID_PKEY: case PSM_EPID_PATH_RESOLUTION:
    case PSM_MQ_NO_COMPLETIONS: case PSM_MQ_TRUNCATION: case PSM_AM_INVALID_REPLY:
        return true;
    default:
        return false;
    }
}

inline psm_error_t to_psm1(psm2_error_t err) noexcept
{
    // PSM_OK is by far the most common answer; keep it off the switch.
    if (err == PSM2_OK) [[likely]]
        return PSM_OK;
    return is_psm1_error(err) ? static_cast<psm_error_t>(int(err)) : PSM_INTERNAL_ERR;
}

inline psm2_error_t to_psm2(psm_error_t err) noexcept
{
    return is_psm1_error(err) ? static_cast<psm2_error_t>(int(err)) : PSM2_INTERNAL_ERR;
}

// ---- handles --------------------------------------------------------------
// A PSM1 handle IS the PSM2 object: psm_ep_t points at our struct psm2_ep, and
// so on.  No wrapper objects, so nothing to allocate, look up or leak.
inline psm2_ep_t to_psm2(psm_ep_t ep) noexcept { return reinterpret_cast<psm2_ep_t>(ep); }
inline psm_ep_t to_psm1(psm2_ep_t ep) noexcept { return reinterpret_cast<psm_ep_t>(ep); }
inline psm2_mq_t to_psm2(psm_mq_t mq) noexcept { return reinterpret_cast<psm2_mq_t>(mq); }
inline psm_mq_t to_psm1(psm2_mq_t mq) noexcept { return reinterpret_cast<psm_mq_t>(mq); }
inline psm2_epaddr_t to_psm2(psm_epaddr_t a) noexcept { return reinterpret_cast<psm2_epaddr_t>(a); }
inline psm_epaddr_t to_psm1(psm2_epaddr_t a) noexcept { return reinterpret_cast<psm_epaddr_t>(a); }
inline psm2_mq_req_t to_psm2(psm_mq_req_t r) noexcept { return reinterpret_cast<psm2_mq_req_t>(r); }
inline psm_mq_req_t to_psm1(psm2_mq_req_t r) noexcept { return reinterpret_cast<psm_mq_req_t>(r); }
inline psm2_error_token_t to_psm2(psm_error_token_t t) noexcept
{
    return reinterpret_cast<psm2_error_token_t>(t);
}
inline psm_error_token_t to_psm1(psm2_error_token_t t) noexcept
{
    return reinterpret_cast<psm_error_token_t>(t);
}

// ---- tags -------------------------------------------------------------------
// A PSM1 tag is 64 bits.  It travels as the PSM2 96-bit tag {low32, high32, 0},
// which is exactly what a PSM2 sender's 64-bit psm2_mq_send puts on the wire.
// A PSM1 receive matches the low 64 bits under the caller's mask and requires
// the third word to be 0: a message whose third word is set has no PSM1 tag
// (psm_mq_status_t.msg_tag could not report it), so a PSM1 receive, even a
// full wildcard, never takes it.
inline psm2_mq_tag_t tag_from_psm1(uint64_t tag) noexcept
{
    psm2_mq_tag_t t{}; // also clears the unused fourth word
    t.tag0 = static_cast<uint32_t>(tag);
    t.tag1 = static_cast<uint32_t>(tag >> 32);
    t.tag2 = 0;
    return t;
}

inline psm2_mq_tag_t mask_from_psm1(uint64_t mask) noexcept
{
    psm2_mq_tag_t m{};
    m.tag0 = static_cast<uint32_t>(mask);
    m.tag1 = static_cast<uint32_t>(mask >> 32);
    m.tag2 = UINT32_MAX;
    return m;
}

inline uint64_t tag_to_psm1(const psm2_mq_tag_t &t) noexcept
{
    return uint64_t(t.tag0) | (uint64_t(t.tag1) << 32);
}

// ---- MQ status --------------------------------------------------------------
inline void to_psm1(const psm2_mq_status_t &in, psm_mq_status_t *out) noexcept
{
    out->msg_tag = in.msg_tag;
    out->msg_length = in.msg_length;
    out->nbytes = in.nbytes;
    out->error_code = to_psm1(in.error_code);
    out->context = in.context;
}

inline void to_psm1(const psm2_mq_status2_t &in, psm_mq_status_t *out) noexcept
{
    out->msg_tag = tag_to_psm1(in.msg_tag);
    out->msg_length = in.msg_length;
    out->nbytes = in.nbytes;
    out->error_code = to_psm1(in.error_code);
    out->context = in.context;
}

// ---- active-message arguments -------------------------------------------------
// psm_amarg_t and psm2_amarg_t are the same 8-byte union; arrays of them are
// passed through without copying.
static_assert(sizeof(psm_amarg_t) == sizeof(psm2_amarg_t));
static_assert(offsetof(psm_amarg_t, u32w0) == offsetof(psm2_amarg_t, u32w0));
static_assert(offsetof(psm_amarg_t, u16w0) == offsetof(psm2_amarg_t, u16w0));

inline psm2_amarg_t *to_psm2(psm_amarg_t *args) noexcept
{
    return reinterpret_cast<psm2_amarg_t *>(args);
}
inline psm_amarg_t *to_psm1(psm2_amarg_t *args) noexcept
{
    return reinterpret_cast<psm_amarg_t *>(args);
}

} // namespace psm1
