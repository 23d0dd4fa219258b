// One rank of a multi-process test over the public PSM2 API: all-to-all
// tagged traffic across every size threshold (posted-before-arrival and
// unexpected), truncation, probe/mprobe, and active messages. Every payload
// is checked byte for byte. Exit status 0 = every check passed.
//
// Started by mp_launcher (fork: --rank/--size/--dir) or by mpiexec when
// built with MP_WITH_MPI (MPI only exchanges the epids).
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mp_bootstrap.h"
#include "psm2.h"
#include "psm2_am.h"
#include "psm2_mq.h"

#ifdef MP_WITH_MPI
#include <mpi.h>
#endif

namespace {

int g_rank = 0, g_size = 0, g_failures = 0;
psm2_ep_t g_ep;
psm2_mq_t g_mq;
std::vector<psm2_epaddr_t> g_peer;   // by rank

void fail(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "rank %d: FAIL: ", g_rank);
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
    if (++g_failures > 20) {
        std::fprintf(stderr, "rank %d: too many failures, giving up\n", g_rank);
        std::exit(1);
    }
}

#define CHECK_OK(call)                                                                   \
    do {                                                                                 \
        psm2_error_t e_ = (call);                                                        \
        if (e_ != PSM2_OK) {                                                             \
            std::fprintf(stderr, "rank %d: %s failed: %s\n", g_rank, #call,              \
                         psm2_error_get_string(e_));                                     \
            std::exit(1);                                                                \
        }                                                                                \
    } while (0)

// Bytes of message (src -> dst, kind) at offset i.
inline unsigned char byte_of(int src, int dst, uint32_t kind, size_t i) {
    return static_cast<unsigned char>((i * 131 + (i >> 9) * 7 + src * 17 + dst * 5 + kind * 3) & 0xff);
}

std::vector<unsigned char> make_payload(int src, int dst, uint32_t kind, size_t n) {
    std::vector<unsigned char> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = byte_of(src, dst, kind, i);
    return v;
}

bool verify(const unsigned char* p, size_t n, int src, int dst, uint32_t kind) {
    for (size_t i = 0; i < n; ++i)
        if (p[i] != byte_of(src, dst, kind, i)) {
            fail("payload from rank %d kind %u differs at byte %zu of %zu", src, kind, i, n);
            return false;
        }
    return true;
}

// Tags: w0 = scenario/kind, w1 = sender rank, w2 = phase marker.
psm2_mq_tag_t make_tag(uint32_t kind, uint32_t src, uint32_t phase) {
    psm2_mq_tag_t t{};
    t.tag0 = kind;
    t.tag1 = src;
    t.tag2 = phase;
    return t;
}
psm2_mq_tag_t mask(bool any_src) {
    psm2_mq_tag_t m{};
    m.tag0 = 0xffffffff;
    m.tag1 = any_src ? 0 : 0xffffffff;
    m.tag2 = 0xffffffff;
    return m;
}

int rank_of(psm2_epaddr_t a) {
    for (int r = 0; r < g_size; ++r)
        if (g_peer[r] == a) return r;
    return -1;
}

// Complete one request, polling; yields now and then (2 cores, up to 8 ranks).
psm2_mq_status2_t wait_req(psm2_mq_req_t* req) {
    psm2_mq_status2_t st{};
    for (unsigned spin = 0; psm2_mq_test2(req, &st) == PSM2_MQ_NO_COMPLETIONS; ++spin) {
        psm2_poll(g_ep);
        if (spin % 16 == 15) sched_yield();
    }
    return st;
}

