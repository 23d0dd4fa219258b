// Isolation between jobs of one user on one host. Every test forks the
// processes of two jobs (A: the victim of the mix-up, B: another job or a
// confused peer) and checks that B can neither connect to A nor get a single
// message into A's matched queue, while A's own ranks keep working.
//
// B's "confused peer" uses the library's internal shm and HFI APIs directly,
// the way a buggy build or a peer with the wrong job key would write into A's
// rings: it knows A's segment names (they are visible in /dev/shm).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "hal/hfi/context.h"
#include "hal/hfi/generation.h"
#include "hal/ips/epid.h"
#include "hal/ips/ips_device.h"
#include "hal/ips/ips_device_impl.h"
#include "hal/ips/packet.h"
#include "hal/shm/ring.h"
#include "hal/shm/segment.h"
#include "hal/sim/fabric.h"
#include "psm2.h"
#include "psm2_mq.h"

using namespace std::chrono_literals;

namespace {

constexpr uint32_t kRogueTag = 0xBAD0BAD0;
constexpr uint32_t kGoodTag = 0x600D600D;

// ---- process plumbing -----------------------------------------------------

// A forked process with a pipe each way. The child runs `body` and exits with
// its return value; it dies on its own after 30 s whatever happens.
struct Proc {
    pid_t pid = -1;
    int to_child = -1, from_child = -1;

    explicit Proc(const std::function<int(Proc&)>& body) {
        int down[2], up[2];
        if (pipe(down) != 0 || pipe(up) != 0) return;
        pid = fork();
        if (pid == 0) {
            close(down[1]);
            close(up[0]);
            to_child = up[1];       // in the child: write to the parent
            from_child = down[0];   // in the child: read from the parent
            alarm(30);
            _exit(body(*this));
        }
        close(down[0]);
        close(up[1]);
        to_child = down[1];
        from_child = up[0];
    }
    // Both sides: one 64-bit word each way. get() gives up after `limit`.
    bool put(uint64_t v) { return write(to_child, &v, sizeof v) == ssize_t(sizeof v); }
    bool get(uint64_t* v, std::chrono::milliseconds limit = 20s) {
        pollfd p{from_child, POLLIN, 0};
        if (poll(&p, 1, int(limit.count())) != 1) return false;
        return read(from_child, v, sizeof *v) == ssize_t(sizeof *v);
    }
    // Exit status, or -1 if it had to be killed.
    int wait(std::chrono::seconds limit = 25s) {
        if (pid <= 0) return -1;
        auto end = std::chrono::steady_clock::now() + limit;
        int st = 0;
        while (waitpid(pid, &st, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > end) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                pid = -1;
                return -1;
            }
            usleep(2000);
        }
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    ~Proc() {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        close(to_child);
        close(from_child);
    }
};

std::string hex(const psm2_uuid_t u) {
    char b[33];
    for (int i = 0; i < 16; ++i) snprintf(b + 2 * i, 3, "%02x", u[i]);
    return b;
}

// The environment of one test: two job uuids, the transport, and removal of
// every /dev/shm file the jobs could leave (pass or fail).
struct Jobs {
    psm2_uuid_t a{}, b{};
    std::string fabric;
    explicit Jobs(bool hfi) {
        for (int i = 0; i < 16; ++i) {
            a[i] = uint8_t(0xA0 + i + getpid());
            b[i] = uint8_t(0xB0 + 3 * i + getpid());
        }
        if (hfi) {
            fabric = "iso" + std::to_string(getpid()) + "x" + std::to_string(serial()++);
            setenv("PSM2_DEVICES", "self,hfi", 1);
            setenv("PSM2_SIM", fabric.c_str(), 1);
            setenv("PSM2_SIM_GEN", "gen1", 1);
        } else {
            setenv("PSM2_DEVICES", "self,shm", 1);
            unsetenv("PSM2_SIM");
        }
    }
    ~Jobs() {
        std::string uid = std::to_string(getuid());
        for (const psm2_uuid_t* u : {&a, &b}) {
            std::string prefix = "psm2cpp." + uid + "." + hex(*u) + ".";
            if (DIR* d = opendir("/dev/shm")) {
                while (dirent* e = readdir(d))
                    if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0)
                        unlink(("/dev/shm/" + std::string(e->d_name)).c_str());
                closedir(d);
            }
        }
        if (!fabric.empty()) psm::hal::sim::Fabric::remove(fabric);
        unsetenv("PSM2_SIM");
    }
    static int& serial() {
        static int n = 0;
        return n;
    }
};

