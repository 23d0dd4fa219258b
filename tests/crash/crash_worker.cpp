// One rank of a crash test (started by crash_launcher). One rank, the victim,
// SIGKILLs itself at a chosen point; the survivors must see every request
// that involves it complete - with an error where the data could not move -
// within --max-detect-ms of its death, and must then keep exchanging
// byte-checked messages among themselves. Exit status 0 = every check passed.
//
// Scenarios (--scenario):
//   eager          victim dies with eager messages in flight both ways
//   rndv           victim dies with rendezvous transfers in flight both ways
//   connect-early  victim dies right after ep_open (survivors connect to a corpse)
//   connect-mid    victim dies while its own psm2_ep_connect runs
//
// Error codes the survivors accept for the victim's requests: PSM2_EPID_UNREACHABLE
// (death seen through the peer's pid / the fabric's context table) and
// PSM2_TIMEOUT (peer silent for PSM2_PEER_TIMEOUT seconds: another host).
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "psm2.h"
#include "psm2_mq.h"

namespace {

int g_rank = 0, g_size = 0, g_victim = 0, g_failures = 0;
int64_t g_max_detect_ms = 10000, g_connect_timeout_ms = 10000;
std::string g_dir;
psm2_ep_t g_ep;
psm2_mq_t g_mq;
std::vector<psm2_epid_t> g_epids;
std::vector<psm2_epaddr_t> g_peer;

int64_t now_ns() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

void fail(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "rank %d: FAIL: ", g_rank);
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
    if (++g_failures > 20) std::exit(1);
}

