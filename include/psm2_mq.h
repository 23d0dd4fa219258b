/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * psm2_mq.h - matched queues: tagged point-to-point messages.
 *
 * A receive matches a message when ((msg_tag ^ recv_tag) & recv_tagsel) is
 * zero (64-bit tags in the plain calls, 96-bit psm2_mq_tag_t in the "2"
 * calls) and, for the "2" calls, the source matches or is
 * PSM2_MQ_ANY_ADDR. Messages between two endpoints match in send order.
 *
 * Binary compatible with the libpsm2 11.2 header; see psm2.h.
 */
#ifndef PSM2_MQ_H
#define PSM2_MQ_H

#include <psm2.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Create the matched queue of ep. The second argument is unused (was a tag
   order mask); opts/numopts set initial PSM2_MQ_OPT_* values.
   Errors: PSM2_PARAM_ERR, PSM2_NO_MEMORY. */
psm2_error_t
psm2_mq_init(psm2_ep_t ep, uint64_t ignored,
	     const struct psm2_optkey *opts, int numopts, psm2_mq_t *mq);

/* Historic order masks for psm2_mq_init's unused argument. */
#define PSM2_MQ_ORDERMASK_NONE	0ULL
#define PSM2_MQ_ORDERMASK_ALL	0xffffffffffffffffULL

/* Release mq; the endpoint should be closed after. Errors: PSM2_PARAM_ERR. */
psm2_error_t
psm2_mq_finalize(psm2_mq_t mq);

/* 32-bit words in a psm2_mq_tag_t (three used, one for alignment). */
#define PSM2_MQ_TAG_ELEMENTS 4

/* 96-bit tag, 16 bytes with padding. __extension__ keeps -pedantic C++
   quiet about the anonymous struct; it does not change the layout. */
typedef
union psm2_mq_tag {
	uint32_t tag[PSM2_MQ_TAG_ELEMENTS];
	__extension__ struct {
		uint32_t tag0;	/* bits 0..31 */
		uint32_t tag1;	/* bits 32..63 */
		uint32_t tag2;	/* bits 64..95 */
	};
} psm2_mq_tag_t;

/* Completion record of the 64-bit tag calls. */
typedef
struct psm2_mq_status {
	uint64_t msg_tag;	/* tag the sender used */
	uint32_t msg_length;	/* length the sender sent */
	uint32_t nbytes;	/* bytes delivered (less if truncated) */
	psm2_error_t error_code;/* PSM2_OK, PSM2_MQ_TRUNCATION, ... */
	void *context;		/* context given when the request was posted */
} psm2_mq_status_t;

/* Completion record of the 96-bit tag calls. */
typedef
struct psm2_mq_status2 {
	psm2_epaddr_t msg_peer;	/* sender */
	/* 16-byte alignment lets the tag be read with one vector load. */
	psm2_mq_tag_t msg_tag __attribute__ ((aligned(16)));
	uint32_t msg_length;	/* length the sender sent */
	uint32_t nbytes;	/* bytes delivered (less if truncated) */
	psm2_error_t error_code;/* PSM2_OK, PSM2_MQ_TRUNCATION, ... */
	void *context;		/* context given when the request was posted */
} psm2_mq_status2_t;

/* Handle of a send or receive in flight. */
typedef struct psm2_mq_req *psm2_mq_req_t;

/* The user-visible part of a request, handed to the copy callback of
   psm2_mq_ipeek_dequeue_multi. */
struct psm2_mq_req_user {
	psm2_epaddr_t peer;		/* sender (receive) or destination (send) */
	psm2_mq_tag_t tag __attribute__ ((aligned(16))); /* message tag */
	psm2_mq_tag_t tagsel;		/* receive selector */
	uint8_t *buf;			/* user buffer */
	uint32_t buf_len;		/* its size */
	uint32_t error_code;		/* psm2_error_t of the completion */
	uint32_t recv_msglen;		/* bytes delivered */
	uint32_t send_msglen;		/* bytes the sender sent */
	void *context;			/* user context */
	uint64_t user_reserved[4];	/* free for the user */
};

/* Read MQ option (PSM2_MQ_OPT_*) into *value (uint32_t). Older form of
   psm2_getopt(PSM2_COMPONENT_MQ, ...). Errors: PSM2_PARAM_ERR. */
psm2_error_t psm2_mq_getopt(psm2_mq_t mq, int option, void *value);
/* Set MQ option from *value (uint32_t). Older form of psm2_setopt.
   Errors: PSM2_PARAM_ERR, PSM2_OPT_READONLY. */
psm2_error_t psm2_mq_setopt(psm2_mq_t mq, int option, const void *value);

/* Send flag: complete only once the receiver has matched the message. */
#define PSM2_MQ_FLAG_SENDSYNC	0x01
/* The null request: what wait/test leave in a completed request. */
#define PSM2_MQ_REQINVALID	((psm2_mq_req_t)(NULL))
/* Source wildcard for the "2" receive and probe calls. */
#define PSM2_MQ_ANY_ADDR	((psm2_epaddr_t)NULL)

