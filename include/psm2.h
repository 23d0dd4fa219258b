/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * psm2.h - core interface of the PSM2 messaging library: library setup,
 * endpoints, connections, error handling, options and queries.
 *
 * This header is part of a from-scratch reimplementation. Every type,
 * constant, struct layout and signature is binary compatible with the
 * libpsm2 11.2 header (API version 2.2, PSM2_VERNO 0x0202), so a program
 * built against either header runs on either library; tests/abi checks it.
 */
#ifndef PSM2_H
#define PSM2_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles: an endpoint (one per process per device set) and its
   matched queue. */
typedef struct psm2_ep *psm2_ep_t;
typedef struct psm2_mq *psm2_mq_t;

/* API version implemented by this header: major in the high byte. */
#define PSM2_VERNO		0x0202
#define PSM2_VERNO_MAJOR	0x02
#define PSM2_VERNO_MINOR	0x02
/* Oldest major version a caller may ask psm2_init() for. */
#define PSM2_VERNO_COMPAT_MAJOR	0x01

/* Result of every call that can fail. Values are part of the ABI. */
enum psm2_error {
	PSM2_OK = 0,			/* success */
	PSM2_OK_NO_PROGRESS = 1,	/* success, but nothing moved */
	PSM2_PARAM_ERR = 3,		/* bad argument */
	PSM2_NO_MEMORY = 4,		/* allocation failed */
	PSM2_INIT_NOT_INIT = 5,		/* psm2_init() not called yet */
	PSM2_INIT_BAD_API_VERSION = 6,	/* caller's API version unsupported */
	PSM2_NO_AFFINITY = 7,		/* no CPU affinity could be set */
	PSM2_INTERNAL_ERR = 8,		/* unexpected internal failure */
	PSM2_SHMEM_SEGMENT_ERR = 9,	/* shared memory segment failure */
	PSM2_OPT_READONLY = 10,		/* option cannot be written */
	PSM2_TIMEOUT = 11,		/* operation timed out */
	PSM2_TOO_MANY_ENDPOINTS = 12,	/* endpoint limit reached */
	PSM2_IS_FINALIZED = 13,		/* called after psm2_finalize() */

	PSM2_EP_WAS_CLOSED = 20,	/* endpoint already closed */
	PSM2_EP_NO_DEVICE = 21,		/* no usable device */
	PSM2_EP_UNIT_NOT_FOUND = 22,	/* requested unit does not exist */
	PSM2_EP_DEVICE_FAILURE = 23,	/* device reported an error */
	PSM2_EP_CLOSE_TIMEOUT = 24,	/* close did not finish in time */
	PSM2_EP_NO_PORTS_AVAIL = 25,	/* no free port/context */
	PSM2_EP_NO_NETWORK = 26,	/* link is down */
	PSM2_EP_INVALID_UUID_KEY = 27,	/* job key rejected */
	PSM2_EP_NO_RESOURCES = 28,	/* out of device resources */

	PSM2_EPID_UNKNOWN = 40,		/* epid not known */
	PSM2_EPID_UNREACHABLE = 41,	/* no route to the epid */
	PSM2_EPID_INVALID_NODE = 43,	/* epid's node is not valid */
	PSM2_EPID_INVALID_MTU = 44,	/* peers disagree on MTU */
	PSM2_EPID_INVALID_UUID_KEY = 45,/* peer uses another job key */
	PSM2_EPID_INVALID_VERSION = 46,	/* peer runs an incompatible version */
	PSM2_EPID_INVALID_CONNECT = 47,	/* connect handshake malformed */
	PSM2_EPID_ALREADY_CONNECTED = 48,/* peer already connected */
	PSM2_EPID_NETWORK_ERROR = 49,	/* fabric error while connecting */
	PSM2_EPID_INVALID_PKEY = 50,	/* partition key mismatch */
	PSM2_EPID_PATH_RESOLUTION = 51,	/* path record lookup failed */

	PSM2_MQ_NO_COMPLETIONS = 60,	/* request not complete yet */
	PSM2_MQ_TRUNCATION = 61,	/* message longer than receive buffer */