#define CHECK_OK(call)                                                                        \
    do {                                                                                      \
        psm2_error_t e_ = (call);                                                             \
        if (e_ != PSM2_OK) {                                                                  \
            std::fprintf(stderr, "rank %d: %s: %s\n", g_rank, #call, psm2_error_get_string(e_)); \
            std::exit(1);                                                                     \
        }                                                                                     \
    } while (0)

bool is_peer_error(psm2_error_t e) { return e == PSM2_EPID_UNREACHABLE || e == PSM2_TIMEOUT; }

// ---- bootstrap: epids and pids through files ----------------------------

void publish(psm2_epid_t epid) {
    std::string tmp = g_dir + "/." + std::to_string(g_rank), fin = g_dir + "/" + std::to_string(g_rank) + ".epid";
    {
        std::ofstream out(tmp);
        out << std::hex << epid << "\n";
    }
    if (std::rename(tmp.c_str(), fin.c_str()) != 0) {
        std::perror("rename");
        std::exit(1);
    }
}

std::vector<psm2_epid_t> read_epids() {
    std::vector<psm2_epid_t> all(g_size, 0);
    int64_t deadline = now_ns() + 60'000'000'000;
    for (int r = 0; r < g_size; ++r)
        for (;;) {
            std::ifstream in(g_dir + "/" + std::to_string(r) + ".epid");
            if (in && (in >> std::hex >> all[r])) break;
            if (now_ns() > deadline) {
                std::fprintf(stderr, "rank %d: no epid from rank %d\n", g_rank, r);
                std::exit(1);
            }
            usleep(1000);
        }
    return all;
}

// The victim notes the time, then dies. Nothing after this line runs.
[[noreturn]] void die() {
    std::string tmp = g_dir + "/.death", fin = g_dir + "/death";
    {
        std::ofstream out(tmp);
        out << now_ns() << "\n";
    }
    std::rename(tmp.c_str(), fin.c_str());
    raise(SIGKILL);
    _exit(99);   // not reached
}

int64_t death_ns() {
    int64_t t = 0;
    int64_t deadline = now_ns() + 60'000'000'000;
    for (;;) {
        std::ifstream in(g_dir + "/death");
        if (in && (in >> t)) return t;
        if (now_ns() > deadline) {
            fail("the victim never died");
            return now_ns();
        }
        psm2_poll(g_ep);
        usleep(100);
    }
}

// ---- traffic helpers -----------------------------------------------------

uint8_t byte_of(int src, int dst, uint32_t phase, uint32_t seq, size_t i) {
    return uint8_t((i * 131 + (i >> 10) * 7 + src * 17 + dst * 5 + phase * 3 + seq * 11) & 0xff);
}

std::vector<uint8_t> payload(int src, int dst, uint32_t phase, uint32_t seq, size_t n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = byte_of(src, dst, phase, seq, i);
    return v;
}

bool verify(const std::vector<uint8_t>& v, size_t n, int src, int dst, uint32_t phase, uint32_t seq) {
    for (size_t i = 0; i < n; ++i)
        if (v[i] != byte_of(src, dst, phase, seq, i)) {
            fail("phase %u seq %u from %d: byte %zu of %zu differs", phase, seq, src, i, n);
            return false;
        }
    return true;
}

psm2_mq_tag_t tag(uint32_t phase, uint32_t src, uint32_t seq) {
    psm2_mq_tag_t t{};
    t.tag0 = phase;
    t.tag1 = src;
    t.tag2 = seq;
    return t;
}

psm2_mq_tag_t full_mask() {
    psm2_mq_tag_t m{};
    m.tag0 = m.tag1 = m.tag2 = 0xffffffff;
    return m;
}

// Completes *req or gives up at the deadline (a hang is a failure, never a
// stuck test). Returns false on the deadline.
bool wait_until(psm2_mq_req_t* req, psm2_mq_status2_t* st, int64_t deadline) {
    for (unsigned spin = 0; psm2_mq_test2(req, st) == PSM2_MQ_NO_COMPLETIONS; ++spin) {
        psm2_poll(g_ep);
        if (spin % 16 == 15) sched_yield();
        if ((spin & 1023) == 0 && now_ns() > deadline) return false;
    }
    return true;
}

// Several exchanges among the survivors, every size class, every byte checked.
void survivors_talk(uint32_t phase, int rounds) {
    const uint32_t sizes[] = {0, 8, 5000, 70000, 1u << 20};
    for (int round = 0; round < rounds; ++round) {
        struct Rx {
            std::vector<uint8_t> buf;
            psm2_mq_req_t req;
            int src;
            uint32_t seq;
        };
        std::vector<Rx> rx;
        std::vector<std::vector<uint8_t>> out;
        std::vector<psm2_mq_req_t> tx;
        for (int r = 0; r < g_size; ++r) {
            if (r == g_victim || r == g_rank) continue;
            for (uint32_t s = 0; s < 5; ++s) {
                uint32_t seq = uint32_t(round) * 8 + s;
                rx.push_back(Rx{std::vector<uint8_t>(sizes[s]), nullptr, r, seq});
                psm2_mq_tag_t t = tag(phase, r, seq), m = full_mask();
                CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[r], &t, &m, 0, rx.back().buf.data(), sizes[s], nullptr,
                                        &rx.back().req));
            }
        }
        for (int r = 0; r < g_size; ++r) {
            if (r == g_victim || r == g_rank) continue;
            for (uint32_t s = 0; s < 5; ++s) {
                uint32_t seq = uint32_t(round) * 8 + s;
                out.push_back(payload(g_rank, r, phase, seq, sizes[s]));
                psm2_mq_tag_t t = tag(phase, g_rank, seq);
                tx.emplace_back();
                CHECK_OK(psm2_mq_isend2(g_mq, g_peer[r], 0, &t, out.back().data(), sizes[s], nullptr, &tx.back()));
            }
        }
        int64_t deadline = now_ns() + 30'000'000'000;
        for (auto& x : rx) {
            psm2_mq_status2_t st{};
            if (!wait_until(&x.req, &st, deadline)) {
                fail("survivors: no message %u from rank %d", x.seq, x.src);
                continue;
            }
            if (st.error_code != PSM2_OK || st.nbytes != x.buf.size())
                fail("survivors: message %u from %d: %s, %u bytes", x.seq, x.src,
                     psm2_error_get_string(st.error_code), st.nbytes);
            else
                verify(x.buf, x.buf.size(), x.src, g_rank, phase, x.seq);
        }
        for (auto& r : tx) {
            psm2_mq_status2_t st{};
            if (!wait_until(&r, &st, deadline)) fail("survivors: a send never completed");
            else if (st.error_code != PSM2_OK) fail("survivors: send: %s", psm2_error_get_string(st.error_code));
        }
    }
}