// ---- job A's ranks over the public API -------------------------------------

struct Rank {
    psm2_ep_t ep = nullptr;
    psm2_mq_t mq = nullptr;
    psm2_epid_t epid = 0;
    bool open(const psm2_uuid_t uuid) {
        int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
        if (psm2_init(&major, &minor) != PSM2_OK) return false;
        psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
        return psm2_ep_open(uuid, nullptr, &ep, &epid) == PSM2_OK &&
               psm2_mq_init(ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq) == PSM2_OK;
    }
    psm2_error_t connect(psm2_epid_t to, psm2_epaddr_t* out) {
        psm2_error_t err = PSM2_OK;
        psm2_error_t rc = psm2_ep_connect(ep, 1, &to, nullptr, &err, out, 5'000'000'000LL);
        return rc == PSM2_OK ? err : rc;
    }
    void close() {
        psm2_mq_finalize(mq);
        psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 2'000'000'000LL);
        psm2_finalize();
    }
};

std::vector<uint8_t> pattern(uint32_t seed, size_t n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7 + seed * 13 + (i >> 8));
    return v;
}

// Poll for `ms` and take in every message carrying the rogue tag (A's own
// messages stay where they are, for exchange()).
int listen_for_rogues(Rank& r, std::chrono::milliseconds ms) {
    int rogue = 0;
    auto end = std::chrono::steady_clock::now() + ms;
    psm2_mq_tag_t any{}, mask{};
    any.tag0 = kRogueTag;
    mask.tag0 = 0xffffffff;
    while (std::chrono::steady_clock::now() < end) {
        psm2_poll(r.ep);
        psm2_mq_status2_t st{};
        if (psm2_mq_iprobe2(r.mq, PSM2_MQ_ANY_ADDR, &any, &mask, &st) != PSM2_OK) continue;
        std::vector<uint8_t> buf(st.msg_length);
        psm2_mq_req_t req;
        psm2_mq_tag_t t = st.msg_tag, full{};
        full.tag0 = full.tag1 = full.tag2 = 0xffffffff;
        if (psm2_mq_irecv2(r.mq, st.msg_peer, &t, &full, 0, buf.data(), uint32_t(buf.size()), nullptr, &req) !=
            PSM2_OK)
            return 1000;
        psm2_mq_status2_t done{};
        while (psm2_mq_test2(&req, &done) == PSM2_MQ_NO_COMPLETIONS) psm2_poll(r.ep);
        ++rogue;
    }
    return rogue;
}

// One byte-checked message each way between two ranks of job A.
bool exchange(Rank& r, psm2_epaddr_t peer, uint32_t me, uint32_t other) {
    auto out = pattern(me, 5000);
    std::vector<uint8_t> in(5000);
    psm2_mq_tag_t st{}, rt{}, mask{};
    st.tag0 = rt.tag0 = kGoodTag;
    st.tag1 = me;
    rt.tag1 = other;
    mask.tag0 = mask.tag1 = mask.tag2 = 0xffffffff;
    psm2_mq_req_t rr, sr;
    if (psm2_mq_irecv2(r.mq, peer, &rt, &mask, 0, in.data(), 5000, nullptr, &rr) != PSM2_OK) return false;
    if (psm2_mq_isend2(r.mq, peer, 0, &st, out.data(), 5000, nullptr, &sr) != PSM2_OK) return false;
    psm2_mq_status2_t a{}, b{};
    auto end = std::chrono::steady_clock::now() + 10s;
    bool got_r = false, got_s = false;
    while (!(got_r && got_s) && std::chrono::steady_clock::now() < end) {
        psm2_poll(r.ep);
        if (!got_r) got_r = psm2_mq_test2(&rr, &a) == PSM2_OK;
        if (!got_s) got_s = psm2_mq_test2(&sr, &b) == PSM2_OK;
    }
    return got_r && got_s && a.error_code == PSM2_OK && b.error_code == PSM2_OK && in == pattern(other, 5000);
}

