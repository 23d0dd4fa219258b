// PSM1 matched queues (psm_mq.h) over our PSM2 MQ.
//
// The hot calls (isend, irecv, test, ipeek) are one conversion and one call:
// handles are the PSM2 objects, tags become 96-bit PSM2 tags as described in
// translate.h, statuses are copied field by field (error codes re-typed).
#include <new>
#include <vector>

#include "translate.h"

using psm1::to_psm1;
using psm1::to_psm2;

static_assert(PSM_MQ_FLAG_SENDSYNC == PSM2_MQ_FLAG_SENDSYNC);
static_assert(PSM_MQ_ORDERMASK_ALL == PSM2_MQ_ORDERMASK_ALL);

namespace {

psm2_error_t init(psm2_ep_t ep, uint64_t tag_order_mask, const psm_optkey *opts, int numopts,
                  psm2_mq_t *mq)
{
    // struct psm_optkey and struct psm2_optkey are distinct types of the same
    // shape; copy rather than alias.
    std::vector<psm2_optkey> opts2(static_cast<size_t>(numopts));
    for (int i = 0; i < numopts; ++i) {
        opts2[i].key = opts[i].key;
        opts2[i].value = opts[i].value;
    }
    return psm2_mq_init(ep, tag_order_mask, numopts > 0 ? opts2.data() : nullptr, numopts, mq);
}

// Whether a test/wait/ipeek answer carries a completed request's status.
bool completed(psm2_error_t err) { return err == PSM2_OK || err == PSM2_MQ_TRUNCATION; }

// Runs a PSM2 call that may rewrite a request handle (test, wait, cancel,
// ipeek) on a PSM1 handle, and copies the handle back.
template <typename Call>
psm2_error_t on_request(psm_mq_req_t *req, Call &&call)
{
    psm2_mq_req_t req2 = to_psm2(*req);
    psm2_error_t err = call(&req2);
    *req = to_psm1(req2);
    return err;
}

} // namespace

PSM1_EXPORT psm_error_t __psm_mq_init(psm_ep_t ep, uint64_t tag_order_mask,
                                      const struct psm_optkey *opts, int numopts, psm_mq_t *mq)
{
    if (mq == nullptr || numopts < 0 || (numopts > 0 && opts == nullptr))
        return PSM_PARAM_ERR;
    try {
        psm2_mq_t mq2 = nullptr;
        psm2_error_t err = init(to_psm2(ep), tag_order_mask, opts, numopts, &mq2);
        if (err == PSM2_OK)
            *mq = to_psm1(mq2);
        return to_psm1(err);
    } catch (const std::bad_alloc &) {
        return PSM_NO_MEMORY;
    }
}
PSM1_WEAK_ALIAS(psm_mq_init);

PSM1_EXPORT psm_error_t __psm_mq_finalize(psm_mq_t mq)
{
    return to_psm1(psm2_mq_finalize(to_psm2(mq)));
}
PSM1_WEAK_ALIAS(psm_mq_finalize);

PSM1_EXPORT psm_error_t __psm_mq_getopt(psm_mq_t mq, int option, void *value)
{
    return to_psm1(psm2_mq_getopt(to_psm2(mq), option, value));
}
PSM1_WEAK_ALIAS(psm_mq_getopt);

PSM1_EXPORT psm_error_t __psm_mq_setopt(psm_mq_t mq, int option, const void *value)
{
    return to_psm1(psm2_mq_setopt(to_psm2(mq), option, value));
}
PSM1_WEAK_ALIAS(psm_mq_setopt);

PSM1_EXPORT psm_error_t __psm_mq_irecv(psm_mq_t mq, uint64_t rtag, uint64_t rtagsel,
                                       uint32_t flags, void *buf, uint32_t len, void *context,
                                       psm_mq_req_t *req)
{
    if (req == nullptr)
        return PSM_PARAM_ERR;
    psm2_mq_tag_t tag = psm1::tag_from_psm1(rtag);
    psm2_mq_tag_t mask = psm1::mask_from_psm1(rtagsel);
    psm2_mq_req_t req2 = nullptr;
    psm2_error_t err = psm2_mq_irecv2(to_psm2(mq), PSM2_MQ_ANY_ADDR, &tag, &mask, flags, buf,
                                      len, context, &req2);
    *req = to_psm1(req2);
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_mq_irecv);

PSM1_EXPORT psm_error_t __psm_mq_send(psm_mq_t mq, psm_epaddr_t dest, uint32_t flags,
                                      uint64_t stag, const void *buf, uint32_t len)
{
    psm2_mq_tag_t tag = psm1::tag_from_psm1(stag);
    return to_psm1(psm2_mq_send2(to_psm2(mq), to_psm2(dest), flags, &tag, buf, len));
}
PSM1_WEAK_ALIAS(psm_mq_send);