// Everyone (victim included) exchanges small messages once: the victim
// really was part of the job before it died.
void all_exchange(uint32_t phase) {
    std::vector<std::vector<uint8_t>> in(g_size), out(g_size);
    std::vector<psm2_mq_req_t> rreq(g_size), sreq(g_size);
    for (int r = 0; r < g_size; ++r) {
        if (r == g_rank) continue;
        in[r].resize(100);
        psm2_mq_tag_t t = tag(phase, r, 0), m = full_mask();
        CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[r], &t, &m, 0, in[r].data(), 100, nullptr, &rreq[r]));
    }
    for (int r = 0; r < g_size; ++r) {
        if (r == g_rank) continue;
        out[r] = payload(g_rank, r, phase, 0, 100);
        psm2_mq_tag_t t = tag(phase, g_rank, 0);
        CHECK_OK(psm2_mq_isend2(g_mq, g_peer[r], 0, &t, out[r].data(), 100, nullptr, &sreq[r]));
    }
    int64_t deadline = now_ns() + 30'000'000'000;
    for (int r = 0; r < g_size; ++r) {
        if (r == g_rank) continue;
        psm2_mq_status2_t st{};
        if (!wait_until(&rreq[r], &st, deadline) || st.error_code != PSM2_OK) {
            std::fprintf(stderr, "rank %d: first exchange with %d failed\n", g_rank, r);
            std::exit(1);
        }
        verify(in[r], 100, r, g_rank, phase, 0);
        if (!wait_until(&sreq[r], &st, deadline)) std::exit(1);
    }
}

// ---- what the survivors check about the victim ---------------------------

struct Detection {
    psm2_error_t err = PSM2_OK;
    int64_t at_ns = 0;
    void note(psm2_error_t e) {
        if (e == PSM2_OK || err != PSM2_OK) return;
        err = e;
        at_ns = now_ns();
    }
};

// Eager messages to the victim, up to 32 in flight, until one fails. A
// failure may come back from isend itself (peer already known lost) or as
// the completion of a queued one.
void stream_until_error(Detection& d, uint32_t phase) {
    static const std::vector<uint8_t> msg = payload(g_rank, g_victim, phase, 0, 1000);
    std::vector<psm2_mq_req_t> live;
    int64_t deadline = now_ns() + g_max_detect_ms * 1'000'000 + 30'000'000'000;
    uint32_t seq = 0;
    while (d.err == PSM2_OK && now_ns() < deadline) {
        while (live.size() < 32 && d.err == PSM2_OK) {
            psm2_mq_tag_t t = tag(phase, g_rank, seq++);
            psm2_mq_req_t r = nullptr;
            psm2_error_t e = psm2_mq_isend2(g_mq, g_peer[g_victim], 0, &t, msg.data(), 1000, nullptr, &r);
            if (e != PSM2_OK) {
                if (!is_peer_error(e)) fail("isend to the dead peer: unexpected %s", psm2_error_get_string(e));
                d.note(e);
                break;
            }
            live.push_back(r);
        }
        psm2_poll(g_ep);
        for (size_t i = 0; i < live.size();) {
            psm2_mq_status2_t st{};
            if (psm2_mq_test2(&live[i], &st) == PSM2_OK) {
                if (st.error_code != PSM2_OK && !is_peer_error(st.error_code))
                    fail("send to the dead peer: unexpected %s", psm2_error_get_string(st.error_code));
                d.note(st.error_code);
                live[i] = live.back();
                live.pop_back();
            } else {
                ++i;
            }
        }
        sched_yield();
    }
    if (d.err == PSM2_OK) fail("no send to the dead peer ever failed");
    // Whatever was still queued toward it must complete too, promptly.
    int64_t drain = now_ns() + 5'000'000'000;
    for (auto& r : live) {
        psm2_mq_status2_t st{};
        if (!wait_until(&r, &st, drain)) fail("a send to the dead peer never completed");
    }
}

