// The simulated HFI context: delivery between contexts, credits (a full
// queue), TID table, no-device speed, mixed generations, stale contexts,
// fault injection that replays with the same seed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "hal/hfi/context.h"
#include "hal/hfi/cdev_context.h"
#include "hal/sim/sim_context.h"
#include "sim_env.h"

using namespace psm::hal;

namespace {

std::unique_ptr<hfi::Context> open_ok() {
    std::unique_ptr<hfi::Context> c;
    hfi::OpenRequest req;
    EXPECT_EQ(hfi::open_context(req, &c), PSM2_OK);
    return c;
}

hfi::Route route_to(const hfi::Context& c) { return {c.info().lid, c.info().context}; }

bool shm_exists(const std::string& name) {
    struct stat st{};
    return stat(("/dev/shm" + name).c_str(), &st) == 0;
}

}  // namespace

TEST(SimHfi, NoDeviceIsFast) {
    unsetenv("PSM2_SIM");
    auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<hfi::Context> c;
    psm2_error_t err = hfi::open_context({}, &c);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    if (hfi::first_cdev_unit() >= 0) GTEST_SKIP() << "a real /dev/hfi1_N exists here";
    EXPECT_EQ(err, PSM2_EP_NO_DEVICE);
    EXPECT_FALSE(hfi::device_present());
    EXPECT_LT(us.count(), 100000);   // no waiting for a device node to appear
}

TEST(SimHfi, DeliversBetweenContexts) {
    ScopedSimFabric fab("gen2");
    auto a = open_ok(), b = open_ok();
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->info().context, b->info().context);
    EXPECT_EQ(a->info().gen, hfi::Generation::Gen2);
    EXPECT_EQ(a->info().mtu, 10240u);
    uint8_t hdr[80];
    for (int i = 0; i < 80; ++i) hdr[i] = uint8_t(i);
    std::vector<uint8_t> pay(5000, 0x5a);
    ASSERT_EQ(a->send(route_to(*b), hdr, sizeof hdr, pay.data(), uint32_t(pay.size())), PSM2_OK);
    hfi::RecvPacket p;
    ASSERT_TRUE(b->peek(&p));
    EXPECT_EQ(p.errors, 0u);
    ASSERT_EQ(p.hdr_len, sizeof hdr);
    EXPECT_EQ(std::memcmp(p.hdr, hdr, sizeof hdr), 0);
    ASSERT_EQ(p.payload_len, pay.size());
    EXPECT_EQ(std::memcmp(p.payload, pay.data(), pay.size()), 0);
    b->release();
    EXPECT_FALSE(b->peek(&p));
    EXPECT_FALSE(a->peek(&p));
}

TEST(SimHfi, FullQueueReportsNoResources) {
    ScopedSimFabric fab;
    auto a = open_ok(), b = open_ok();
    uint8_t hdr[64] = {};
    uint32_t sent = 0;
    while (a->send(route_to(*b), hdr, sizeof hdr, nullptr, 0) == PSM2_OK) ++sent;
    EXPECT_EQ(sent, b->info().rcvhdrq_count);
    EXPECT_EQ(a->send(route_to(*b), hdr, sizeof hdr, nullptr, 0), PSM2_EP_NO_RESOURCES);
    hfi::RecvPacket p;
    ASSERT_TRUE(b->peek(&p));
    b->release();
    EXPECT_EQ(a->send(route_to(*b), hdr, sizeof hdr, nullptr, 0), PSM2_OK);
}

TEST(SimHfi, UnknownDestinationIsUnreachable) {
    ScopedSimFabric fab;
    auto a = open_ok();
    uint8_t hdr[64] = {};
    EXPECT_EQ(a->send({a->info().lid, 77}, hdr, sizeof hdr, nullptr, 0), PSM2_EPID_UNREACHABLE);
    EXPECT_FALSE(a->peer_alive({a->info().lid, 77}));
    EXPECT_TRUE(a->peer_alive(route_to(*a)));
}

TEST(SimHfi, TidTable) {
    ScopedSimFabric fab;
    auto a = open_ok();
    std::vector<char> buf(5u << 20);
    uint32_t tid = 0, n = 0;
    ASSERT_EQ(a->tid_program(buf.data(), uint32_t(buf.size()), &tid, &n), PSM2_OK);
    EXPECT_EQ(n, 3u);   // 2 MiB per entry
    EXPECT_EQ(a->tid_target(tid + 1, 100, 10), buf.data() + (2u << 20) + 100);
    EXPECT_EQ(a->tid_target(tid + 2, (1u << 20) - 4, 8), nullptr);   // past the end
    a->tid_free(tid, n);
    EXPECT_EQ(a->tid_target(tid, 0, 1), nullptr);
}

TEST(SimHfi, MixedGenerationsAreRefused) {
    ScopedSimFabric fab("gen1");
    auto a = open_ok();
    setenv("PSM2_SIM_GEN", "gen2", 1);
    std::unique_ptr<hfi::Context> b;
    EXPECT_EQ(hfi::open_context({}, &b), PSM2_EP_DEVICE_FAILURE);
}

TEST(SimHfi, ClosingRemovesSegments) {
    ScopedSimFabric fab;
    std::string dir = sim::directory_name(fab.name);
    {
        auto a = open_ok();
        EXPECT_TRUE(shm_exists(dir));
    }
    EXPECT_FALSE(shm_exists(dir));
}

