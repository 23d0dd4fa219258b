// PSM1 library-wide calls (psm.h): init/finalize, errors, epid fields, uuid,
// options, progress and endpoint-address labels, forwarded to our PSM2.
#include <new>

#include "am_handlers.h"
#include "error_handlers.h"
#include "translate.h"

using psm1::to_psm1;
using psm1::to_psm2;

// psm_init speaks the PSM1 version protocol: the caller passes the major
// version it was compiled for (PSM_VERNO_MAJOR = 1), and gets back the
// version this library implements, 1.16 (the psm.h on this system).
// The psm2-compat library of the original PSM2 answered with PSM2's own
// version instead.  libfabric's psm provider reads a major above 1 as "PSM2
// underneath" and then (a) expects PSM2-style AM handlers, and (b) refuses to
// run without an /dev/hfi1_* device - which would make this shim useless on
// machines with only shared memory.  Answering 1.16 keeps every PSM1 client
// on its PSM1 path, which the shim implements fully (see am.cpp).
PSM1_EXPORT psm_error_t __psm_init(int *api_verno_major, int *api_verno_minor)
{
    if (api_verno_major == nullptr || api_verno_minor == nullptr)
        return PSM_PARAM_ERR;
    if (*api_verno_major != PSM_VERNO_MAJOR)
        return PSM_INIT_BAD_API_VERSION;
    int major = PSM2_VERNO_MAJOR;
    int minor = PSM2_VERNO_MINOR;
    psm2_error_t err = psm2_init(&major, &minor);
    if (err != PSM2_OK)
        return to_psm1(err);
    *api_verno_major = PSM_VERNO_MAJOR;
    *api_verno_minor = PSM_VERNO_MINOR;
    return PSM_OK;
}
PSM1_WEAK_ALIAS(psm_init);

PSM1_EXPORT psm_error_t __psm_finalize(void)
{
    psm2_error_t err = psm2_finalize();
    if (err == PSM2_OK) {
        // psm2_finalize closed every endpoint still open.
        psm1::forget_all_am_handlers();
        psm1::forget_all_endpoint_error_handlers();
    }
    return to_psm1(err);
}
PSM1_WEAK_ALIAS(psm_finalize);

PSM1_EXPORT psm_error_t __psm_error_register_handler(psm_ep_t ep,
                                                     const psm_ep_errhandler_t errhandler)
{
    try {
        return to_psm1(psm1::register_error_handler(to_psm2(ep), errhandler));
    } catch (const std::bad_alloc &) {
        return PSM_NO_MEMORY;
    }
}
PSM1_WEAK_ALIAS(psm_error_register_handler);

PSM1_EXPORT psm_error_t __psm_error_defer(psm_error_token_t err_token)
{
    return to_psm1(psm2_error_defer(to_psm2(err_token)));
}
PSM1_WEAK_ALIAS(psm_error_defer);

PSM1_EXPORT const char *__psm_error_get_string(psm_error_t error)
{
    // Unknown values go through unchanged: PSM2 has its own text for them.
    return psm2_error_get_string(static_cast<psm2_error_t>(int(error)));
}
PSM1_WEAK_ALIAS(psm_error_get_string);

// psm_epid_t and psm2_epid_t are both uint64_t: the epid a PSM1 client
// exchanges out of band is our PSM2 epid, so its fields are PSM2's.
PSM1_EXPORT uint64_t __psm_epid_nid(psm_epid_t epid) { return psm2_epid_nid(epid); }
PSM1_WEAK_ALIAS(psm_epid_nid);

PSM1_EXPORT uint64_t __psm_epid_context(psm_epid_t epid) { return psm2_epid_context(epid); }
PSM1_WEAK_ALIAS(psm_epid_context);

PSM1_EXPORT uint64_t __psm_epid_port(psm_epid_t epid) { return psm2_epid_port(epid); }
PSM1_WEAK_ALIAS(psm_epid_port);

PSM1_EXPORT psm_error_t __psm_ep_num_devunits(uint32_t *num_units)
{
    return to_psm1(psm2_ep_num_devunits(num_units));
}
PSM1_WEAK_ALIAS(psm_ep_num_devunits);