void report(const Detection& d, int64_t died) {
    int64_t ms = (d.at_ns - died) / 1'000'000;
    std::fprintf(stderr, "rank %d: requests to the dead rank %d fail with %s after %lld ms\n", g_rank, g_victim,
                 psm2_error_get_string(d.err), static_cast<long long>(ms));
    if (ms > g_max_detect_ms) fail("detection took %lld ms (limit %lld)", (long long)ms, (long long)g_max_detect_ms);
    // A new request to the lost peer fails at once.
    psm2_mq_tag_t t = tag(90, g_rank, 0);
    psm2_mq_req_t r = nullptr;
    static const char byte = 1;
    psm2_error_t e = psm2_mq_isend2(g_mq, g_peer[g_victim], 0, &t, &byte, 1, nullptr, &r);
    if (e == PSM2_OK) {
        psm2_mq_status2_t st{};
        if (!wait_until(&r, &st, now_ns() + 1'000'000'000) || st.error_code == PSM2_OK)
            fail("a send after the loss did not fail (%s)", psm2_error_get_string(st.error_code));
    } else if (!is_peer_error(e)) {
        fail("a send after the loss: %s", psm2_error_get_string(e));
    }
}

// Eager messages the victim sent before it died that did arrive must be
// intact (a message is delivered whole or not at all).
void check_victims_leftovers(uint32_t phase, uint32_t len) {
    psm2_mq_tag_t t = tag(phase, g_victim, 0), m = full_mask();
    m.tag2 = 0;
    psm2_mq_status2_t st{};
    int got = 0;
    while (psm2_mq_iprobe2(g_mq, g_peer[g_victim], &t, &m, &st) == PSM2_OK) {
        std::vector<uint8_t> in(len);
        psm2_mq_req_t r;
        psm2_mq_tag_t exact = st.msg_tag;
        psm2_mq_tag_t em = full_mask();
        CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[g_victim], &exact, &em, 0, in.data(), len, nullptr, &r));
        psm2_mq_status2_t rs{};
        if (!wait_until(&r, &rs, now_ns() + 5'000'000'000)) {
            fail("a message of the dead peer could not be received");
            break;
        }
        if (rs.error_code == PSM2_OK && rs.nbytes == len) verify(in, len, g_victim, g_rank, phase, exact.tag2);
        else if (rs.error_code == PSM2_OK) fail("a message of the dead peer arrived cut: %u bytes", rs.nbytes);
        ++got;
    }
    std::fprintf(stderr, "rank %d: %d message(s) of the dead rank arrived intact\n", g_rank, got);
}

// ---- scenarios -----------------------------------------------------------

void connect_all(std::vector<psm2_error_t>& errs) {
    errs.assign(g_size, PSM2_OK);
    g_peer.assign(g_size, nullptr);
    psm2_ep_connect(g_ep, g_size, g_epids.data(), nullptr, errs.data(), g_peer.data(),
                    g_connect_timeout_ms * 1'000'000);
    for (int r = 0; r < g_size; ++r)
        if (r != g_victim && errs[r] != PSM2_OK)
            fail("connect to the live rank %d: %s", r, psm2_error_get_string(errs[r]));
}

void scenario_eager() {
    std::vector<psm2_error_t> errs;
    connect_all(errs);
    CHECK_OK(psm2_mq_init(g_ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &g_mq));
    all_exchange(1);
    if (g_rank == g_victim) {
        // Messages in flight to everyone, then death mid-stream.
        std::vector<std::vector<uint8_t>> out;
        for (uint32_t i = 0; i < 64; ++i)
            for (int r = 0; r < g_size; ++r) {
                if (r == g_rank) continue;
                out.push_back(payload(g_rank, r, 2, i, 1000));
                psm2_mq_tag_t t = tag(2, g_rank, i);
                psm2_mq_req_t req;
                CHECK_OK(psm2_mq_isend2(g_mq, g_peer[r], 0, &t, out.back().data(), 1000, nullptr, &req));
            }
        for (int i = 0; i < 200; ++i) psm2_poll(g_ep);
        die();
    }
    Detection d;
    stream_until_error(d, 3);
    report(d, death_ns());
    check_victims_leftovers(2, 1000);
    survivors_talk(10, 3);
}

void scenario_rndv() {
    std::vector<psm2_error_t> errs;
    connect_all(errs);
    CHECK_OK(psm2_mq_init(g_ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &g_mq));
    all_exchange(1);
    constexpr uint32_t kFromVictim = 4u << 20, kToVictim = 16u << 20;
    int partner = (g_victim + 1) % g_size;   // the one survivor whose message the victim receives
    if (g_rank == g_victim) {
        std::vector<std::vector<uint8_t>> out;
        for (int r = 0; r < g_size; ++r) {
            if (r == g_rank) continue;
            out.push_back(payload(g_rank, r, 4, 0, kFromVictim));
            psm2_mq_tag_t t = tag(4, g_rank, 0);
            psm2_mq_req_t req;
            CHECK_OK(psm2_mq_isend2(g_mq, g_peer[r], 0, &t, out.back().data(), kFromVictim, nullptr, &req));
        }
        static std::vector<uint8_t> in(kToVictim);
        psm2_mq_tag_t t = tag(5, partner, 0), m = full_mask();
        psm2_mq_req_t req;
        CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[partner], &t, &m, 0, in.data(), kToVictim, nullptr, &req));
        // Die a few milliseconds into the transfers.
        int64_t until = now_ns() + 3'000'000;
        while (now_ns() < until) psm2_poll(g_ep);
        die();
    }
    std::vector<uint8_t> in(kFromVictim);
    auto out = payload(g_rank, g_victim, 5, 0, kToVictim);
    psm2_mq_req_t rreq, sreq;
    psm2_mq_tag_t rt = tag(4, g_victim, 0), m = full_mask(), st5 = tag(5, g_rank, 0);
    CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[g_victim], &rt, &m, 0, in.data(), kFromVictim, nullptr, &rreq));
    CHECK_OK(psm2_mq_isend2(g_mq, g_peer[g_victim], 0, &st5, out.data(), kToVictim, nullptr, &sreq));
    Detection d;
    int64_t deadline = now_ns() + g_max_detect_ms * 1'000'000 + 30'000'000'000;
    psm2_mq_status2_t st{};
    if (!wait_until(&rreq, &st, deadline)) {
        fail("the rendezvous receive from the dead peer never completed");
    } else if (st.error_code == PSM2_OK) {
        if (st.nbytes != kFromVictim) fail("rendezvous from the dead peer: %u bytes and no error", st.nbytes);
        else verify(in, kFromVictim, g_victim, g_rank, 4, 0);
    } else {
        if (!is_peer_error(st.error_code)) fail("rendezvous receive: unexpected %s", psm2_error_get_string(st.error_code));
        d.note(st.error_code);
    }
    if (!wait_until(&sreq, &st, deadline)) {
        fail("the rendezvous send to the dead peer never completed");
    } else {
        if (st.error_code == PSM2_OK && g_rank != partner)
            fail("a rendezvous send the dead peer never matched completed without error");
        if (st.error_code != PSM2_OK && !is_peer_error(st.error_code))
            fail("rendezvous send: unexpected %s", psm2_error_get_string(st.error_code));
        d.note(st.error_code);
    }
    if (d.err == PSM2_OK) {
        // Both transfers finished before the death: a new one must fail.
        psm2_mq_req_t r;
        psm2_error_t e = psm2_mq_isend2(g_mq, g_peer[g_victim], 0, &st5, out.data(), kToVictim, nullptr, &r);
        if (e != PSM2_OK) d.note(e);
        else if (wait_until(&r, &st, deadline)) d.note(st.error_code);
        if (d.err == PSM2_OK) fail("no rendezvous to the dead peer failed");
    }
    report(d, death_ns());
    survivors_talk(10, 3);
}