PSM1_EXPORT psm_error_t __psm_mq_isend(psm_mq_t mq, psm_epaddr_t dest, uint32_t flags,
                                       uint64_t stag, const void *buf, uint32_t len,
                                       void *context, psm_mq_req_t *req)
{
    if (req == nullptr)
        return PSM_PARAM_ERR;
    psm2_mq_tag_t tag = psm1::tag_from_psm1(stag);
    psm2_mq_req_t req2 = nullptr;
    psm2_error_t err =
        psm2_mq_isend2(to_psm2(mq), to_psm2(dest), flags, &tag, buf, len, context, &req2);
    *req = to_psm1(req2);
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_mq_isend);

PSM1_EXPORT psm_error_t __psm_mq_iprobe(psm_mq_t mq, uint64_t rtag, uint64_t rtagsel,
                                        psm_mq_status_t *status)
{
    psm2_mq_tag_t tag = psm1::tag_from_psm1(rtag);
    psm2_mq_tag_t mask = psm1::mask_from_psm1(rtagsel);
    psm2_mq_status2_t status2{}; // always asked for: PSM1 allows a NULL status
    psm2_error_t err = psm2_mq_iprobe2(to_psm2(mq), PSM2_MQ_ANY_ADDR, &tag, &mask, &status2);
    if (err == PSM2_OK && status != nullptr)
        to_psm1(status2, status);
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_mq_iprobe);

PSM1_EXPORT psm_error_t __psm_mq_ipeek(psm_mq_t mq, psm_mq_req_t *req, psm_mq_status_t *status)
{
    if (req == nullptr)
        return PSM_PARAM_ERR;
    psm2_mq_status_t status2{};
    psm2_error_t err = on_request(req, [&](psm2_mq_req_t *r) {
        return psm2_mq_ipeek(to_psm2(mq), r, status != nullptr ? &status2 : nullptr);
    });
    if (completed(err) && status != nullptr)
        to_psm1(status2, status);
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_mq_ipeek);

PSM1_EXPORT psm_error_t __psm_mq_wait(psm_mq_req_t *request, psm_mq_status_t *status)
{
    if (request == nullptr)
        return PSM_PARAM_ERR;
    psm2_mq_status_t status2{};
    psm2_error_t err = on_request(request, [&](psm2_mq_req_t *r) {
        return psm2_mq_wait(r, status != nullptr ? &status2 : nullptr);
    });
    if (completed(err) && status != nullptr)
        to_psm1(status2, status);
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_mq_wait);

PSM1_EXPORT psm_error_t __psm_mq_test(psm_mq_req_t *request, psm_mq_status_t *status)
{
    if (request == nullptr)
        return PSM_PARAM_ERR;
    psm2_mq_status_t status2{};
    psm2_error_t err = on_request(request, [&](psm2_mq_req_t *r) {
        return psm2_mq_test(r, status != nullptr ? &status2 : nullptr);
    });
    if (completed(err) && status != nullptr)
        to_psm1(status2, status);
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_mq_test);

PSM1_EXPORT psm_error_t __psm_mq_cancel(psm_mq_req_t *req)
{
    if (req == nullptr)
        return PSM_PARAM_ERR;
    return to_psm1(on_request(req, [](psm2_mq_req_t *r) { return psm2_mq_cancel(r); }));
}
PSM1_WEAK_ALIAS(psm_mq_cancel);

PSM1_EXPORT void __psm_mq_get_stats(psm_mq_t mq, psm_mq_stats_t *stats)
{
    if (stats == nullptr)
        return;
    psm2_mq_stats_t stats2{};
    psm2_mq_get_stats(to_psm2(mq), &stats2);
    *stats = psm_mq_stats_t{};
    stats->rx_user_bytes = stats2.rx_user_bytes;
    stats->rx_user_num = stats2.rx_user_num;
    stats->rx_sys_bytes = stats2.rx_sys_bytes;
    stats->rx_sys_num = stats2.rx_sys_num;
    stats->tx_num = stats2.tx_num;
    stats->tx_eager_num = stats2.tx_eager_num;
    stats->tx_eager_bytes = stats2.tx_eager_bytes;
    stats->tx_rndv_num = stats2.tx_rndv_num;
    stats->tx_rndv_bytes = stats2.tx_rndv_bytes;
    stats->tx_shm_num = stats2.tx_shm_num;
    stats->rx_shm_num = stats2.rx_shm_num;
    stats->rx_sysbuf_num = stats2.rx_sysbuf_num;
    stats->rx_sysbuf_bytes = stats2.rx_sysbuf_bytes;
}
PSM1_WEAK_ALIAS(psm_mq_get_stats);