void barrier() {
    static uint32_t gen = 0;
    ++gen;
    psm2_mq_tag_t t = make_tag(gen, 0, 0xBA77), m = mask(false);
    if (g_rank == 0) {
        std::vector<psm2_mq_req_t> reqs(g_size);
        for (int r = 1; r < g_size; ++r) {
            t.tag1 = r;
            CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[r], &t, &m, 0, nullptr, 0, nullptr, &reqs[r]));
        }
        for (int r = 1; r < g_size; ++r) wait_req(&reqs[r]);
        t.tag1 = 0;
        for (int r = 1; r < g_size; ++r) {
            CHECK_OK(psm2_mq_isend2(g_mq, g_peer[r], 0, &t, nullptr, 0, nullptr, &reqs[r]));
        }
        for (int r = 1; r < g_size; ++r) wait_req(&reqs[r]);
    } else {
        psm2_mq_req_t s, r;
        t.tag1 = g_rank;
        CHECK_OK(psm2_mq_isend2(g_mq, g_peer[0], 0, &t, nullptr, 0, nullptr, &s));
        t.tag1 = 0;
        CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[0], &t, &m, 0, nullptr, 0, nullptr, &r));
        wait_req(&s);
        wait_req(&r);
    }
}

// ---- all-to-all across every threshold -----------------------------------

const uint32_t kSizes[] = {0, 1, 8, 31, 32, 33, 64, 100, 1000, 4095, 4096, 8191, 8192,
                           15999, 16000, 16001, 65535, 65536, 262144, 1 << 20};
constexpr uint32_t kNumSizes = sizeof(kSizes) / sizeof(kSizes[0]);

struct Recv {
    std::vector<unsigned char> buf;
    psm2_mq_req_t req;
    uint32_t kind;
    int src;   // -1 = any source
};

void post_recvs(std::vector<Recv>& recvs, uint32_t phase) {
    for (auto& r : recvs) {
        psm2_mq_tag_t t = make_tag(r.kind, r.src < 0 ? 0 : r.src, phase);
        psm2_mq_tag_t m = mask(r.src < 0);
        CHECK_OK(psm2_mq_irecv2(g_mq, r.src < 0 ? PSM2_MQ_ANY_ADDR : g_peer[r.src], &t, &m, 0,
                                r.buf.data(), static_cast<uint32_t>(r.buf.size()), &r, &r.req));
    }
}

// Every rank sends every size to every other rank, then checks what it got.
// Even size indexes are received with exact source, odd ones with any source.
void alltoall(bool post_first, uint32_t phase) {
    std::vector<Recv> recvs;
    for (int k = 1; k < g_size; ++k) {
        int src = (g_rank - k + g_size) % g_size;
        for (uint32_t s = 0; s < kNumSizes; ++s)
            recvs.push_back(Recv{std::vector<unsigned char>(kSizes[s]), nullptr, s,
                                 s % 2 ? -1 : src});
    }
    std::vector<std::vector<unsigned char>> payloads;
    std::vector<psm2_mq_req_t> sends;
    if (post_first) post_recvs(recvs, phase);
    barrier();
    for (int k = 1; k < g_size; ++k) {
        int dst = (g_rank + k) % g_size;
        for (uint32_t s = 0; s < kNumSizes; ++s) {
            payloads.push_back(make_payload(g_rank, dst, s, kSizes[s]));
            psm2_mq_tag_t t = make_tag(s, g_rank, phase);
            sends.emplace_back();
            CHECK_OK(psm2_mq_isend2(g_mq, g_peer[dst], 0, &t, payloads.back().data(), kSizes[s],
                                    nullptr, &sends.back()));
        }
    }
    if (!post_first) {
        barrier();   // every rank has sent: most messages are now unexpected
        post_recvs(recvs, phase);
    }
    for (auto& r : recvs) {
        psm2_mq_status2_t st = wait_req(&r.req);
        int src = static_cast<int>(st.msg_tag.tag1);
        uint32_t n = kSizes[r.kind];
        if (st.error_code != PSM2_OK) fail("recv kind %u: %s", r.kind, psm2_error_get_string(st.error_code));
        if (st.msg_length != n || st.nbytes != n)
            fail("recv kind %u from %d: length %u/%u, expected %u", r.kind, src, st.msg_length, st.nbytes, n);
        if (st.msg_tag.tag0 != r.kind || st.msg_tag.tag2 != phase) fail("recv kind %u: wrong tag", r.kind);
        if (st.context != &r) fail("recv kind %u: wrong context", r.kind);
        if (r.src >= 0 && src != r.src) fail("exact recv from %d matched rank %d", r.src, src);
        if (rank_of(st.msg_peer) != src) fail("msg_peer is not rank %d", src);
        if (src >= 0 && src < g_size) verify(r.buf.data(), n, src, g_rank, r.kind);
    }
    for (auto& s : sends) {
        psm2_mq_status2_t st = wait_req(&s);
        if (st.error_code != PSM2_OK) fail("send: %s", psm2_error_get_string(st.error_code));
    }
    barrier();
}