	PSM2_AM_INVALID_REPLY = 70,	/* reply not allowed in this context */

	PSM2_IQ_INVALID_QUERY = 71,	/* psm2_info_query() type not known */

	PSM2_ERROR_LAST = 80		/* one past the last code */
};

/* Older name for "not complete yet". */
#define PSM2_MQ_INCOMPLETE PSM2_MQ_NO_COMPLETIONS

typedef enum psm2_error psm2_error_t;

/* Which layer an option (psm2_setopt/psm2_getopt) belongs to. */
enum psm2_component {
	PSM2_COMPONENT_CORE = 0,	/* the library or one endpoint */
	PSM2_COMPONENT_MQ = 1,		/* a matched queue */
	PSM2_COMPONENT_AM = 2,		/* active messages */
	PSM2_COMPONENT_IB = 3		/* the fabric device */
};
typedef enum psm2_component psm2_component_t;

/* How fabric paths are resolved at endpoint open. */
enum psm2_path_res {
	PSM2_PATH_RES_NONE = 0,		/* computed locally */
	PSM2_PATH_RES_OPP = 1,		/* queried from the fabric manager */
	PSM2_PATH_RES_UMAD = 2		/* queried through user MAD */
};
typedef enum psm2_path_res psm2_path_res_t;

/* Initialise the library. In: the API version the caller was built for;
   out: the version the library implements. Must precede every other call
   except psm2_error_register_handler(NULL, ...); calls are counted, each is
   paired with one psm2_finalize (PSM2_LIB_REFCOUNT_CAP).
   Errors: PSM2_INIT_BAD_API_VERSION, PSM2_PARAM_ERR. */
psm2_error_t psm2_init(int *api_verno_major, int *api_verno_minor);

/* Capability bits for psm2_get_capability_mask(). */
#define PSM2_MULTI_EP_CAP	0x1	/* several endpoints per process */
#define PSM2_LIB_REFCOUNT_CAP	0x2	/* psm2_init/finalize are counted */

/* Return the subset of req_cap_mask that this library supports. */
uint64_t psm2_get_capability_mask(uint64_t req_cap_mask);

/* Undo one psm2_init; the last one closes endpoints still open and
   releases the library. Errors: PSM2_INIT_NOT_INIT. */
psm2_error_t psm2_finalize(void);

/* Handle passed to an error handler so that it can psm2_error_defer(). */
typedef struct psm2_error_token *psm2_error_token_t;

/* Error handler: called with the error and a message; its return value is
   what the failing call returns. */
typedef psm2_error_t(*psm2_ep_errhandler_t) (psm2_ep_t ep,
					     const psm2_error_t error,
					     const char *error_string,
					     psm2_error_token_t token);

/* Special handlers: the library's own (prints and exits on fatal errors)
   and none (errors are only returned). */
#define PSM2_ERRHANDLER_DEFAULT	((psm2_ep_errhandler_t)-1)
#define PSM2_ERRHANDLER_NOP	((psm2_ep_errhandler_t)-2)
#define PSM2_ERRHANDLER_PSM_HANDLER ((psm2_ep_errhandler_t)-1)
#define PSM2_ERRHANDLER_NO_HANDLER ((psm2_ep_errhandler_t)-2)

/* Longest message an error handler is given, NUL included. */
#define PSM2_ERRSTRING_MAXLEN	512

/* Install an error handler for ep, or the global one when ep is NULL
   (endpoints opened later start with the global one). May be called before
   psm2_init. Errors: PSM2_PARAM_ERR. */
psm2_error_t
psm2_error_register_handler(psm2_ep_t ep, const psm2_ep_errhandler_t errhandler);

/* From inside a handler: hand the error to the library's default handler. */
psm2_error_t psm2_error_defer(psm2_error_token_t err_token);

/* Text of an error code; never NULL. */
const char *psm2_error_get_string(psm2_error_t error);

/* Key/value option passed at queue creation (psm2_mq_init). */
struct psm2_optkey {
	uint32_t key;	/* option id */
	void *value;	/* points at the value */
};