mode_t mode_of(const std::string& shm_name) {
    struct stat st {};
    if (stat(("/dev/shm/" + shm_name).c_str(), &st) != 0) return 0;
    EXPECT_EQ(st.st_uid, getuid()) << shm_name;
    return st.st_mode & 07777;
}

// ---- confused peers -------------------------------------------------------

// Writes `n` eager messages with the rogue tag into a claimed ring.
void write_rogue_messages(psm::hal::shm::PeerSegment& seg, int n) {
    using namespace psm::hal::shm;
    RingProducer tx(seg.claimed_ring(), kRingLines, &seg.claimed_ctl()->ring, 0);
    for (int i = 0; i < n; ++i) {
        MsgHeader* h = tx.reserve(lines_for(16));
        if (!h) return;
        h->len = 16;
        h->kind = Kind::Eager;
        h->tag[0] = kRogueTag;
        h->tag[1] = uint32_t(i);
        h->tag[2] = 0;
        std::memset(payload_of(h), 0x5a, 16);
        tx.publish(h, lines_for(16));
    }
}

}  // namespace

// Segments of a running job: the user's own, read/write for the user only.
TEST(Isolation, SegmentsAreOwnerOnly) {
    for (bool hfi : {false, true}) {
        Jobs jobs(hfi);
        mode_t old = umask(0);   // the library must not rely on the caller's umask
        Proc a([&](Proc& self) {
            Rank r;
            if (!r.open(jobs.a)) return 1;
            self.put(r.epid);
            uint64_t done;
            self.get(&done);
            r.close();
            return 0;
        });
        umask(old);
        uint64_t epid = 0;
        ASSERT_TRUE(a.get(&epid));
        std::string uid = std::to_string(getuid());
        int seen = 0;
        if (DIR* d = opendir("/dev/shm")) {
            while (dirent* e = readdir(d)) {
                std::string n = e->d_name;
                bool ours = n.rfind("psm2cpp." + uid + "." + hex(jobs.a), 0) == 0 ||
                            (hfi && n.rfind("psm2_sim." + uid + "." + jobs.fabric, 0) == 0);
                if (!ours) continue;
                EXPECT_EQ(mode_of(n), 0600u) << n;
                ++seen;
            }
            closedir(d);
        }
        // shm: the endpoint's segment; hfi: the fabric directory and the context.
        EXPECT_GE(seen, hfi ? 2 : 1);
        a.put(1);
        EXPECT_EQ(a.wait(), 0);
    }
}

// Job B connects to job A through the public API: refused with the job-key
// error, over shm and over the simulated HFI; A's ranks carry on.
TEST(Isolation, OtherJobCannotConnect) {
    for (bool hfi : {false, true}) {
        SCOPED_TRACE(hfi ? "hfi" : "shm");
        Jobs jobs(hfi);
        auto rank_a = [&](Proc& self) {
            Rank r;
            if (!r.open(jobs.a)) return 1;
            self.put(r.epid);
            uint64_t peer = 0, me = 0;
            if (!self.get(&me) || !self.get(&peer)) return 2;
            psm2_epaddr_t addr;
            if (r.connect(peer, &addr) != PSM2_OK) return 3;
            // Polling (so the handshake of job B gets its answer) until B is done.
            int rogue = listen_for_rogues(r, 1500ms);
            bool ok = exchange(r, addr, uint32_t(me), uint32_t(1 - me));
            r.close();
            return rogue == 0 && ok ? 0 : 4;
        };
        Proc a0(rank_a), a1(rank_a);
        uint64_t e0 = 0, e1 = 0;
        ASSERT_TRUE(a0.get(&e0) && a1.get(&e1));
        a0.put(0);
        a0.put(e1);
        a1.put(1);
        a1.put(e0);
        Proc b([&](Proc& self) {
            Rank r;
            if (!r.open(jobs.b)) return 1;
            psm2_epaddr_t addr;
            psm2_error_t err = r.connect(e0, &addr);
            self.put(uint64_t(err));
            r.close();
            return 0;
        });
        uint64_t err = 0;
        ASSERT_TRUE(b.get(&err));
        EXPECT_EQ(psm2_error_t(err), PSM2_EPID_INVALID_UUID_KEY);
        EXPECT_EQ(b.wait(), 0);
        EXPECT_EQ(a0.wait(), 0);
        EXPECT_EQ(a1.wait(), 0);
    }
}