// 4 MiB and 16 MiB to the next rank (memory stays bounded with 8 ranks).
void ring_large(uint32_t phase) {
    int next = (g_rank + 1) % g_size, prev = (g_rank - 1 + g_size) % g_size;
    for (uint32_t n : {4u << 20, 16u << 20}) {
        auto out = make_payload(g_rank, next, 100, n);
        std::vector<unsigned char> in(n);
        psm2_mq_tag_t t = make_tag(100, g_rank, phase), rt = make_tag(100, prev, phase), m = mask(false);
        psm2_mq_req_t s, r;
        CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[prev], &rt, &m, 0, in.data(), n, nullptr, &r));
        CHECK_OK(psm2_mq_isend2(g_mq, g_peer[next], 0, &t, out.data(), n, nullptr, &s));
        psm2_mq_status2_t st = wait_req(&r);
        if (st.error_code != PSM2_OK || st.nbytes != n) fail("ring %u: %u bytes, %s", n, st.nbytes,
                                                            psm2_error_get_string(st.error_code));
        verify(in.data(), n, prev, g_rank, 100);
        wait_req(&s);
    }
    barrier();
}

// ---- truncation ------------------------------------------------------------

void truncation(uint32_t phase) {
    int next = (g_rank + 1) % g_size, prev = (g_rank - 1 + g_size) % g_size;
    const uint32_t sent[] = {1000, 100000}, room[] = {500, 50000};
    std::vector<std::vector<unsigned char>> out, in;
    std::vector<psm2_mq_req_t> sreq(2), rreq(2);
    for (int i = 0; i < 2; ++i) {
        in.emplace_back(room[i] + 16, 0xee);
        psm2_mq_tag_t t = make_tag(200 + i, prev, phase), m = mask(false);
        CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[prev], &t, &m, 0, in[i].data(), room[i], nullptr, &rreq[i]));
    }
    for (int i = 0; i < 2; ++i) {
        out.push_back(make_payload(g_rank, next, 200 + i, sent[i]));
        psm2_mq_tag_t t = make_tag(200 + i, g_rank, phase);
        CHECK_OK(psm2_mq_isend2(g_mq, g_peer[next], 0, &t, out[i].data(), sent[i], nullptr, &sreq[i]));
    }
    for (int i = 0; i < 2; ++i) {
        psm2_mq_status2_t st = wait_req(&rreq[i]);
        if (st.error_code != PSM2_MQ_TRUNCATION) fail("truncation %u: error %d", sent[i], st.error_code);
        if (st.msg_length != sent[i] || st.nbytes != room[i])
            fail("truncation %u: msg_length %u nbytes %u", sent[i], st.msg_length, st.nbytes);
        verify(in[i].data(), room[i], prev, g_rank, 200 + i);
        if (in[i][room[i]] != 0xee) fail("truncation %u: wrote past the buffer", sent[i]);
        wait_req(&sreq[i]);
    }
    barrier();
}

// ---- probe / mprobe --------------------------------------------------------