/* Endpoint id: a 64-bit network address of one endpoint. */
typedef uint64_t psm2_epid_t;
/* Handle of a connected peer endpoint. */
typedef struct psm2_epaddr *psm2_epaddr_t;
/* Job key shared by every endpoint of a job. */
typedef uint8_t psm2_uuid_t[16];

/* Node id encoded in an epid. */
uint64_t psm2_epid_nid(psm2_epid_t epid);
/* Hardware context encoded in an epid. */
uint64_t psm2_epid_context(psm2_epid_t epid);
/* Port encoded in an epid. */
uint64_t psm2_epid_port(psm2_epid_t epid);

/* Number of fabric device units on this node. Errors: PSM2_PARAM_ERR,
   PSM2_INIT_NOT_INIT. */
psm2_error_t psm2_ep_num_devunits(uint32_t *num_units);

/* Fill uuid_out with a fresh random job key. */
void psm2_uuid_generate(psm2_uuid_t uuid_out);

/* psm2_ep_open_opts.affinity values. */
#define PSM2_EP_OPEN_AFFINITY_SKIP	0	/* leave CPU affinity alone */
#define PSM2_EP_OPEN_AFFINITY_SET	1	/* set it if none was set */
#define PSM2_EP_OPEN_AFFINITY_FORCE	2	/* always set it */

/* psm2_ep_open_opts.network_pkey: use the default partition key. */
#define PSM2_EP_OPEN_PKEY_DEFAULT	0xffffffffffffffffULL

/* Endpoint open options; get defaults with psm2_ep_open_opts_get_defaults.
   A field set to -1 (or opts == NULL) means the library's default. */
struct psm2_ep_open_opts {
	int64_t timeout;	/* device open timeout, nanoseconds */
	int unit;		/* device unit (-1: the library chooses) */
	int affinity;		/* PSM2_EP_OPEN_AFFINITY_* */
	int shm_mbytes;		/* deprecated, ignored */
	int sendbufs_num;	/* send buffers for the device */
	uint64_t network_pkey;	/* partition key */
	int port;		/* device port, 0 = any */
	int outsl;		/* outgoing service level */
	uint64_t service_id;	/* fabric service id */
	psm2_path_res_t path_res_type; /* PSM2_PATH_RES_* */
	int senddesc_num;	/* send descriptors */
	int imm_size;		/* largest PIO (immediate) send */
};

/* Open an endpoint for job key unique_job_key; returns the handle and its
   epid. opts may be NULL for defaults. Errors: PSM2_PARAM_ERR,
   PSM2_INIT_NOT_INIT, PSM2_TOO_MANY_ENDPOINTS, PSM2_EP_NO_DEVICE,
   PSM2_EP_UNIT_NOT_FOUND, PSM2_EP_NO_PORTS_AVAIL, PSM2_TIMEOUT. */
psm2_error_t
psm2_ep_open(const psm2_uuid_t unique_job_key,
	     const struct psm2_ep_open_opts *opts, psm2_ep_t *ep,
	     psm2_epid_t *epid);

/* Fill opts with the defaults psm2_ep_open would use. Errors:
   PSM2_PARAM_ERR, PSM2_INIT_NOT_INIT. */
psm2_error_t
psm2_ep_open_opts_get_defaults(struct psm2_ep_open_opts *opts);

/* Set *result to 1 if epid can be reached through shared memory from ep,
   else 0. Errors: PSM2_PARAM_ERR, PSM2_EPID_UNKNOWN. */
psm2_error_t
psm2_ep_epid_share_memory(psm2_ep_t ep, psm2_epid_t epid, int *result);

/* Close ep (mode: PSM2_EP_CLOSE_*). A graceful close waits up to timeout
   nanoseconds for peers (0 = no limit); a forced one ignores timeout.
   Errors: PSM2_PARAM_ERR, PSM2_EP_CLOSE_TIMEOUT. */
psm2_error_t psm2_ep_close(psm2_ep_t ep, int mode, int64_t timeout);