PSM1_EXPORT void __psm_uuid_generate(psm_uuid_t uuid_out) { psm2_uuid_generate(uuid_out); }
PSM1_WEAK_ALIAS(psm_uuid_generate);

PSM1_EXPORT psm_error_t __psm_map_nid_hostname(int num, const uint64_t *nids,
                                               const char **hostnames)
{
    return to_psm1(psm2_map_nid_hostname(num, nids, hostnames));
}
PSM1_WEAK_ALIAS(psm_map_nid_hostname);

PSM1_EXPORT psm_error_t __psm_poll(psm_ep_t ep) { return to_psm1(psm2_poll(to_psm2(ep))); }
PSM1_WEAK_ALIAS(psm_poll);

PSM1_EXPORT void __psm_epaddr_setlabel(psm_epaddr_t epaddr, const char *epaddr_label_string)
{
    psm2_epaddr_setlabel(to_psm2(epaddr), epaddr_label_string);
}
PSM1_WEAK_ALIAS(psm_epaddr_setlabel);

PSM1_EXPORT void __psm_epaddr_setctxt(psm_epaddr_t epaddr, void *ctxt)
{
    psm2_epaddr_setctxt(to_psm2(epaddr), ctxt);
}
PSM1_WEAK_ALIAS(psm_epaddr_setctxt);

PSM1_EXPORT void *__psm_epaddr_getctxt(psm_epaddr_t epaddr)
{
    return psm2_epaddr_getctxt(to_psm2(epaddr));
}
PSM1_WEAK_ALIAS(psm_epaddr_getctxt);

// Components and option keys kept their numbers in PSM2 (CORE 0, MQ 1, AM 2,
// IB 3; 0x101 debug ... 0x401 AM fragment size), and a component object is the
// PSM2 object itself, so options pass straight through.
static_assert(int(PSM_COMPONENT_CORE) == int(PSM2_COMPONENT_CORE));
static_assert(int(PSM_COMPONENT_MQ) == int(PSM2_COMPONENT_MQ));
static_assert(int(PSM_COMPONENT_AM) == int(PSM2_COMPONENT_AM));
static_assert(int(PSM_COMPONENT_IB) == int(PSM2_COMPONENT_IB));
static_assert(PSM_CORE_OPT_DEBUG == PSM2_CORE_OPT_DEBUG);
static_assert(PSM_CORE_OPT_EP_CTXT == PSM2_CORE_OPT_EP_CTXT);
static_assert(PSM_IB_OPT_DF_SL == PSM2_IB_OPT_DF_SL);
static_assert(PSM_IB_OPT_EP_SL == PSM2_IB_OPT_EP_SL);
static_assert(PSM_MQ_OPT_RNDV_IB_SZ == PSM2_MQ_OPT_RNDV_IB_SZ);
static_assert(PSM_MQ_OPT_RNDV_SHM_SZ == PSM2_MQ_OPT_RNDV_SHM_SZ);
static_assert(PSM_MQ_OPT_SYSBUF_MYBYTES == PSM2_MQ_OPT_SYSBUF_MYBYTES);
static_assert(PSM_AM_OPT_FRAG_SZ == PSM2_AM_OPT_FRAG_SZ);

PSM1_EXPORT psm_error_t __psm_setopt(psm_component_t component, const void *component_obj,
                                     int optname, const void *optval, uint64_t optlen)
{
    return to_psm1(psm2_setopt(static_cast<psm2_component_t>(int(component)), component_obj,
                               optname, optval, optlen));
}
PSM1_WEAK_ALIAS(psm_setopt);

PSM1_EXPORT psm_error_t __psm_getopt(psm_component_t component, const void *component_obj,
                                     int optname, void *optval, uint64_t *optlen)
{
    return to_psm1(psm2_getopt(static_cast<psm2_component_t>(int(component)), component_obj,
                               optname, optval, optlen));
}
PSM1_WEAK_ALIAS(psm_getopt);