/* Which operation psm2_mq_fp_msg performs. */
enum psm2_mq_fp_op {
	PSM2_MQ_ISEND_FP = 1,	/* as psm2_mq_isend2 */
	PSM2_MQ_IRECV_FP,	/* as psm2_mq_irecv2 */
};

/* Fast path isend2/irecv2 for callers that hold the endpoint lock
   themselves (no locking, no progress). Errors: those of the call it
   stands for, PSM2_PARAM_ERR for an unknown fp_type. */
psm2_error_t
psm2_mq_fp_msg(psm2_ep_t ep, psm2_mq_t mq, psm2_epaddr_t addr, psm2_mq_tag_t *tag,
	psm2_mq_tag_t *tagsel, uint32_t flags, void *buf, uint32_t len,
	void *context, enum psm2_mq_fp_op fp_type, psm2_mq_req_t *req);

/* Post a receive for a 64-bit tag under selector rtagsel; len bytes at buf.
   Errors: PSM2_PARAM_ERR, PSM2_NO_MEMORY. */
psm2_error_t
psm2_mq_irecv(psm2_mq_t mq, uint64_t rtag, uint64_t rtagsel, uint32_t flags,
	      void *buf, uint32_t len, void *context, psm2_mq_req_t *req);

/* Post a receive for a 96-bit tag from src (or PSM2_MQ_ANY_ADDR).
   Errors: PSM2_PARAM_ERR, PSM2_NO_MEMORY. */
psm2_error_t
psm2_mq_irecv2(psm2_mq_t mq, psm2_epaddr_t src, psm2_mq_tag_t *rtag,
	       psm2_mq_tag_t *rtagsel, uint32_t flags, void *buf, uint32_t len,
	       void *context, psm2_mq_req_t *req);

/* Receive the message held by *reqo (from improbe) into buf; *reqo then
   tracks the receive. Errors: PSM2_PARAM_ERR. */
psm2_error_t
psm2_mq_imrecv(psm2_mq_t mq, uint32_t flags, void *buf, uint32_t len,
	       void *context, psm2_mq_req_t *reqo);

/* Blocking send with a 64-bit tag; returns when buf can be reused.
   Errors: PSM2_PARAM_ERR, PSM2_NO_MEMORY. */
psm2_error_t
psm2_mq_send(psm2_mq_t mq, psm2_epaddr_t dest, uint32_t flags, uint64_t stag,
	     const void *buf, uint32_t len);

/* Blocking send with a 96-bit tag. Errors: PSM2_PARAM_ERR, PSM2_NO_MEMORY. */
psm2_error_t
psm2_mq_send2(psm2_mq_t mq, psm2_epaddr_t dest, uint32_t flags,
	      psm2_mq_tag_t *stag, const void *buf, uint32_t len);

/* Start a send with a 64-bit tag; complete *req with wait/test.
   Errors: PSM2_PARAM_ERR, PSM2_NO_MEMORY. */
psm2_error_t
psm2_mq_isend(psm2_mq_t mq, psm2_epaddr_t dest, uint32_t flags, uint64_t stag,
	      const void *buf, uint32_t len, void *context, psm2_mq_req_t *req);

/* Start a send with a 96-bit tag. Errors: PSM2_PARAM_ERR, PSM2_NO_MEMORY. */
psm2_error_t
psm2_mq_isend2(psm2_mq_t mq, psm2_epaddr_t dest, uint32_t flags,
	       psm2_mq_tag_t *stag, const void *buf, uint32_t len, void *context,
	       psm2_mq_req_t *req);

/* Is an unexpected message matching rtag/rtagsel waiting? PSM2_OK and
   *status filled if so (the message stays queued), else
   PSM2_MQ_NO_COMPLETIONS. */
psm2_error_t
psm2_mq_iprobe(psm2_mq_t mq, uint64_t rtag, uint64_t rtagsel,
	       psm2_mq_status_t *status);

/* iprobe with a 96-bit tag and a source. */
psm2_error_t
psm2_mq_iprobe2(psm2_mq_t mq, psm2_epaddr_t src, psm2_mq_tag_t *rtag,
		psm2_mq_tag_t *rtagsel, psm2_mq_status2_t *status);

/* Like iprobe, but a match is removed from the queue and handed over in
   *req for psm2_mq_imrecv. PSM2_MQ_NO_COMPLETIONS if none. */
psm2_error_t
psm2_mq_improbe(psm2_mq_t mq, uint64_t rtag, uint64_t rtagsel, psm2_mq_req_t *req,
		psm2_mq_status_t *status);