#define PSM2_EP_CLOSE_GRACEFUL	0	/* let peers finish first */
#define PSM2_EP_CLOSE_FORCE	1	/* drop everything now */

/* Tell the library the hostnames of num node ids, for error messages.
   Errors: PSM2_PARAM_ERR, PSM2_NO_MEMORY. */
psm2_error_t
psm2_map_nid_hostname(int num, const uint64_t *nids, const char **hostnames);

/* Connect ep to the epids whose mask entry is non-zero (all when the mask is
   NULL); per-peer results go to array_of_errors and array_of_epaddr.
   timeout in nanoseconds (0 = no limit). Errors: PSM2_PARAM_ERR,
   PSM2_TIMEOUT, PSM2_EPID_UNREACHABLE, PSM2_EPID_UNKNOWN and the other
   PSM2_EPID_* codes. */
psm2_error_t
psm2_ep_connect(psm2_ep_t ep, int num_of_epid, const psm2_epid_t *array_of_epid,
		const int *array_of_epid_mask, psm2_error_t *array_of_errors,
		psm2_epaddr_t *array_of_epaddr, int64_t timeout);

/* Gracefully disconnect the masked peers; per-peer results in
   array_of_errors. Errors: PSM2_PARAM_ERR, PSM2_TIMEOUT. */
psm2_error_t psm2_ep_disconnect(psm2_ep_t ep, int num_of_epaddr,
				psm2_epaddr_t *array_of_epaddr,
				const int *array_of_epaddr_mask,
				psm2_error_t *array_of_errors, int64_t timeout);

/* As psm2_ep_disconnect, with mode PSM2_EP_DISCONNECT_GRACEFUL or _FORCE. */
psm2_error_t psm2_ep_disconnect2(psm2_ep_t ep, int num_of_epaddr,
				 psm2_epaddr_t *array_of_epaddr,
				 const int *array_of_epaddr_mask,
				 psm2_error_t *array_of_errors,
				 int mode, int64_t timeout);

#define PSM2_EP_DISCONNECT_GRACEFUL	PSM2_EP_CLOSE_GRACEFUL
#define PSM2_EP_DISCONNECT_FORCE	PSM2_EP_CLOSE_FORCE

/* Make progress on every device of ep. Returns PSM2_OK if something
   happened, PSM2_OK_NO_PROGRESS otherwise. */
psm2_error_t psm2_poll(psm2_ep_t ep);

/* Name a peer in error messages (the string is copied). */
void psm2_epaddr_setlabel(psm2_epaddr_t epaddr,
			  const char *epaddr_label_string);

/* Attach a user pointer to a peer. */
void
psm2_epaddr_setctxt(psm2_epaddr_t epaddr, void *ctxt);

/* Read back the pointer set by psm2_epaddr_setctxt (NULL if none). */
void *psm2_epaddr_getctxt(psm2_epaddr_t epaddr);

/* Option ids for psm2_setopt/psm2_getopt, grouped by component. */
#define PSM2_CORE_OPT_DEBUG	0x101	/* debug mask; settable before init */
#define PSM2_CORE_OPT_EP_CTXT	0x102	/* user context of an epaddr */

#define PSM2_IB_OPT_DF_SL	0x201	/* default service level of an ep */
#define PSM2_IB_OPT_EP_SL	0x202	/* service level towards one epaddr */

#define PSM2_MQ_OPT_RNDV_IB_SZ	0x301	/* fabric rendezvous threshold */
#define PSM2_MQ_RNDV_HFI_SZ	PSM2_MQ_OPT_RNDV_IB_SZ
#define PSM2_MQ_RNDV_IPATH_SZ	PSM2_MQ_OPT_RNDV_IB_SZ
#define PSM2_MQ_OPT_RNDV_SHM_SZ	0x302	/* shared memory rendezvous threshold */
#define PSM2_MQ_RNDV_SHM_SZ	PSM2_MQ_OPT_RNDV_SHM_SZ
#define PSM2_MQ_OPT_SYSBUF_MYBYTES 0x303 /* unexpected-message buffer bytes */
#define PSM2_MQ_MAX_SYSBUF_MBYTES PSM2_MQ_OPT_SYSBUF_MYBYTES

