#include "psm2_session.h"

#include "peer_link.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace perf {

namespace {

constexpr int64_t connect_timeout_ns = 30'000'000'000LL;
constexpr int64_t close_timeout_ns = 5'000'000'000LL;

bool check(psm2_error_t err, const char* what)
{
    if (err == PSM2_OK) return true;
    std::fprintf(stderr, "psm2-perf: %s failed: %s (%d)\n", what, psm2_error_get_string(err),
                 static_cast<int>(err));
    return false;
}

}  // namespace

bool real_library_mode()
{
    const char* v = std::getenv("PSM2PERF_REAL_LIBRARY");
    return v && std::strcmp(v, "1") == 0;
}

std::string loaded_library_path()
{
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&psm2_init), &info) == 0 || !info.dli_fname) return "?";
    char resolved[4096];
    if (realpath(info.dli_fname, resolved)) return resolved;
    return info.dli_fname;
}

bool open_session(PeerLink& link, const psm2_uuid_t job_key, Session& s)
{
    s.real_library = real_library_mode();

    int major = PSM2_VERNO_MAJOR;
    int minor = PSM2_VERNO_MINOR;
    psm2_error_t err = psm2_init(&major, &minor);
    // Debian's 11.2.185 always initialises its hardware layer and reports
    // PSM2_INTERNAL_ERR without an HFI, yet self and shm work afterwards.
    if (!(s.real_library && err == PSM2_INTERNAL_ERR) && !check(err, "psm2_init")) return false;

    psm2_ep_open_opts opts;
    if (!check(psm2_ep_open_opts_get_defaults(&opts), "psm2_ep_open_opts_get_defaults"))
        return false;
    opts.affinity = PSM2_EP_OPEN_AFFINITY_SKIP;  // we pin the ranks ourselves

    psm2_epid_t mine = 0;
    if (!check(psm2_ep_open(job_key, &opts, &s.ep, &mine), "psm2_ep_open")) return false;

    psm2_epid_t theirs = 0;
    if (!link.send(&mine, sizeof mine) || !link.recv(&theirs, sizeof theirs)) {
        std::fprintf(stderr, "psm2-perf: epid exchange with the other rank failed\n");
        return false;
    }

    psm2_error_t conn_err = PSM2_OK;
    err = psm2_ep_connect(s.ep, 1, &theirs, nullptr, &conn_err, &s.peer, connect_timeout_ns);
    if (!check(err, "psm2_ep_connect") || !check(conn_err, "psm2_ep_connect (peer)")) return false;

    if (!check(psm2_mq_init(s.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &s.mq), "psm2_mq_init"))
        return false;
    return link.barrier();
}

bool close_session(PeerLink& link, Session& s)
{
    bool ok = link.barrier();  // nothing in flight in either direction past here
    if (s.mq) ok = check(psm2_mq_finalize(s.mq), "psm2_mq_finalize") && ok;
    if (s.ep) ok = check(psm2_ep_close(s.ep, PSM2_EP_CLOSE_GRACEFUL, close_timeout_ns),
                         "psm2_ep_close") && ok;
    // Debian's 11.2.185 crashes in psm2_finalize after a failed hardware init.
    if (!s.real_library) ok = check(psm2_finalize(), "psm2_finalize") && ok;
    s = Session{};
    return ok;
}

}  // namespace perf
