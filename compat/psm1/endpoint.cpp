// PSM1 endpoint calls (psm.h): open/close, connect, queries, forwarded to our
// PSM2.  Where PSM1 and PSM2 structs differ in layout (open options, epinfo)
// or arrays hold PSM1-typed elements, values are copied field by field.
#include <cstring>
#include <new>
#include <vector>

#include "am_handlers.h"
#include "error_handlers.h"
#include "translate.h"

using psm1::to_psm1;
using psm1::to_psm2;

namespace {

// psm.h (PSM_VERNO 0x0110) and psm2.h list the same option fields; psm.h's
// outvl only exists for PSM_VERNO <= 0x010a.  The path-resolution enums share
// their values.
static_assert(int(PSM_PATH_RES_NONE) == int(PSM2_PATH_RES_NONE));
static_assert(int(PSM_PATH_RES_OPP) == int(PSM2_PATH_RES_OPP));
static_assert(int(PSM_PATH_RES_UMAD) == int(PSM2_PATH_RES_UMAD));
static_assert(PSM_EP_CLOSE_GRACEFUL == PSM2_EP_CLOSE_GRACEFUL);
static_assert(PSM_EP_CLOSE_FORCE == PSM2_EP_CLOSE_FORCE);

psm2_ep_open_opts to_psm2_opts(const psm_ep_open_opts &in)
{
    psm2_ep_open_opts out{};
    out.timeout = in.timeout;
    out.unit = in.unit;
    out.affinity = in.affinity;
    out.shm_mbytes = in.shm_mbytes;
    out.sendbufs_num = in.sendbufs_num;
    out.network_pkey = in.network_pkey;
    out.port = in.port;
    out.outsl = in.outsl;
    out.service_id = in.service_id;
    out.path_res_type = static_cast<psm2_path_res_t>(int(in.path_res_type));
    out.senddesc_num = in.senddesc_num;
    out.imm_size = in.imm_size;
    return out;
}

psm_ep_open_opts to_psm1_opts(const psm2_ep_open_opts &in)
{
    psm_ep_open_opts out{};
    out.timeout = in.timeout;
    out.unit = in.unit;
    out.affinity = in.affinity;
    out.shm_mbytes = in.shm_mbytes;
    out.sendbufs_num = in.sendbufs_num;
    out.network_pkey = in.network_pkey;
    out.port = in.port;
    out.outsl = in.outsl;
    out.service_id = in.service_id;
    out.path_res_type = static_cast<psm_path_res_t>(int(in.path_res_type));
    out.senddesc_num = in.senddesc_num;
    out.imm_size = in.imm_size;
    return out;
}

psm2_error_t connect(psm2_ep_t ep, int num, const psm_epid_t *epids, const int *mask,
                     psm_error_t *errors, psm_epaddr_t *epaddrs, int64_t timeout)
{
    const size_t n = static_cast<size_t>(num);
    std::vector<psm2_error_t> errors2(n, PSM2_OK);
    std::vector<psm2_epaddr_t> epaddrs2(n, nullptr);
    psm2_error_t err =
        psm2_ep_connect(ep, num, epids, mask, errors2.data(), epaddrs2.data(), timeout);
    // Only the entries the caller asked for are results; the others stay as
    // the caller left them, as PSM1 promises.
    for (size_t i = 0; i < n; ++i) {
        if (mask != nullptr && mask[i] == 0)
            continue;
        errors[i] = to_psm1(errors2[i]);
        epaddrs[i] = to_psm1(epaddrs2[i]);
    }
    return err;
}

psm2_error_t query(int *num, psm_epinfo_t *infos)
{
    // psm2_epinfo_t has an extra field (jkey), so the arrays differ in stride.
    std::vector<psm2_epinfo_t> infos2(static_cast<size_t>(*num));
    int count = *num;
    psm2_error_t err = psm2_ep_query(&count, infos2.data());
    if (err != PSM2_OK)
        return err;
    for (int i = 0; i < count && i < *num; ++i) {
        infos[i].ep = to_psm1(infos2[i].ep);
        infos[i].epid = infos2[i].epid;
        static_assert(sizeof infos[i].uuid == sizeof infos2[i].uuid);
        std::memcpy(infos[i].uuid, infos2[i].uuid, sizeof infos[i].uuid);
        static_assert(sizeof infos[i].uuid_str == sizeof infos2[i].uuid_str);
        std::memcpy(infos[i].uuid_str, infos2[i].uuid_str, sizeof infos[i].uuid_str);
    }
    *num = count;
    return PSM2_OK;
}

} // namespace