#define PSM2_AM_OPT_FRAG_SZ	0x401	/* largest AM payload (read only) */
#define PSM2_AM_MAX_FRAG_SZ	PSM2_AM_OPT_FRAG_SZ
#define PSM2_AM_OPT_NARGS	0x402	/* most AM arguments (read only) */
#define PSM2_AM_MAX_NARGS	PSM2_AM_OPT_NARGS
#define PSM2_AM_OPT_HANDLERS	0x403	/* most AM handlers (read only) */
#define PSM2_AM_MAX_HANDLERS	PSM2_AM_OPT_HANDLERS

/* Set option optname of component_obj (an ep, mq or epaddr, depending on
   component) from optlen bytes at optval. Errors: PSM2_PARAM_ERR,
   PSM2_OPT_READONLY. */
psm2_error_t
psm2_setopt(psm2_component_t component, const void *component_obj,
	    int optname, const void *optval, uint64_t optlen);

/* Read option optname into optval; *optlen is the buffer size in and the
   needed size out. Errors: PSM2_PARAM_ERR (also when the buffer is too
   small). */
psm2_error_t
psm2_getopt(psm2_component_t component, const void *component_obj,
	    int optname, void *optval, uint64_t *optlen);

/* One open endpoint, as reported by psm2_ep_query. */
typedef struct psm2_epinfo {
	psm2_ep_t ep;		/* the endpoint */
	psm2_epid_t epid;	/* its id */
	psm2_uuid_t uuid;	/* its job key */
	uint16_t jkey;		/* job key hash used on the wire */
	char uuid_str[64];	/* the job key as text */
} psm2_epinfo_t;

/* Where an epid is connected, as reported by psm2_ep_epid_lookup. */
typedef struct psm2_epconn {
	psm2_epaddr_t addr;	/* peer handle */
	psm2_ep_t ep;		/* local endpoint owning the connection */
	psm2_mq_t mq;		/* queue of that endpoint */
} psm2_epconn_t;

/* List open endpoints: *num_of_epinfo is the array size in and the count
   filled out. Errors: PSM2_PARAM_ERR, PSM2_INIT_NOT_INIT. */
psm2_error_t psm2_ep_query(int *num_of_epinfo, psm2_epinfo_t *array_of_epinfo);

/* Find the connection to epid over any local endpoint.
   Errors: PSM2_PARAM_ERR, PSM2_EPID_UNKNOWN. */
psm2_error_t psm2_ep_epid_lookup(psm2_epid_t epid, psm2_epconn_t *epconn);

/* Find the connection to epid from endpoint ep.
   Errors: PSM2_PARAM_ERR, PSM2_EPID_UNKNOWN. */
psm2_error_t psm2_ep_epid_lookup2(psm2_ep_t ep, psm2_epid_t epid, psm2_epconn_t *epconn);

/* Epid of a connected peer. Errors: PSM2_PARAM_ERR. */
psm2_error_t psm2_epaddr_to_epid(psm2_epaddr_t epaddr, psm2_epid_t *epid);

/* Query types of psm2_info_query (sequential from 0). */
typedef enum psm2_info_query_et
{
	/* nargs, the psm2_info_query_arg_t members read, and what out gets: */
	PSM2_INFO_QUERY_NUM_UNITS,		/* 0; uint32_t unit count */
	PSM2_INFO_QUERY_NUM_PORTS,		/* 0; uint32_t port count */
	PSM2_INFO_QUERY_UNIT_STATUS,		/* 1 unit; uint32_t, non-zero if active */
	PSM2_INFO_QUERY_UNIT_PORT_STATUS,	/* 2 unit, port; uint32_t, non-zero if active */
	PSM2_INFO_QUERY_NUM_FREE_CONTEXTS,	/* 1 unit; uint32_t free contexts */
	PSM2_INFO_QUERY_NUM_CONTEXTS,		/* 1 unit; uint32_t contexts */
	PSM2_INFO_QUERY_CONFIG,			/* 2 mq, epaddr; uint32_t CONFIG_* bits */
	PSM2_INFO_QUERY_THRESH,			/* 3 mq, epaddr, mstq; uint32_t bytes */
	PSM2_INFO_QUERY_DEVICE_NAME,		/* 3 mq, epaddr, length; char[length] */
	PSM2_INFO_QUERY_MTU,			/* 2 mq, epaddr; uint32_t bytes */
	PSM2_INFO_QUERY_LINK_SPEED,		/* 2 mq, epaddr; uint32_t speed */
	PSM2_INFO_QUERY_NETWORK_TYPE,		/* 1 length; char[length] */
	PSM2_INFO_QUERY_FEATURE_MASK,		/* 0; uint32_t FEATURE_* bits */
	PSM2_INFO_QUERY_LAST,			/* one past the last type */
} psm2_info_query_t;

