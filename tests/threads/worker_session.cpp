#include "worker_session.h"

#include <time.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "../multiproc/mp_bootstrap.h"

namespace thr {
namespace {

std::atomic<int> g_failures{0};
int g_rank = -1;

bool parse_uuid(const char* hex, psm2_uuid_t out) {
    if (std::strlen(hex) != 32) return false;
    for (int i = 0; i < 16; ++i) {
        unsigned v;
        if (std::sscanf(hex + 2 * i, "%2x", &v) != 1) return false;
        out[i] = static_cast<unsigned char>(v);
    }
    return true;
}

// Barrier messages use tags no scenario uses (top byte 0xBA).
constexpr uint64_t kBarrierTag = 0xBA00'0000'0000'0000ull;

}  // namespace

bool parse_args(int argc, char** argv, Args* a) {
    bool have_uuid = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        const char* v = argv[i + 1];
        if (k == "--uuid") have_uuid = parse_uuid(v, a->uuid);
        else if (k == "--scenario") a->scenario = v;
        else if (k == "--threads") a->threads = std::atoi(v);
        else if (k == "--rounds") a->rounds = std::atoi(v);
        else if (k == "--expect") a->expect = v;
        else if (k == "--rank") a->rank = std::atoi(v);
        else if (k == "--size") a->size = std::atoi(v);
        else if (k == "--dir") a->dir = v;
        else return false;
    }
    g_rank = a->rank;
    return have_uuid && a->size >= 2 && !a->dir.empty() && !a->scenario.empty() && a->threads > 0 &&
           a->rounds > 0;
}

double now_s() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

void fail(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    std::fprintf(stderr, "rank %d: FAIL: %s\n", g_rank, msg);
    if (g_failures.fetch_add(1) + 1 > 20) {
        std::fprintf(stderr, "rank %d: too many failures, giving up\n", g_rank);
        std::_Exit(1);
    }
}

int failures() { return g_failures.load(); }

void die(const char* what, psm2_error_t err) {
    std::fprintf(stderr, "rank %d: %s failed: %s\n", g_rank, what, psm2_error_get_string(err));
    std::_Exit(1);
}

void open_session(Session& s) {
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    THR_CHECK_OK(psm2_init(&major, &minor));
    psm2_epid_t epid = 0;
    THR_CHECK_OK(psm2_ep_open(s.args.uuid, nullptr, &s.ep, &epid));
    mp::FileBootstrap boot;
    boot.rank = s.args.rank;
    boot.size = s.args.size;
    boot.dir = s.args.dir;
    std::vector<psm2_epid_t> epids = boot.exchange(epid);
    s.peers.assign(s.args.size, nullptr);
    std::vector<psm2_error_t> errs(s.args.size);
    THR_CHECK_OK(psm2_ep_connect(s.ep, s.args.size, epids.data(), nullptr, errs.data(), s.peers.data(),
                                 30'000'000'000LL));
    THR_CHECK_OK(psm2_mq_init(s.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &s.mq));
}

void close_session(Session& s) {
    THR_CHECK_OK(psm2_mq_finalize(s.mq));
    THR_CHECK_OK(psm2_ep_close(s.ep, PSM2_EP_CLOSE_GRACEFUL, 10'000'000'000LL));
    THR_CHECK_OK(psm2_finalize());
}

void barrier(Session& s, uint64_t round) {
    const int n = s.args.size;
    std::vector<psm2_mq_req_t> reqs;
    std::vector<uint64_t> in(n), out(n);
    for (int r = 0; r < n; ++r) {
        if (r == s.args.rank) continue;
        psm2_mq_req_t q;
        uint64_t from_tag = kBarrierTag | (round << 16) | static_cast<uint64_t>(r);
        THR_CHECK_OK(psm2_mq_irecv(s.mq, from_tag, ~0ull, 0, &in[r], sizeof in[r], nullptr, &q));
        reqs.push_back(q);
    }
    for (int r = 0; r < n; ++r) {
        if (r == s.args.rank) continue;
        out[r] = round;
        uint64_t my_tag = kBarrierTag | (round << 16) | static_cast<uint64_t>(s.args.rank);
        psm2_mq_req_t q;
        THR_CHECK_OK(psm2_mq_isend(s.mq, s.peers[r], 0, my_tag, &out[r], sizeof out[r], nullptr, &q));
        reqs.push_back(q);
    }
    for (psm2_mq_req_t& q : reqs) THR_CHECK_OK(psm2_mq_wait(&q, nullptr));
}

}  // namespace thr