PSM1_EXPORT psm_error_t __psm_ep_open(const psm_uuid_t unique_job_key,
                                      const struct psm_ep_open_opts *opts, psm_ep_t *ep,
                                      psm_epid_t *epid)
{
    if (ep == nullptr)
        return PSM_PARAM_ERR;
    psm2_ep_open_opts opts2;
    if (opts != nullptr)
        opts2 = to_psm2_opts(*opts);
    psm2_ep_t ep2 = nullptr;
    psm2_error_t err = psm2_ep_open(unique_job_key, opts ? &opts2 : nullptr, &ep2, epid);
    if (err == PSM2_OK)
        *ep = to_psm1(ep2);
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_ep_open);

PSM1_EXPORT psm_error_t __psm_ep_open_opts_get_defaults(struct psm_ep_open_opts *opts)
{
    if (opts == nullptr)
        return PSM_PARAM_ERR;
    psm2_ep_open_opts opts2{};
    psm2_error_t err = psm2_ep_open_opts_get_defaults(&opts2);
    if (err == PSM2_OK)
        *opts = to_psm1_opts(opts2);
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_ep_open_opts_get_defaults);

PSM1_EXPORT psm_error_t __psm_ep_epid_share_memory(psm_ep_t ep, psm_epid_t epid, int *result)
{
    return to_psm1(psm2_ep_epid_share_memory(to_psm2(ep), epid, result));
}
PSM1_WEAK_ALIAS(psm_ep_epid_share_memory);

PSM1_EXPORT psm_error_t __psm_ep_close(psm_ep_t ep, int mode, int64_t timeout)
{
    psm2_error_t err = psm2_ep_close(to_psm2(ep), mode, timeout);
    // Even a close that timed out has torn the endpoint down; its handlers
    // can no longer be called.
    if (err == PSM2_OK || err == PSM2_EP_CLOSE_TIMEOUT) {
        psm1::forget_am_handlers(to_psm2(ep));
        psm1::forget_error_handler(to_psm2(ep));
    }
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_ep_close);

PSM1_EXPORT psm_error_t __psm_ep_connect(psm_ep_t ep, int num_of_epid,
                                         const psm_epid_t *array_of_epid,
                                         const int *array_of_epid_mask,
                                         psm_error_t *array_of_errors,
                                         psm_epaddr_t *array_of_epaddr, int64_t timeout)
{
    if (num_of_epid < 0 ||
        (num_of_epid > 0 &&
         (array_of_epid == nullptr || array_of_errors == nullptr || array_of_epaddr == nullptr)))
        return PSM_PARAM_ERR;
    try {
        return to_psm1(connect(to_psm2(ep), num_of_epid, array_of_epid, array_of_epid_mask,
                               array_of_errors, array_of_epaddr, timeout));
    } catch (const std::bad_alloc &) {
        return PSM_NO_MEMORY;
    }
}
PSM1_WEAK_ALIAS(psm_ep_connect);

PSM1_EXPORT psm_error_t __psm_ep_query(int *num_of_epinfo, psm_epinfo_t *array_of_epinfo)
{
    if (num_of_epinfo == nullptr || *num_of_epinfo < 0 ||
        (*num_of_epinfo > 0 && array_of_epinfo == nullptr))
        return PSM_PARAM_ERR;
    try {
        return to_psm1(query(num_of_epinfo, array_of_epinfo));
    } catch (const std::bad_alloc &) {
        return PSM_NO_MEMORY;
    }
}
PSM1_WEAK_ALIAS(psm_ep_query);

PSM1_EXPORT psm_error_t __psm_ep_epid_lookup(psm_epid_t epid, psm_epconn_t *epconn)
{
    if (epconn == nullptr)
        return PSM_PARAM_ERR;
    psm2_epconn_t conn2{};
    psm2_error_t err = psm2_ep_epid_lookup(epid, &conn2);
    if (err == PSM2_OK) {
        epconn->addr = to_psm1(conn2.addr);
        epconn->ep = to_psm1(conn2.ep);
        epconn->mq = to_psm1(conn2.mq);
    }
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_ep_epid_lookup);