void probes(uint32_t phase) {
    int next = (g_rank + 1) % g_size, prev = (g_rank - 1 + g_size) % g_size;
    const uint32_t sizes[] = {3000, 50000};
    std::vector<std::vector<unsigned char>> out;
    std::vector<psm2_mq_req_t> sreq(2);
    for (int i = 0; i < 2; ++i) {
        out.push_back(make_payload(g_rank, next, 300 + i, sizes[i]));
        psm2_mq_tag_t t = make_tag(300 + i, g_rank, phase);
        CHECK_OK(psm2_mq_isend2(g_mq, g_peer[next], 0, &t, out[i].data(), sizes[i], nullptr, &sreq[i]));
    }
    for (int i = 0; i < 2; ++i) {
        bool any = i == 1;
        psm2_mq_tag_t t = make_tag(300 + i, prev, phase), m = mask(any);
        psm2_epaddr_t src = any ? PSM2_MQ_ANY_ADDR : g_peer[prev];
        psm2_mq_status2_t st{};
        for (unsigned spin = 0; psm2_mq_iprobe2(g_mq, src, &t, &m, &st) != PSM2_OK; ++spin) {
            psm2_poll(g_ep);
            if (spin % 16 == 15) sched_yield();
        }
        if (st.msg_length != sizes[i] || rank_of(st.msg_peer) != prev)
            fail("iprobe %d: length %u peer %d", i, st.msg_length, rank_of(st.msg_peer));
        // The probed message is still there: mprobe takes it.
        psm2_mq_req_t req = nullptr;
        psm2_mq_status2_t st2{};
        if (psm2_mq_improbe2(g_mq, src, &t, &m, &req, &st2) != PSM2_OK) {
            fail("improbe %d found nothing after iprobe", i);
            continue;
        }
        if (st2.msg_length != sizes[i]) fail("improbe %d: length %u", i, st2.msg_length);
        psm2_mq_status2_t again{};
        if (psm2_mq_iprobe2(g_mq, src, &t, &m, &again) == PSM2_OK) fail("message %d still probeable after improbe", i);
        std::vector<unsigned char> in(sizes[i]);
        CHECK_OK(psm2_mq_imrecv(g_mq, 0, in.data(), sizes[i], nullptr, &req));
        psm2_mq_status2_t st3 = wait_req(&req);
        if (st3.error_code != PSM2_OK || st3.nbytes != sizes[i]) fail("imrecv %d: %u bytes", i, st3.nbytes);
        verify(in.data(), sizes[i], prev, g_rank, 300 + i);
    }
    for (auto& s : sreq) wait_req(&s);
    barrier();
}

// ---- active messages -------------------------------------------------------

constexpr int kAmPerPeer = 10;
int g_reply_handler = 0;
std::vector<int> g_replies;          // per source rank
int g_completions = 0;

int on_request(psm2_am_token_t token, psm2_amarg_t* args, int nargs, void* src, uint32_t len) {
    if (nargs != 2) fail("AM request with %d args", nargs);
    int from = static_cast<int>(args[0].u32w0);
    uint32_t k = args[1].u32w0;
    if (len != k * 100 || !verify(static_cast<unsigned char*>(src), len, from, g_rank, 400 + k))
        fail("AM request %u from %d: bad payload (%u bytes)", k, from, len);
    psm2_epaddr_t who = nullptr;
    if (psm2_am_get_source(token, &who) != PSM2_OK || rank_of(who) != from)
        fail("AM source is not rank %d", from);
    psm2_amarg_t rep[2];
    rep[0].u32w0 = static_cast<uint32_t>(g_rank);
    rep[1].u32w0 = k;
    auto back = make_payload(g_rank, from, 500 + k, 64);
    if (psm2_am_reply_short(token, g_reply_handler, rep, 2, back.data(), back.size(), 0, nullptr, nullptr) != PSM2_OK)
        fail("AM reply to %d failed", from);
    return 0;
}

