// One PSM2 endpoint + matched queue connected to the other rank, opened and
// closed through the public API only. The same code runs on our library and
// on Debian's libpsm2 11.2.185; the latter's quirks are tolerated only when
// the runner says so (PSM2PERF_REAL_LIBRARY=1), so our library gets no slack.
#pragma once

#include <psm2.h>
#include <psm2_mq.h>

#include <string>

namespace perf {

class PeerLink;

struct Session {
    psm2_ep_t ep = nullptr;
    psm2_mq_t mq = nullptr;
    psm2_epaddr_t peer = nullptr;
    bool real_library = false;  // Debian 11.2.185 quirks allowed
};

// True when the runner announced the real library (PSM2PERF_REAL_LIBRARY=1).
bool real_library_mode();

// Path of the shared object that provides psm2_init in this process.
std::string loaded_library_path();

// psm2_init, ep_open, epid exchange over the link, ep_connect, mq_init.
bool open_session(PeerLink& link, const psm2_uuid_t job_key, Session& s);

// Lines both ranks up (the caller has drained all traffic), then closes
// everything that was opened.
bool close_session(PeerLink& link, Session& s);

}  // namespace perf
