// One rank of the multi-endpoint test (PSM2_MULTI_EP=1): every rank opens
// kEps endpoints, each with its own MQ, and every endpoint exchanges an
// eager and a rendezvous message with every endpoint of every rank (itself
// and the other endpoints of its own process included). Then each rank
// closes its last endpoint and the survivors do it again: a closed endpoint
// must not disturb the others. Every payload is checked byte for byte.
//
// Started by tests/multiproc's mp_launcher (--uuid --rank --size --dir).
// While waiting, a rank polls all its endpoints: a rendezvous between two
// endpoints of one process needs both of them progressed.
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "mp_check.h"
#include "psm2.h"
#include "psm2_mq.h"

namespace {

constexpr int kEps = 4;
constexpr uint32_t kEagerBytes = 1000;
constexpr uint32_t kRndvBytes = 300000;   // above the shm and the hfi thresholds
constexpr uint32_t kKindEager = 1, kKindRndv = 2, kKindBarrier = 3;

int g_size = 0;
using mp::fail;
using mp::g_failures;
using mp::g_rank;

struct LocalEp {
    psm2_ep_t ep = nullptr;
    psm2_mq_t mq = nullptr;
    psm2_epid_t epid = 0;
    std::vector<psm2_epaddr_t> peer;   // by global endpoint number rank * kEps + i
    bool open = false;
};
LocalEp g_eps[kEps];


int global_id(int rank, int i) { return rank * kEps + i; }

unsigned char byte_of(int src, int dst, uint32_t kind, uint32_t phase, size_t i) {
    return static_cast<unsigned char>((i * 151 + (i >> 11) + src * 29 + dst * 7 + kind * 3 + phase * 11) & 0xff);
}

psm2_mq_tag_t tag_of(uint32_t kind, int src, uint32_t phase) {
    psm2_mq_tag_t t{};
    t.tag0 = kind;
    t.tag1 = static_cast<uint32_t>(src);
    t.tag2 = phase;
    return t;
}

void poll_all() {
    for (auto& l : g_eps)
        if (l.open) psm2_poll(l.ep);
}

void wait_all(std::vector<psm2_mq_req_t>& reqs, std::vector<psm2_mq_status2_t>* statuses = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (size_t i = 0; i < reqs.size(); ++i) {
        psm2_mq_status2_t st{};
        for (unsigned spin = 0; psm2_mq_test2(&reqs[i], &st) == PSM2_MQ_NO_COMPLETIONS; ++spin) {
            poll_all();
            if (spin % 16 == 15) sched_yield();
            if (std::chrono::steady_clock::now() > deadline) {
                fail("request %zu of %zu never completed", i, reqs.size());
                std::exit(1);
            }
        }
        if (statuses) statuses->push_back(st);
    }
}

// Publishes my epids, returns everyone's (global endpoint number order).
std::vector<psm2_epid_t> exchange(const std::string& dir) {
    std::string tmp = dir + "/." + std::to_string(g_rank) + ".eps";
    std::string fin = dir + "/" + std::to_string(g_rank) + ".eps";
    {
        std::ofstream out(tmp);
        for (auto& l : g_eps) out << std::hex << l.epid << "\n";
    }
    if (std::rename(tmp.c_str(), fin.c_str()) != 0) {
        fail("rename %s", fin.c_str());
        std::exit(1);
    }
    std::vector<psm2_epid_t> all(size_t(g_size) * kEps, 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (int r = 0; r < g_size; ++r) {
        for (;;) {
            std::ifstream in(dir + "/" + std::to_string(r) + ".eps");
            bool ok = bool(in);
            for (int i = 0; i < kEps && ok; ++i) ok = bool(in >> std::hex >> all[global_id(r, i)]);
            if (ok) break;
            if (std::chrono::steady_clock::now() > deadline) {
                fail("no epids from rank %d", r);
                std::exit(1);
            }
            usleep(1000);
        }
    }
    return all;
}

// Everyone's endpoint 0 reports to rank 0's endpoint 0 and waits for its
// answer. Polls every local endpoint meanwhile.
void barrier(uint32_t phase) {
    LocalEp& me = g_eps[0];
    psm2_mq_tag_t m{};
    m.tag0 = m.tag1 = m.tag2 = 0xffffffff;
    std::vector<psm2_mq_req_t> reqs;
    if (g_rank == 0) {
        for (int r = 1; r < g_size; ++r) {
            psm2_mq_tag_t t = tag_of(kKindBarrier, global_id(r, 0), phase);
            reqs.emplace_back();
            CHECK_OK(psm2_mq_irecv2(me.mq, me.peer[global_id(r, 0)], &t, &m, 0, nullptr, 0, nullptr, &reqs.back()));
        }
        wait_all(reqs);
        reqs.clear();
        for (int r = 1; r < g_size; ++r) {
            psm2_mq_tag_t t = tag_of(kKindBarrier, 0, phase);
            reqs.emplace_back();
            CHECK_OK(psm2_mq_isend2(me.mq, me.peer[global_id(r, 0)], 0, &t, nullptr, 0, nullptr, &reqs.back()));
        }
        wait_all(reqs);
    } else {
        psm2_mq_tag_t up = tag_of(kKindBarrier, global_id(g_rank, 0), phase);
        psm2_mq_tag_t down = tag_of(kKindBarrier, 0, phase);
        reqs.resize(2);
        CHECK_OK(psm2_mq_irecv2(me.mq, me.peer[0], &down, &m, 0, nullptr, 0, nullptr, &reqs[0]));
        CHECK_OK(psm2_mq_isend2(me.mq, me.peer[0], 0, &up, nullptr, 0, nullptr, &reqs[1]));
        wait_all(reqs);
    }
}

// Every open local endpoint exchanges one eager and one rendezvous message
// with every endpoint in `targets` (global numbers).
void all_to_all(const std::vector<int>& targets, uint32_t phase) {
    struct Recv {
        std::vector<unsigned char> buf;
        int src, dst;
        uint32_t kind;
    };
    std::vector<Recv> recvs;
    std::vector<psm2_mq_req_t> rreqs, sreqs;
    std::vector<std::vector<unsigned char>> sbufs;
    psm2_mq_tag_t m{};
    m.tag0 = m.tag1 = m.tag2 = 0xffffffff;
    const uint32_t kinds[] = {kKindEager, kKindRndv};
    for (int i = 0; i < kEps; ++i) {
        if (!g_eps[i].open) continue;
        int me = global_id(g_rank, i);
        for (int src : targets)
            for (uint32_t kind : kinds) {
                uint32_t n = kind == kKindEager ? kEagerBytes : kRndvBytes;
                recvs.push_back({std::vector<unsigned char>(n), src, me, kind});
                psm2_mq_tag_t t = tag_of(kind, src, phase);
                rreqs.emplace_back();
                CHECK_OK(psm2_mq_irecv2(g_eps[i].mq, g_eps[i].peer[src], &t, &m, 0, recvs.back().buf.data(), n,
                                        nullptr, &rreqs.back()));
            }
    }
    for (int i = 0; i < kEps; ++i) {
        if (!g_eps[i].open) continue;
        int me = global_id(g_rank, i);
        for (int dst : targets)
            for (uint32_t kind : kinds) {
                uint32_t n = kind == kKindEager ? kEagerBytes : kRndvBytes;
                sbufs.emplace_back(n);
                for (uint32_t b = 0; b < n; ++b) sbufs.back()[b] = byte_of(me, dst, kind, phase, b);
                psm2_mq_tag_t t = tag_of(kind, me, phase);
                sreqs.emplace_back();
                CHECK_OK(psm2_mq_isend2(g_eps[i].mq, g_eps[i].peer[dst], 0, &t, sbufs.back().data(), n, nullptr,
                                        &sreqs.back()));
            }
    }
    std::vector<psm2_mq_status2_t> st;
    wait_all(rreqs, &st);
    wait_all(sreqs);
    for (size_t k = 0; k < recvs.size(); ++k) {
        const Recv& r = recvs[k];
        if (st[k].error_code != PSM2_OK || st[k].nbytes != r.buf.size() || st[k].msg_peer != g_eps[r.dst % kEps].peer[r.src]) {
            fail("phase %u: %d -> %d kind %u: error %d, %u bytes", phase, r.src, r.dst, r.kind, st[k].error_code,
                 st[k].nbytes);
            continue;
        }
        for (size_t b = 0; b < r.buf.size(); ++b)
            if (r.buf[b] != byte_of(r.src, r.dst, r.kind, phase, b)) {
                fail("phase %u: %d -> %d kind %u: byte %zu differs", phase, r.src, r.dst, r.kind, b);
                break;
            }
    }
}

void check_query(int expect) {
    int n = kEps;
    psm2_epinfo_t info[kEps];
    CHECK_OK(psm2_ep_query(&n, info));
    if (n != expect) fail("psm2_ep_query lists %d endpoints, %d are open", n, expect);
    for (int k = 0; k < n && k < kEps; ++k) {
        bool found = false;
        for (auto& l : g_eps) found |= l.open && l.ep == info[k].ep && l.epid == info[k].epid;
        if (!found) fail("psm2_ep_query entry %d (epid 0x%llx) is not one of ours", k, (unsigned long long)info[k].epid);
    }
}

bool parse_uuid(const char* hex, psm2_uuid_t out) {
    if (std::strlen(hex) != 32) return false;
    for (int i = 0; i < 16; ++i) {
        unsigned v = 0;
        if (std::sscanf(hex + 2 * i, "%2x", &v) != 1) return false;
        out[i] = static_cast<unsigned char>(v);
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    psm2_uuid_t uuid{};
    bool have_uuid = false;
    std::string dir;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--uuid") have_uuid = parse_uuid(argv[i + 1], uuid);
        else if (k == "--rank") g_rank = std::atoi(argv[i + 1]);
        else if (k == "--size") g_size = std::atoi(argv[i + 1]);
        else if (k == "--dir") dir = argv[i + 1];
    }
    if (!have_uuid || g_size < 1 || dir.empty()) {
        std::fprintf(stderr, "usage: %s --uuid <32 hex> --rank R --size N --dir D\n", argv[0]);
        return 2;
    }
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    CHECK_OK(psm2_init(&major, &minor));
    if (psm2_get_capability_mask(PSM2_MULTI_EP_CAP) != PSM2_MULTI_EP_CAP)
        fail("psm2_get_capability_mask does not report PSM2_MULTI_EP_CAP");
    for (auto& l : g_eps) {
        CHECK_OK(psm2_ep_open(uuid, nullptr, &l.ep, &l.epid));
        CHECK_OK(psm2_mq_init(l.ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &l.mq));
        l.open = true;
    }
    check_query(kEps);
    std::vector<psm2_epid_t> all = exchange(dir);
    const int total = g_size * kEps;
    for (auto& l : g_eps) {
        std::vector<psm2_error_t> errs(total);
        l.peer.assign(total, nullptr);
        // Every endpoint connects to every endpoint (itself included); the
        // library answers connect requests for the endpoints not being polled.
        CHECK_OK(psm2_ep_connect(l.ep, total, all.data(), nullptr, errs.data(), l.peer.data(), 30'000'000'000LL));
    }

    std::vector<int> everyone;
    for (int g = 0; g < total; ++g) everyone.push_back(g);
    all_to_all(everyone, 1);
    barrier(1);

    // Close the last endpoint of every rank; the others carry on.
    LocalEp& last = g_eps[kEps - 1];
    CHECK_OK(psm2_ep_close(last.ep, PSM2_EP_CLOSE_GRACEFUL, 2'000'000'000LL));
    last.open = false;
    check_query(kEps - 1);
    barrier(2);
    std::vector<int> survivors;
    for (int r = 0; r < g_size; ++r)
        for (int i = 0; i < kEps - 1; ++i) survivors.push_back(global_id(r, i));
    all_to_all(survivors, 2);
    barrier(3);

    for (auto& l : g_eps)
        if (l.open) {
            CHECK_OK(psm2_mq_finalize(l.mq));
            CHECK_OK(psm2_ep_close(l.ep, PSM2_EP_CLOSE_GRACEFUL, 2'000'000'000LL));
            l.open = false;
        }
    CHECK_OK(psm2_finalize());
    if (g_failures) std::fprintf(stderr, "rank %d: %d failure(s)\n", g_rank, g_failures);
    return g_failures ? 1 : 0;
}