int on_reply(psm2_am_token_t, psm2_amarg_t* args, int nargs, void* src, uint32_t len) {
    int from = static_cast<int>(args[0].u32w0);
    if (nargs != 2 || from < 0 || from >= g_size) {
        fail("bad AM reply");
        return 0;
    }
    if (len != 64 || !verify(static_cast<unsigned char*>(src), len, from, g_rank, 500 + args[1].u32w0))
        fail("AM reply from %d: bad payload", from);
    ++g_replies[from];
    return 0;
}

void on_complete(void*) { ++g_completions; }

void active_messages() {
    psm2_am_handler_fn_t handlers[] = {on_request, on_reply};
    int idx[2];
    CHECK_OK(psm2_am_register_handlers(g_ep, handlers, 2, idx));
    g_reply_handler = idx[1];
    g_replies.assign(g_size, 0);
    barrier();   // every rank has its handlers before the first request
    int expected = 0;
    for (int k = 1; k < g_size; ++k) {
        int dst = (g_rank + k) % g_size;
        for (uint32_t i = 0; i < kAmPerPeer; ++i) {
            psm2_amarg_t args[2];
            args[0].u32w0 = static_cast<uint32_t>(g_rank);
            args[1].u32w0 = i;
            auto p = make_payload(g_rank, dst, 400 + i, i * 100);
            CHECK_OK(psm2_am_request_short(g_peer[dst], idx[0], args, 2, p.data(), p.size(), 0,
                                           on_complete, nullptr));
            ++expected;
        }
    }
    auto total = [] { int t = 0; for (int n : g_replies) t += n; return t; };
    for (unsigned spin = 0; total() < expected || g_completions < expected; ++spin) {
        psm2_poll(g_ep);
        if (spin % 16 == 15) sched_yield();
        if (spin > 200'000'000u) {
            fail("AM: %d of %d replies, %d completions", total(), expected, g_completions);
            break;
        }
    }
    for (int r = 0; r < g_size; ++r)
        if (r != g_rank && g_replies[r] != kAmPerPeer) fail("AM: %d replies from %d", g_replies[r], r);
    barrier();   // keep serving others' requests until everyone is done
}

// ---- a peer dies with messages in flight -------------------------------------

// Rank 1 queues eager messages and a rendezvous send to rank 0, then is
// SIGKILLed. Rank 0 must get the eager data, see the rendezvous receive
// complete with an error (its sender's memory is gone), fail a send to the
// dead peer, and close cleanly - no hang, no abort.
void peer_death(const std::vector<psm2_epid_t>& epids) {
    constexpr uint32_t kBig = 1 << 20;
    static std::vector<unsigned char> big = make_payload(1, 0, 601, kBig);
    if (g_rank == 1) {
        std::vector<psm2_mq_req_t> reqs(4);
        for (uint32_t i = 0; i < 3; ++i) {
            auto p = make_payload(1, 0, 600, 100 * (i + 1));
            psm2_mq_tag_t t = make_tag(600 + i, 1, 9);
            CHECK_OK(psm2_mq_isend2(g_mq, g_peer[0], 0, &t, p.data(), p.size(), nullptr, &reqs[i]));
            wait_req(&reqs[i]);
        }
        psm2_mq_tag_t t = make_tag(601, 1, 9);
        CHECK_OK(psm2_mq_isend2(g_mq, g_peer[0], 0, &t, big.data(), kBig, nullptr, &reqs[3]));
        for (int i = 0; i < 1000; ++i) psm2_poll(g_ep);
        raise(SIGKILL);
    }
    if (g_rank != 0) return;
    // Shm-only epids carry the pid in bits 63:32: wait until rank 1 is gone.
    pid_t victim = static_cast<pid_t>(epids[1] >> 32);
    while (kill(victim, 0) == 0) usleep(1000);
    for (uint32_t i = 0; i < 3; ++i) {
        std::vector<unsigned char> in(100 * (i + 1));
        psm2_mq_tag_t t = make_tag(600 + i, 1, 9), m = mask(false);
        psm2_mq_req_t r;
        CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[1], &t, &m, 0, in.data(), in.size(), nullptr, &r));
        psm2_mq_status2_t st = wait_req(&r);
        if (st.error_code != PSM2_OK || st.nbytes != in.size())
            fail("eager message %u sent before the death: %s", i, psm2_error_get_string(st.error_code));
        else
            verify(in.data(), in.size(), 1, 0, 600);
    }
    std::vector<unsigned char> in(kBig);
    psm2_mq_tag_t t = make_tag(601, 1, 9), m = mask(false);
    psm2_mq_req_t r;
    CHECK_OK(psm2_mq_irecv2(g_mq, g_peer[1], &t, &m, 0, in.data(), kBig, nullptr, &r));
    psm2_mq_status2_t st = wait_req(&r);
    if (st.error_code == PSM2_OK) fail("rendezvous from a dead sender completed without error");
    auto out = make_payload(0, 1, 602, 100000);
    t = make_tag(602, 0, 9);
    psm2_mq_req_t s = nullptr;
    psm2_error_t e = psm2_mq_isend2(g_mq, g_peer[1], 0, &t, out.data(), out.size(), nullptr, &s);
    if (e == PSM2_OK) {
        st = wait_req(&s);
        if (st.error_code == PSM2_OK) fail("send to a dead peer completed without error");
    }
}

