// Process-wide state of the library: init refcount, the global error
// handler, the list of open endpoints.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "mq/peer.h"
#include "psm2.h"

namespace psm {

struct Library {
    int init_refcount = 0;
    bool ever_finalized = false;
    psm2_ep_errhandler_t global_errhandler = PSM2_ERRHANDLER_DEFAULT;
    std::vector<psm2_ep_t> endpoints;   // open endpoints, in open order
    uint32_t next_ep_index = 0;
    // Endpoint and MQ handles closed since psm2_init (the most recent
    // kClosedHandlesKept), so that a stale handle gets PSM2_EP_WAS_CLOSED
    // rather than PSM2_PARAM_ERR. Compared, never dereferenced.
    std::deque<const void*> closed_handles;
    // Peer addresses of closed endpoints stay allocated (magic cleared) until
    // psm2_finalize: a stale psm2_epaddr_t is then refused by its magic on
    // the fast paths instead of being read after free.
    std::vector<std::unique_ptr<psm2_epaddr>> retired_epaddrs;
};

inline constexpr size_t kClosedHandlesKept = 256;

Library& library();

// PSM2_INIT_NOT_INIT / PSM2_IS_FINALIZED (through the handler) or PSM2_OK.
psm2_error_t check_initialized(const char* caller);

// Remembers the handles of an endpoint being closed (see closed_handles).
void remember_closed(const void* ep, const void* mq);

// For a handle that is not a live endpoint/MQ: raises PSM2_EP_WAS_CLOSED if
// it was closed, else PSM2_PARAM_ERR ("what" names the expected handle).
psm2_error_t raise_stale_handle(const void* handle, const char* fn, const char* what);

// True (after saying so on the error trace) when the calling thread is inside
// another API call - an AM handler run by psm2_poll, a status-copy callback,
// an error handler: closing the endpoint there would free what the
// interrupted call is still using. Not raised through the error handler,
// which may be the very callback that called.
bool called_from_callback(const char* fn);

}  // namespace psm
