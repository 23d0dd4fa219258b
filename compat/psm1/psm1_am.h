/* PSM1 active-message API (the psm_am_* functions of libpsm_infinipath.so.1).
 *
 * Debian's libpsm-infinipath1-dev ships psm.h and psm_mq.h but not psm_am.h,
 * although the library exports psm_am_* and libfabric's "psm" provider calls
 * them.  This header declares that part of the ABI (names, types, values as
 * PSM 3.3 defines them) so that the shim and its tests can be compiled.
 * Plain C, usable from C and C++. */
#ifndef PSM1_AM_H
#define PSM1_AM_H

#include <stddef.h>
#include <stdint.h>

#include <psm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t psm_handler_t;
typedef void *psm_am_token_t;

#define PSM_AM_FLAG_NONE    0 /* source data must be copied before return */
#define PSM_AM_FLAG_ASYNC   1 /* caller keeps source data alive until completion */
#define PSM_AM_FLAG_NOREPLY 2 /* the handler of this request never replies */

typedef struct psm_amarg {
    union {
        struct {
            uint16_t u16w3;
            uint16_t u16w2;
            uint16_t u16w1;
            uint16_t u16w0;
        };
        struct {
            uint32_t u32w1;
            uint32_t u32w0;
        };
        uint64_t u64w0;
        uint64_t u64;
    };
} psm_amarg_t;

/* Unlike PSM2's handler, a PSM1 handler receives the sender's address. */
typedef int (*psm_am_handler_fn_t)(psm_am_token_t token, psm_epaddr_t epaddr,
                                   psm_amarg_t *args, int nargs,
                                   void *src, uint32_t len);

typedef void (*psm_am_completion_fn_t)(void *context);

struct psm_am_parameters {
    uint32_t max_handlers;      /* handlers one endpoint can register */
    uint32_t max_nargs;         /* arguments per message */
    uint32_t max_request_short; /* payload bytes of a request */
    uint32_t max_reply_short;   /* payload bytes of a reply */
};

psm_error_t psm_am_register_handlers(psm_ep_t ep,
                                     const psm_am_handler_fn_t *handlers,
                                     int num_handlers, int *handlers_idx);

psm_error_t psm_am_request_short(psm_epaddr_t epaddr, psm_handler_t handler,
                                 psm_amarg_t *args, int nargs, void *src,
                                 size_t len, int flags,
                                 psm_am_completion_fn_t completion_fn,
                                 void *completion_ctxt);

psm_error_t psm_am_reply_short(psm_am_token_t token, psm_handler_t handler,
                               psm_amarg_t *args, int nargs, void *src,
                               size_t len, int flags,
                               psm_am_completion_fn_t completion_fn,
                               void *completion_ctxt);

psm_error_t psm_am_get_parameters(psm_ep_t ep,
                                  struct psm_am_parameters *parameters,
                                  size_t sizeof_parameters_in,
                                  size_t *sizeof_parameters_out);

#ifdef __cplusplus
}
#endif

#endif /* PSM1_AM_H */