// connect-early: the victim dies before it connects to anyone.
// connect-mid: it dies while its own connect to everyone runs.
void scenario_connect(bool mid) {
    if (g_rank == g_victim) {
        if (!mid) die();
        std::thread([] {
            usleep(1000);
            die();
        }).detach();
        std::vector<psm2_error_t> errs(g_size);
        g_peer.assign(g_size, nullptr);
        psm2_ep_connect(g_ep, g_size, g_epids.data(), nullptr, errs.data(), g_peer.data(),
                        g_connect_timeout_ms * 1'000'000);
        psm2_mq_init(g_ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &g_mq);
        for (;;) psm2_poll(g_ep);   // until the thread kills us
    }
    if (!mid) death_ns();   // connect to a peer that is certainly dead
    int64_t t0 = now_ns();
    std::vector<psm2_error_t> errs;
    connect_all(errs);
    CHECK_OK(psm2_mq_init(g_ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &g_mq));
    int64_t died = death_ns();
    Detection d;
    if (errs[g_victim] != PSM2_OK) {
        if (!is_peer_error(errs[g_victim]))
            fail("connect to the dead peer: unexpected %s", psm2_error_get_string(errs[g_victim]));
        d.err = errs[g_victim];
        d.at_ns = now_ns();
        std::fprintf(stderr, "rank %d: connect to the dead rank: %s after %lld ms\n", g_rank,
                     psm2_error_get_string(d.err), static_cast<long long>((d.at_ns - std::max(died, t0)) / 1'000'000));
        if (d.at_ns - std::max(died, t0) > g_max_detect_ms * 1'000'000) fail("connect took too long");
    } else {
        // It was alive when we connected: it dies in traffic instead.
        stream_until_error(d, 3);
        report(d, died);
    }
    survivors_talk(10, 3);
}

