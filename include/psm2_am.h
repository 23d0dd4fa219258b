/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * psm2_am.h - active messages: a short request runs a registered handler
 * on the peer, which may send back at most one reply (running a handler on
 * the requester). Arguments are a few 64-bit words plus a small payload.
 * Handlers run during psm2_poll or another PSM2 call on the target and must
 * not block; requests on one connection run in issue order.
 *
 * Binary compatible with the libpsm2 11.2 header; see psm2.h.
 */
#ifndef PSM2_AM_H
#define PSM2_AM_H

#include <stddef.h>
#include <stdint.h>
#include <psm2.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Index of a registered handler on the target. */
typedef uint32_t psm2_handler_t;

/* Opaque token given to a handler; names the request for a reply. */
typedef void *psm2_am_token_t;

/* Flags of request_short/reply_short; may be or-ed. */
#define PSM2_AM_FLAG_NONE	0	/* default */
#define PSM2_AM_FLAG_ASYNC	1	/* do not copy src: it stays valid until completion */
#define PSM2_AM_FLAG_NOREPLY	2	/* the handler promises not to reply */

/* One 64-bit AM argument, viewable as 16, 32 or 64-bit words.
   (__extension__ keeps -pedantic quiet about the anonymous members.) */
typedef
struct psm2_amarg {
	__extension__ union {
		__extension__ struct {
			uint16_t u16w3;
			uint16_t u16w2;
			uint16_t u16w1;
			uint16_t u16w0;
		};
		__extension__ struct {
			uint32_t u32w1;
			uint32_t u32w0;
		};
		uint64_t u64w0;
		uint64_t u64;
	};
} psm2_amarg_t;

/* Handler: args/nargs are the arguments, src/len the payload (valid only
   during the call). A request handler may reply once through token; a
   reply handler must not. Return 0. */
typedef
int (*psm2_am_handler_fn_t) (psm2_am_token_t token,
			     psm2_amarg_t *args, int nargs,
			     void *src, uint32_t len);

/* Handler that also receives the hctx pointer given at registration. */
typedef
int (*psm2_am_handler_2_fn_t) (psm2_am_token_t token,
			       psm2_amarg_t *args, int nargs,
			       void *src, uint32_t len, void *hctx);

/* Called on the sender once the remote handler has run. */
typedef
void (*psm2_am_completion_fn_t) (void *context);

/* Add num_handlers handlers to ep's table (may be called again to add
   more); handlers_idx[i] receives the index peers use for handlers[i], so
   processes that register in the same order agree on indices.
   Errors: PSM2_PARAM_ERR, PSM2_EP_NO_RESOURCES (table full). */
psm2_error_t psm2_am_register_handlers(psm2_ep_t ep,
				       const psm2_am_handler_fn_t *
				       handlers, int num_handlers,
				       int *handlers_idx);

/* As psm2_am_register_handlers, with a context pointer per handler. */
psm2_error_t psm2_am_register_handlers_2(psm2_ep_t ep,
					 const psm2_am_handler_2_fn_t *
					 handlers, int num_handlers,
					 void **hctx,
					 int *handlers_idx);

/* Remove every handler registered on ep. */
void psm2_am_unregister_handlers(psm2_ep_t ep);

/* Run handler on epaddr with nargs arguments (at most max_nargs) and len
   bytes of src (at most max_request_short); args and, without
   PSM2_AM_FLAG_ASYNC, src may be reused on return. completion_fn
   (completion_ctxt), if given, runs locally once the remote handler has run.
   Errors: PSM2_PARAM_ERR (bad handler, too many args, payload too long),
   PSM2_NO_MEMORY. */
psm2_error_t
psm2_am_request_short(psm2_epaddr_t epaddr, psm2_handler_t handler,
		      psm2_amarg_t *args, int nargs, void *src,
		      size_t len, int flags,
		      psm2_am_completion_fn_t completion_fn,
		      void *completion_ctxt);

/* From inside a request handler: run handler on the requester (limits as
   request_short, with max_reply_short). At most once per request, never
   for a PSM2_AM_FLAG_NOREPLY request. Errors: PSM2_AM_INVALID_REPLY (not
   in a request handler, or a second reply), PSM2_PARAM_ERR. */
psm2_error_t
psm2_am_reply_short(psm2_am_token_t token, psm2_handler_t handler,
		    psm2_amarg_t *args, int nargs, void *src,
		    size_t len, int flags,
		    psm2_am_completion_fn_t completion_fn,
		    void *completion_ctxt);

/* From inside a handler: the peer that sent the message.
   Errors: PSM2_PARAM_ERR. */
psm2_error_t psm2_am_get_source(psm2_am_token_t token,
				psm2_epaddr_t *epaddr_out);

/* Limits of the AM layer. */
struct psm2_am_parameters {
	uint32_t max_handlers;		/* handler table size */
	uint32_t max_nargs;		/* most arguments per message */
	uint32_t max_request_short;	/* largest request payload, bytes */
	uint32_t max_reply_short;	/* largest reply payload, bytes */
};

/* Copy up to sizeof_parameters_in bytes of the limits into *parameters;
   *sizeof_parameters_out gets the bytes written.
   Errors: PSM2_PARAM_ERR. */
psm2_error_t
psm2_am_get_parameters(psm2_ep_t ep,
		       struct psm2_am_parameters *parameters,
		       size_t sizeof_parameters_in,
		       size_t *sizeof_parameters_out);

#ifdef __cplusplus
}
#endif
#endif /* PSM2_AM_H */