/* improbe with a 96-bit tag and a source. */
psm2_error_t
psm2_mq_improbe2(psm2_mq_t mq, psm2_epaddr_t src, psm2_mq_tag_t *rtag,
		 psm2_mq_tag_t *rtagsel, psm2_mq_req_t *reqo,
		 psm2_mq_status2_t *status);

/* Oldest request ready for completion, left in place for wait/test
   (status may be NULL). PSM2_MQ_NO_COMPLETIONS if none; the call also
   makes progress. */
psm2_error_t
psm2_mq_ipeek(psm2_mq_t mq, psm2_mq_req_t *req, psm2_mq_status_t *status);

/* ipeek filling a psm2_mq_status2_t. */
psm2_error_t
psm2_mq_ipeek2(psm2_mq_t mq, psm2_mq_req_t *req, psm2_mq_status2_t *status);

/* Copy callback of psm2_mq_ipeek_dequeue_multi: convert req into the user's
   record at entry_index of status_array. Returns <0 on a user error,
   0 if req was consumed but not stored, 1 if stored, >1 if stored and this
   should be the last one of the batch. */
typedef int (*psmi_mq_status_copy_user_t) (struct psm2_mq_req_user *req,
		void *status_array, int entry_index);

/* Take completed requests in completion order, passing each to status_copy
   and freeing it; *count is the array size in, entries stored out.
   PSM2_OK if the array was filled, PSM2_MQ_NO_COMPLETIONS if fewer were
   available, PSM2_INTERNAL_ERR if status_copy failed (*count is then its
   return value). */
psm2_error_t
psm2_mq_ipeek_dequeue_multi(psm2_mq_t mq, void *status_array,
		psmi_mq_status_copy_user_t status_copy, int *count);

/* Take the oldest completed request off the completion queue (not freed;
   see psm2_mq_req_free). PSM2_MQ_NO_COMPLETIONS if none. */
psm2_error_t
psm2_mq_ipeek_dequeue(psm2_mq_t mq, psm2_mq_req_t *req);

/* Free a request taken with psm2_mq_ipeek_dequeue. Errors: PSM2_PARAM_ERR. */
psm2_error_t
psm2_mq_req_free(psm2_mq_t mq, psm2_mq_req_t req);

/* Wait (making progress) until *request completes, fill status (may be
   NULL), release the request and set *request to PSM2_MQ_REQINVALID.
   PSM2_OK, also when *request already was PSM2_MQ_REQINVALID; the
   message's own result (e.g. PSM2_MQ_TRUNCATION) is in status. */
psm2_error_t
psm2_mq_wait(psm2_mq_req_t *request, psm2_mq_status_t *status);

/* wait filling a psm2_mq_status2_t. */
psm2_error_t
psm2_mq_wait2(psm2_mq_req_t *request, psm2_mq_status2_t *status);

/* As wait if *request is complete; otherwise return
   PSM2_MQ_NO_COMPLETIONS at once. */
psm2_error_t
psm2_mq_test(psm2_mq_req_t *request, psm2_mq_status_t *status);

/* test filling a psm2_mq_status2_t. */
psm2_error_t
psm2_mq_test2(psm2_mq_req_t *request, psm2_mq_status2_t *status);

/* Cancel a posted receive that has not matched yet. Either way the request
   must still be completed with wait/test. PSM2_MQ_NO_COMPLETIONS if it
   already matched. Sends cannot be cancelled. */
psm2_error_t psm2_mq_cancel(psm2_mq_req_t *req);

/* Counters of one queue since psm2_mq_init. */
struct psm2_mq_stats {
	uint64_t rx_user_bytes;		/* bytes received into posted buffers */
	uint64_t rx_user_num;		/* messages received into posted buffers */
	uint64_t rx_sys_bytes;		/* bytes received as unexpected */
	uint64_t rx_sys_num;		/* messages received as unexpected */
	uint64_t tx_num;		/* messages sent */
	uint64_t tx_eager_num;		/* eager sends */
	uint64_t tx_eager_bytes;	/* eager bytes sent */
	uint64_t tx_rndv_num;		/* rendezvous sends */
	uint64_t tx_rndv_bytes;		/* rendezvous bytes sent */
	uint64_t tx_shm_num;		/* sends through shared memory */
	uint64_t rx_shm_num;		/* receives through shared memory */
	uint64_t rx_sysbuf_num;		/* unexpected messages buffered */
	uint64_t rx_sysbuf_bytes;	/* unexpected bytes buffered */
	uint64_t _reserved[16];		/* room for later counters */
};

/* Counters in use in struct psm2_mq_stats. */
#define PSM2_MQ_NUM_STATS	13

typedef struct psm2_mq_stats psm2_mq_stats_t;

/* Copy the counters of mq into *stats. */
void
psm2_mq_get_stats(psm2_mq_t mq, psm2_mq_stats_t *stats);

#ifdef __cplusplus
}
#endif
#endif /* PSM2_MQ_H */