bool parse_uuid(const char* hex, psm2_uuid_t out) {
    if (std::strlen(hex) != 32) return false;
    for (int i = 0; i < 16; ++i) {
        unsigned v;
        if (std::sscanf(hex + 2 * i, "%2x", &v) != 1) return false;
        out[i] = static_cast<unsigned char>(v);
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    psm2_uuid_t uuid{};
    bool have_uuid = false;
    std::string scenario;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        const char* v = argv[i + 1];
        if (k == "--uuid") have_uuid = parse_uuid(v, uuid);
        else if (k == "--scenario") scenario = v;
        else if (k == "--rank") g_rank = std::atoi(v);
        else if (k == "--size") g_size = std::atoi(v);
        else if (k == "--victim") g_victim = std::atoi(v);
        else if (k == "--dir") g_dir = v;
        else if (k == "--max-detect-ms") g_max_detect_ms = std::atoll(v);
        else if (k == "--connect-timeout-ms") g_connect_timeout_ms = std::atoll(v);
    }
    if (!have_uuid || g_size < 3 || g_dir.empty() || scenario.empty()) {
        std::fprintf(stderr, "usage: %s --scenario S --uuid HEX --rank R --size N(>=3) --victim V --dir D\n", argv[0]);
        return 2;
    }
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    CHECK_OK(psm2_init(&major, &minor));
    // Errors come back as codes; nothing is printed for the expected ones.
    psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
    psm2_epid_t epid;
    CHECK_OK(psm2_ep_open(uuid, nullptr, &g_ep, &epid));
    publish(epid);
    g_epids = read_epids();

    if (scenario == "eager") scenario_eager();
    else if (scenario == "rndv") scenario_rndv();
    else if (scenario == "connect-early") scenario_connect(false);
    else if (scenario == "connect-mid") scenario_connect(true);
    else {
        std::fprintf(stderr, "unknown scenario %s\n", scenario.c_str());
        return 2;
    }
    CHECK_OK(psm2_mq_finalize(g_mq));
    CHECK_OK(psm2_ep_close(g_ep, PSM2_EP_CLOSE_GRACEFUL, 5'000'000'000LL));
    CHECK_OK(psm2_finalize());
    if (g_failures == 0) std::fprintf(stderr, "rank %d: all checks passed\n", g_rank);
    return g_failures ? 1 : 0;
}