/* Bits answered by PSM2_INFO_QUERY_CONFIG: which transports and send
   engines are built in. */
enum psm2_info_query_config
{
	PSM2_INFO_QUERY_CONFIG_IPS = (1 << 0),		/* fabric device */
	PSM2_INFO_QUERY_CONFIG_AMSH = (1 << 1),		/* shared memory */
	PSM2_INFO_QUERY_CONFIG_SELF = (1 << 2),		/* loopback */
	PSM2_INFO_QUERY_CONFIG_CUDA = (1 << 3),		/* GPU buffers */
	PSM2_INFO_QUERY_CONFIG_PIO = (1 << 4),		/* programmed I/O sends */
	PSM2_INFO_QUERY_CONFIG_DMA = (1 << 5),		/* send DMA */
	PSM2_INFO_QUERY_CONFIG_GDR_COPY = (1 << 6),	/* GPUDirect copy */
};

/* Thresholds answered by PSM2_INFO_QUERY_THRESH, grouped per transport
   between its _START and _END markers. */
enum psm2_info_query_thresh_et
{
	PSM2_INFO_QUERY_THRESH_IPS_START,
	PSM2_INFO_QUERY_THRESH_IPS_PIO_DMA = PSM2_INFO_QUERY_THRESH_IPS_START,
	PSM2_INFO_QUERY_THRESH_IPS_TINY,
	PSM2_INFO_QUERY_THRESH_IPS_PIO_FRAG_SIZE,
	PSM2_INFO_QUERY_THRESH_IPS_DMA_FRAG_SIZE,
	PSM2_INFO_QUERY_THRESH_IPS_RNDV,
	PSM2_INFO_QUERY_THRESH_IPS_END = PSM2_INFO_QUERY_THRESH_IPS_RNDV,

	PSM2_INFO_QUERY_THRESH_AMSH_START,
	PSM2_INFO_QUERY_THRESH_AMSH_END = PSM2_INFO_QUERY_THRESH_AMSH_START,

	PSM2_INFO_QUERY_THRESH_SELF_START,
	PSM2_INFO_QUERY_THRESH_SELF_END = PSM2_INFO_QUERY_THRESH_SELF_START,
};

/* Bits answered by PSM2_INFO_QUERY_FEATURE_MASK. */
enum psm2_info_query_feature_mask
{
	PSM2_INFO_QUERY_FEATURE_CUDA = (1 << 0),	/* GPU support usable */
};

/* One argument of psm2_info_query; which member is read depends on the
   query type and the argument's position. */
typedef union psm2_info_query_arg
{
	uint32_t unit;
	uint32_t port;
	size_t length;
	psm2_mq_t mq;
	psm2_epaddr_t epaddr;
	enum psm2_info_query_thresh_et mstq;
} psm2_info_query_arg_t;

/* Answer query type into out, reading nargs arguments. Errors:
   PSM2_IQ_INVALID_QUERY (unknown type), PSM2_PARAM_ERR (wrong nargs, NULL
   out, bad argument or no answer). */
psm2_error_t psm2_info_query(psm2_info_query_t, void *out,
			     size_t nargs, psm2_info_query_arg_t []);

#ifdef __cplusplus
}
#endif
#endif /* PSM2_H */