// A confused peer writes straight into job A's shm rings: once under its own
// epid with another job's uuid (then closes, so the "short-lived sender"
// path is tried too), once under the epid of A's other rank. Nothing of it
// reaches A's matched queue; A's ranks then talk normally.
TEST(Isolation, ShmForeignWritersAreNeverRead) {
    using namespace psm::hal::shm;
    Jobs jobs(false);
    auto rank_a = [&](Proc& self) {
        Rank r;
        if (!r.open(jobs.a)) return 1;
        self.put(r.epid);
        uint64_t me = 0, peer = 0, go = 0;
        if (!self.get(&me) || !self.get(&peer)) return 2;
        int rogue = 0;
        if (me == 0) {
            // Rank 0 is the target: it polls while the rogue writes.
            if (!self.get(&go)) return 3;
            rogue = listen_for_rogues(r, 600ms);   // several heartbeats and rescans
            self.put(uint64_t(rogue));
        }
        if (!self.get(&go)) return 3;
        psm2_epaddr_t addr;
        if (r.connect(peer, &addr) != PSM2_OK) return 4;
        bool ok = exchange(r, addr, uint32_t(me), uint32_t(1 - me));
        rogue += listen_for_rogues(r, 200ms);
        r.close();
        return rogue == 0 && ok ? 0 : 5;
    };
    Proc a0(rank_a), a1(rank_a);
    uint64_t e0 = 0, e1 = 0;
    ASSERT_TRUE(a0.get(&e0) && a1.get(&e1));
    a0.put(0);
    a0.put(e1);
    a1.put(1);
    a1.put(e0);
    Proc rogue([&](Proc& self) {
        Rank r;
        if (!r.open(jobs.b)) return 1;   // a real endpoint of job B (its segment exists)
        PeerSegment wrong_job, forged;
        // Its own epid, but it writes job B's uuid into A's inbox.
        if (wrong_job.attach(jobs.a, e0, 1'000'000'000) != PSM2_OK) return 2;
        if (wrong_job.claim_inbox(r.epid, uint32_t(getpid())) != PSM2_OK) return 3;
        std::memcpy(wrong_job.claimed_ctl()->owner_uuid, jobs.b, 16);
        write_rogue_messages(wrong_job, 10);
        wrong_job.close_inbox();
        // A's uuid, but the epid of A's rank 1 - which it is not.
        if (forged.attach(jobs.a, e0, 1'000'000'000) != PSM2_OK) return 4;
        if (forged.claim_inbox(e1, uint32_t(getpid())) != PSM2_OK) return 5;
        write_rogue_messages(forged, 10);
        self.put(1);
        uint64_t done;
        self.get(&done);   // stay alive (and claimed) until A is finished
        r.close();
        return 0;
    });
    uint64_t x = 0, rogue_seen = 99;
    ASSERT_TRUE(rogue.get(&x));
    a0.put(1);   // rank 0 polls over what the rogue wrote
    ASSERT_TRUE(a0.get(&rogue_seen));
    EXPECT_EQ(rogue_seen, 0u);
    a0.put(1);
    a1.put(1);
    EXPECT_EQ(a0.wait(), 0);
    EXPECT_EQ(a1.wait(), 0);
    rogue.put(1);
    EXPECT_EQ(rogue.wait(), 0);
}

// A context of another job on the same simulated fabric sends packets at
// job A's context, guessing connection indexes and sequence numbers. None is
// delivered, and A's own flow is not disturbed.
TEST(Isolation, HfiForeignPacketsAreDropped) {
    namespace ips = psm::hal::ips;
    namespace hfi = psm::hal::hfi;
    Jobs jobs(true);
    auto rank_a = [&](Proc& self) {
        Rank r;
        if (!r.open(jobs.a)) return 1;
        self.put(r.epid);
        uint64_t me = 0, peer = 0, go = 0;
        if (!self.get(&me) || !self.get(&peer)) return 2;
        psm2_epaddr_t addr;
        if (r.connect(peer, &addr) != PSM2_OK) return 3;
        bool ok = exchange(r, addr, uint32_t(me), uint32_t(1 - me));
        self.put(1);
        if (!self.get(&go)) return 4;   // the rogue is sending now
        int rogue = listen_for_rogues(r, 700ms);
        ok = ok && exchange(r, addr, uint32_t(me) + 10, uint32_t(1 - me) + 10);
        r.close();
        return rogue == 0 && ok ? 0 : 5;
    };
    Proc a0(rank_a), a1(rank_a);
    uint64_t e0 = 0, e1 = 0, x = 0;
    ASSERT_TRUE(a0.get(&e0) && a1.get(&e1));
    a0.put(0);
    a0.put(e1);
    a1.put(1);
    a1.put(e0);
    ASSERT_TRUE(a0.get(&x) && a1.get(&x));
    a0.put(1);   // both poll while the rogue sends
    a1.put(1);
    Proc rogue([&](Proc& self) {
        hfi::OpenRequest req;
        std::memcpy(req.uuid, jobs.b, 16);
        std::unique_ptr<hfi::Context> ctx;
        if (hfi::open_context(req, &ctx) != PSM2_OK) return 1;
        const auto& gen = hfi::generation_info(ctx->info().gen);
        for (psm2_epid_t target : {e0, e1}) {
            hfi::Route to{ips::epid_lid(target), ips::epid_context(target)};
            std::vector<uint8_t> buf(hfi::kMaxWireHeaderBytes + sizeof(ips::IpsHeader));
            uint8_t payload[16];
            std::memset(payload, 0x5a, sizeof payload);
            for (uint32_t conn = 0; conn < 3; ++conn)
                for (uint32_t psn = 0; psn < 40; ++psn) {
                    hfi::WireHeader wh;
                    wh.dlid = to.dlid;
                    wh.slid = ctx->info().lid;
                    wh.opcode = ips::kOpShort;
                    wh.pkey = ctx->info().pkey;
                    wh.context = uint8_t(to.context);
                    wh.bthqp = ctx->info().bthqp;
                    wh.psn = psn;
                    wh.jkey = ctx->info().jkey;   // its own job's key: the hardware stamps it
                    ips::IpsHeader ih{};
                    ih.src_conn = conn;
                    ih.dst_conn = conn;
                    ih.paylen = sizeof payload;
                    ih.tag[0] = kRogueTag;
                    ih.msg_len = sizeof payload;
                    uint32_t padded = (sizeof payload + gen.l4_align - 1) / gen.l4_align * gen.l4_align;
                    wh.pad = uint8_t((padded - sizeof payload) & 3);
                    gen.encode(wh, uint32_t(sizeof ih) + padded, buf.data());
                    std::memcpy(buf.data() + gen.header_bytes, &ih, sizeof ih);
                    for (int tries = 0; tries < 100000; ++tries) {
                        psm2_error_t err = ctx->send(to, buf.data(), gen.header_bytes + uint32_t(sizeof ih),
                                                     payload, sizeof payload);
                        if (err != PSM2_EP_NO_RESOURCES) break;
                        usleep(10);
                    }
                }
        }
        self.put(1);
        return 0;
    });
    ASSERT_TRUE(rogue.get(&x));
    EXPECT_EQ(rogue.wait(), 0);
    EXPECT_EQ(a0.wait(), 0);
    EXPECT_EQ(a1.wait(), 0);
}