TEST(SimHfi, StaleContextOfDeadProcessIsReclaimed) {
    ScopedSimFabric fab;
    auto keep = open_ok();   // keeps the directory alive
    pid_t child = fork();
    if (child == 0) {
        std::unique_ptr<hfi::Context> c;
        hfi::open_context({}, &c);
        _exit(c ? int(c->info().context) : 0);   // dies without closing
    }
    int st = 0;
    ASSERT_EQ(waitpid(child, &st, 0), child);
    uint32_t stale = uint32_t(WEXITSTATUS(st));
    ASSERT_NE(stale, 0u);
    sim::Fabric* f = nullptr;
    sim::FabricConfig cfg;
    ASSERT_TRUE(sim::config_from_env(&cfg));
    ASSERT_EQ(sim::Fabric::open(cfg, &f), PSM2_OK);
    std::unique_ptr<sim::Fabric> fab_dir(f);
    EXPECT_EQ(f->owner(0, stale), 0);   // dead owner counts as free
    EXPECT_TRUE(shm_exists(f->context_segment_name(0, stale)));
    auto again = open_ok();              // first free slot is the stale one
    EXPECT_EQ(again->info().context, stale);
}

TEST(SimHfi, FaultsReplayWithTheSameSeed) {
    auto run = [](const char* seed) {
        ScopedSimFabric fab;
        setenv("PSM2_SIM_LOSS", "0.2", 1);
        setenv("PSM2_SIM_CORRUPT", "0.1", 1);
        setenv("PSM2_SIM_DUP", "0.1", 1);
        setenv("PSM2_SIM_REORDER", "0.1", 1);
        setenv("PSM2_SIM_SEED", seed, 1);
        auto a = open_ok(), b = open_ok();
        std::vector<int> got;   // packet number, or -1 for a damaged one
        for (int i = 0; i < 200; ++i) {
            uint8_t hdr[64] = {};
            std::memcpy(hdr, &i, sizeof i);
            EXPECT_EQ(a->send(route_to(*b), hdr, sizeof hdr, "payload", 7), PSM2_OK);
            hfi::RecvPacket p;
            while (b->peek(&p)) {
                int n;
                std::memcpy(&n, p.hdr, sizeof n);
                got.push_back(p.errors ? -1 : n);
                b->release();
            }
        }
        return got;
    };
    auto x = run("7"), y = run("7"), z = run("8");
    EXPECT_EQ(x, y);
    EXPECT_NE(x, z);
    size_t damaged = 0, dups = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        damaged += x[i] == -1;
        if (i && x[i] >= 0 && x[i] == x[i - 1]) ++dups;
    }
    EXPECT_GT(damaged, 0u);
    EXPECT_GT(dups, 0u);
    EXPECT_LT(x.size(), 200u + 40u);
}

TEST(SimHfi, FreeContextsNow) {
    ScopedSimFabric fab("gen1", "2");
    EXPECT_EQ(sim::free_contexts_now(0), sim::kUsableContextsPerUnit);
    hfi::OpenRequest req;
    req.unit = 1;
    std::unique_ptr<hfi::Context> c;
    ASSERT_EQ(hfi::open_context(req, &c), PSM2_OK);
    EXPECT_EQ(c->info().unit, 1u);
    EXPECT_EQ(c->info().lid, 2u);
    EXPECT_EQ(sim::free_contexts_now(1), sim::kUsableContextsPerUnit - 1);
    EXPECT_EQ(sim::free_contexts_now(0), sim::kUsableContextsPerUnit);
    EXPECT_EQ(sim::free_contexts_now(2), 0u);   // no such unit
}

TEST(SimHfi, UnitAndPortSelection) {
    ScopedSimFabric fab("gen1", "2");
    hfi::OpenRequest req;
    std::unique_ptr<hfi::Context> c;
    req.unit = 2;
    EXPECT_EQ(hfi::open_context(req, &c), PSM2_EP_UNIT_NOT_FOUND);
    req.unit = 0;
    req.port = 2;
    EXPECT_EQ(hfi::open_context(req, &c), PSM2_EP_NO_PORTS_AVAIL);
    req.port = 1;
    ASSERT_EQ(hfi::open_context(req, &c), PSM2_OK);
    EXPECT_EQ(c->info().unit, 0u);
    EXPECT_EQ(c->info().port, 1u);
}

// Processes of one fabric come and go at the same time: every open works,
// every context can talk, and nothing is left in /dev/shm at the end.
TEST(SimHfi, ChurnLeavesNothingBehind) {
    ScopedSimFabric fab;
    std::vector<pid_t> kids;
    for (int k = 0; k < 6; ++k) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(30);
            for (int i = 0; i < 20; ++i) {
                std::unique_ptr<hfi::Context> c;
                if (hfi::open_context({}, &c) != PSM2_OK) _exit(1);
                uint8_t hdr[64] = {};
                if (c->send(route_to(*c), hdr, sizeof hdr, nullptr, 0) != PSM2_OK) _exit(2);
                hfi::RecvPacket p;
                if (!c->peek(&p)) _exit(3);
                c->release();
            }
            _exit(0);
        }
        kids.push_back(pid);
    }
    for (pid_t k : kids) {
        int st = 0;
        ASSERT_EQ(waitpid(k, &st, 0), k);
        EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "status " << st;
    }
    EXPECT_FALSE(shm_exists(sim::directory_name(fab.name)));
    for (uint32_t c = 0; c < sim::kContextsPerUnit; ++c)
        EXPECT_FALSE(shm_exists(sim::directory_name(fab.name) + ".u0c" + std::to_string(c)));
}