// ---- only one side connects ------------------------------------------------

// Rank 0 connects to everyone; the others never call psm2_ep_connect. They
// receive from any source and answer through status.msg_peer, the address
// the library made for the peer that reached them first.
void one_sided(const std::vector<psm2_epid_t>& epids) {
    if (g_rank == 0) {
        std::vector<psm2_error_t> errs(g_size);
        CHECK_OK(psm2_ep_connect(g_ep, g_size, epids.data(), nullptr, errs.data(), g_peer.data(),
                                 30'000'000'000LL));
        for (int r = 1; r < g_size; ++r) {
            auto out = make_payload(0, r, 700, 20000);   // a rendezvous
            psm2_mq_tag_t t = make_tag(700, 0, 11);
            CHECK_OK(psm2_mq_send2(g_mq, g_peer[r], 0, &t, out.data(), out.size()));
        }
        for (int k = 1; k < g_size; ++k) {
            std::vector<unsigned char> in(3000);
            psm2_mq_tag_t t = make_tag(701, 0, 11), m = mask(true);
            psm2_mq_req_t req;
            CHECK_OK(psm2_mq_irecv2(g_mq, PSM2_MQ_ANY_ADDR, &t, &m, 0, in.data(), in.size(), nullptr, &req));
            psm2_mq_status2_t st = wait_req(&req);
            int from = rank_of(st.msg_peer);
            if (from <= 0 || st.nbytes != 3000 || static_cast<int>(st.msg_tag.tag1) != from)
                fail("one-sided reply from %d (tag says %u), %u bytes", from, st.msg_tag.tag1, st.nbytes);
            else
                verify(in.data(), in.size(), from, 0, 701);
        }
        return;
    }
    std::vector<unsigned char> in(20000);
    psm2_mq_tag_t t = make_tag(700, 0, 11), m = mask(true);
    psm2_mq_req_t req;
    CHECK_OK(psm2_mq_irecv2(g_mq, PSM2_MQ_ANY_ADDR, &t, &m, 0, in.data(), in.size(), nullptr, &req));
    psm2_mq_status2_t st = wait_req(&req);
    if (st.error_code != PSM2_OK || st.nbytes != in.size() || !st.msg_peer) {
        fail("one-sided: %s, %u bytes", psm2_error_get_string(st.error_code), st.nbytes);
        return;
    }
    verify(in.data(), in.size(), 0, g_rank, 700);
    psm2_epid_t src_epid = 0;
    if (psm2_epaddr_to_epid(st.msg_peer, &src_epid) != PSM2_OK || src_epid != epids[0])
        fail("one-sided: msg_peer is not rank 0's address");
    auto out = make_payload(g_rank, 0, 701, 3000);
    psm2_mq_tag_t rt = make_tag(701, g_rank, 11);
    // An eager reply sits in rank 0's inbox once send2 returns; we may close
    // at once and rank 0 must still get it.
    CHECK_OK(psm2_mq_send2(g_mq, st.msg_peer, 0, &rt, out.data(), out.size()));
}

#ifdef MP_WITH_MPI
struct MpiBootstrap final : mp::Bootstrap {
    std::vector<psm2_epid_t> exchange(psm2_epid_t mine) override {
        std::vector<psm2_epid_t> all(size);
        MPI_Allgather(&mine, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);
        return all;
    }
    void finish(int failures) override {
        int total = 0;
        MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        MPI_Finalize();
    }
};
#endif

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
    std::unique_ptr<mp::Bootstrap> boot;
    psm2_uuid_t uuid{};
    bool have_uuid = false;
#ifdef MP_WITH_MPI
    MPI_Init(&argc, &argv);
    boot = std::make_unique<MpiBootstrap>();
    MPI_Comm_rank(MPI_COMM_WORLD, &boot->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &boot->size);
#else
    auto file = std::make_unique<mp::FileBootstrap>();
#endif
    std::string scenario = "all";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--uuid") have_uuid = parse_uuid(argv[i + 1], uuid);
        else if (k == "--scenario") scenario = argv[i + 1];
#ifndef MP_WITH_MPI
        else if (k == "--rank") file->rank = std::atoi(argv[i + 1]);
        else if (k == "--size") file->size = std::atoi(argv[i + 1]);
        else if (k == "--dir") file->dir = argv[i + 1];
#endif
    }
#ifndef MP_WITH_MPI
    boot = std::move(file);
#endif
    if (!have_uuid || boot->size < 2) {
        std::fprintf(stderr, "usage: %s --uuid <32 hex> [--rank R --size N --dir D]\n", argv[0]);
        return 2;
    }
    g_rank = boot->rank;
    g_size = boot->size;

    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    CHECK_OK(psm2_init(&major, &minor));
    psm2_epid_t epid;
    CHECK_OK(psm2_ep_open(uuid, nullptr, &g_ep, &epid));
    std::vector<psm2_epid_t> epids = boot->exchange(epid);
    g_peer.assign(g_size, nullptr);
    if (scenario == "one-sided") {
        CHECK_OK(psm2_mq_init(g_ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &g_mq));
        one_sided(epids);
        CHECK_OK(psm2_mq_finalize(g_mq));
        CHECK_OK(psm2_ep_close(g_ep, PSM2_EP_CLOSE_GRACEFUL, 10'000'000'000LL));
        CHECK_OK(psm2_finalize());
        if (g_failures == 0) std::fprintf(stderr, "rank %d: all checks passed\n", g_rank);
        boot->finish(g_failures);
        return g_failures ? 1 : 0;
    }
    std::vector<psm2_error_t> errs(g_size);
    CHECK_OK(psm2_ep_connect(g_ep, g_size, epids.data(), nullptr, errs.data(), g_peer.data(),
                             30'000'000'000LL));
    CHECK_OK(psm2_mq_init(g_ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &g_mq));

    barrier();
    if (scenario == "peer-death") {
        peer_death(epids);
    } else {
        alltoall(/*post_first=*/true, 1);
        alltoall(/*post_first=*/false, 2);
        ring_large(3);
        truncation(4);
        probes(5);
        active_messages();
    }

    CHECK_OK(psm2_mq_finalize(g_mq));
    CHECK_OK(psm2_ep_close(g_ep, PSM2_EP_CLOSE_GRACEFUL, 10'000'000'000LL));
    CHECK_OK(psm2_finalize());
    if (g_failures == 0) std::fprintf(stderr, "rank %d: all checks passed\n", g_rank);
    boot->finish(g_failures);
    return g_failures ? 1 : 0;
}
