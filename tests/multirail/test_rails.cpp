// Multirail at the device level, over a simulated fabric with several units:
// which units PSM2_MULTIRAIL / PSM2_MULTIRAIL_MAP select, the errors for
// bad maps and mixed generations, and that a large rendezvous is striped
// across the rails (per-rail counters) with the data intact and the order
// of messages kept.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "fake_sink.h"
#include "hal/ips/epid.h"
#include "hal/ips/ips_device.h"
#include "hal/ips/rail_select.h"
#include "hal/ips/rails.h"
#include "hal/sim/sim_context.h"
#include "psm2.h"
#include "sim_env.h"

using namespace psm::hal;
using namespace std::chrono_literals;

namespace {

struct EnvVar {
    const char* name;
    EnvVar(const char* n, const char* v) : name(n) { setenv(n, v, 1); }
    ~EnvVar() { unsetenv(name); }
};

struct Endpoint {
    FakeSink sink;
    std::unique_ptr<Device> dev;
};

std::unique_ptr<Endpoint> open_endpoint(psm2_error_t expect = PSM2_OK) {
    auto ep = std::make_unique<Endpoint>();
    OpenParams p;
    p.sink = &ep->sink;
    std::memset(p.uuid, 9, sizeof p.uuid);
    EXPECT_EQ(ips::open_hfi_device(p, &ep->dev), expect) << ips::last_open_error();
    return ep;
}

std::vector<uint32_t> rail_units(const Device& d) {
    std::vector<uint32_t> u;
    for (const auto& r : ips::rail_counters(d)) u.push_back(r.unit);
    return u;
}

bool run_until(Endpoint& a, Endpoint& b, const std::function<bool()>& done, std::chrono::milliseconds limit = 20s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        a.dev->progress();
        b.dev->progress();
    }
    return true;
}

// a and b connected both ways (while a connects, the devices of this
// process answer the handshakes: no helper thread needed).
struct Pair {
    std::unique_ptr<Endpoint> a, b;
    Conn* ab = nullptr;
    Conn* ba = nullptr;
    Pair(std::unique_ptr<Endpoint> x, std::unique_ptr<Endpoint> y) : a(std::move(x)), b(std::move(y)) {
        EXPECT_EQ(a->dev->connect(b->dev->local_epid(), 5'000'000'000, &ab), PSM2_OK);
        EXPECT_EQ(b->dev->connect(a->dev->local_epid(), 5'000'000'000, &ba), PSM2_OK);
    }
};

// ---- which units ------------------------------------------------------------

TEST(RailMap, ParsesUnitPortLists) {
    std::vector<ips::RailSpec> r;
    std::string why;
    ASSERT_TRUE(ips::parse_rail_map("1:1,0:1", 2, 1, &r, &why)) << why;
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].unit, 1);
    EXPECT_EQ(r[0].port, 1);
    EXPECT_EQ(r[1].unit, 0);
    ASSERT_TRUE(ips::parse_rail_map("3", 4, 1, &r, &why)) << why;
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].port, 0);   // any
    ASSERT_TRUE(ips::parse_rail_map("0:1,1:1,2:1,3:1", 4, 1, &r, &why)) << why;
    EXPECT_EQ(r.size(), 4u);
}

TEST(RailMap, RejectsBadMapsWithAReason) {
    std::vector<ips::RailSpec> r;
    struct Case {
        const char* map;
        uint32_t units;
        const char* reason;
    } cases[] = {
        {"", 2, "is not unit:port"},           {"x", 2, "is not unit:port"},
        {"0:1,", 2, "is not unit:port"},       {"0:a", 2, "is not unit:port"},
        {"-1:1", 2, "is not unit:port"},       {"0:1:1", 2, "is not unit:port"},
        {"2:1", 2, "unit 2 does not exist"},   {"0:2", 2, "has no port 2"},
        {"0:1,0:1", 2, "listed twice"},        {"1,1:1", 2, "listed twice"},
        {"0,1,0:1", 2, "listed twice"},        {"0:1,1:1,2:1,3:1,4:1", 5, "more than 4 rails"},
    };
    for (const Case& c : cases) {
        std::string why;
        EXPECT_FALSE(ips::parse_rail_map(c.map, c.units, 1, &r, &why)) << c.map;
        EXPECT_NE(why.find(c.reason), std::string::npos) << c.map << ": " << why;
    }
}

TEST(Rails, MultirailOneOpensEveryUnit) {
    ScopedSimFabric f("gen1", "3");
    EnvVar mr("PSM2_MULTIRAIL", "1");
    auto ep = open_endpoint();
    ASSERT_TRUE(ep->dev);
    EXPECT_EQ(rail_units(*ep->dev), (std::vector<uint32_t>{0, 1, 2}));
    // The endpoint's address is rail 0's.
    EXPECT_EQ(ips::epid_lid(ep->dev->local_epid()), sim::kLidBase + 0);
}

TEST(Rails, MultirailTwoTakesTheLocalUnits) {
    // Simulated units belong to no NUMA node: all count as local.
    ScopedSimFabric f("gen1", "2");
    EnvVar mr("PSM2_MULTIRAIL", "2");
    auto ep = open_endpoint();
    EXPECT_EQ(rail_units(*ep->dev), (std::vector<uint32_t>{0, 1}));
}

TEST(Rails, MapSelectsExactlyTheListedUnitsInOrder) {
    ScopedSimFabric f("gen1", "4");
    EnvVar mr("PSM2_MULTIRAIL", "1");
    {
        EnvVar map("PSM2_MULTIRAIL_MAP", "3:1,1:1");
        auto ep = open_endpoint();
        EXPECT_EQ(rail_units(*ep->dev), (std::vector<uint32_t>{3, 1}));
        EXPECT_EQ(ips::epid_lid(ep->dev->local_epid()), sim::kLidBase + 3);
    }
    {
        // One entry: a single rail on that unit (a plain device).
        EnvVar map("PSM2_MULTIRAIL_MAP", "2");
        auto ep = open_endpoint();
        EXPECT_TRUE(rail_units(*ep->dev).empty());
        EXPECT_EQ(ips::epid_lid(ep->dev->local_epid()), sim::kLidBase + 2);
    }
}

TEST(Rails, MapIsIgnoredWithoutMultirail) {
    ScopedSimFabric f("gen1", "2");
    EnvVar map("PSM2_MULTIRAIL_MAP", "1:1,0:1");
    auto ep = open_endpoint();
    EXPECT_TRUE(rail_units(*ep->dev).empty());   // one context, on whichever unit the fabric spreads it to
}

TEST(Rails, BadMapFailsTheOpenWithTheReason) {
    ScopedSimFabric f("gen1", "2");
    EnvVar mr("PSM2_MULTIRAIL", "1");
    for (const char* bad : {"0:1,0:1", "7:1", "zero", "0:1,,1:1"}) {
        EnvVar map("PSM2_MULTIRAIL_MAP", bad);
        auto ep = open_endpoint(PSM2_PARAM_ERR);
        EXPECT_FALSE(ep->dev);
        std::string why = ips::last_open_error();
        EXPECT_NE(why.find("PSM2_MULTIRAIL_MAP"), std::string::npos) << why;
        EXPECT_NE(why.find(bad), std::string::npos) << why;
    }
}

TEST(Rails, BadMapFailsPsm2EpOpenEvenWithShm) {
    ScopedSimFabric f("gen1", "2");
    EnvVar mr("PSM2_MULTIRAIL", "1");
    EnvVar map("PSM2_MULTIRAIL_MAP", "0:1,5:1");
    EnvVar devs("PSM2_DEVICES", "self,shm,hfi");
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    ASSERT_EQ(psm2_init(&major, &minor), PSM2_OK);
    psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
    psm2_uuid_t uuid;
    psm2_uuid_generate(uuid);
    psm2_ep_t ep = nullptr;
    psm2_epid_t epid = 0;
    EXPECT_EQ(psm2_ep_open(uuid, nullptr, &ep, &epid), PSM2_PARAM_ERR);
    int n = 0;
    EXPECT_EQ(psm2_ep_query(&n, nullptr), PSM2_OK);
    EXPECT_EQ(n, 0);   // nothing half-open left behind
    EXPECT_EQ(psm2_finalize(), PSM2_OK);
}

TEST(Rails, MixedGenerationsAreRefused) {
    ScopedSimFabric g1("gen1", "1");
    sim::FabricConfig c1;
    ASSERT_TRUE(sim::config_from_env(&c1));
    sim::FabricConfig c2 = c1;
    c2.name += "_gen2";
    c2.gen = hfi::Generation::Gen2;
    std::vector<std::unique_ptr<hfi::Context>> ctxs(2);
    hfi::OpenRequest req;
    ASSERT_EQ(sim::SimContext::open(c1, req, &ctxs[0]), PSM2_OK);
    ASSERT_EQ(sim::SimContext::open(c2, req, &ctxs[1]), PSM2_OK);
    FakeSink sink;
    OpenParams p;
    p.sink = &sink;
    std::unique_ptr<Device> dev;
    std::string why;
    EXPECT_EQ(ips::make_rails_device(p, std::move(ctxs), &dev, &why), PSM2_EP_DEVICE_FAILURE);
    EXPECT_FALSE(dev);
    EXPECT_NE(why.find("one generation"), std::string::npos) << why;
    sim::Fabric::remove(c2.name);
}

// ---- striping -----------------------------------------------------------------

class RailsGen : public ::testing::TestWithParam<const char*> {};

TEST_P(RailsGen, LargeRendezvousIsStripedAndOrderKept) {
    ScopedSimFabric f(GetParam(), "2");
    EnvVar mr("PSM2_MULTIRAIL", "1");
    Pair p(open_endpoint(), open_endpoint());
    ASSERT_TRUE(p.ab && p.ba);
    const uint32_t big = 4u << 20;
    auto data = pattern(7, big);
    auto before = pattern(1, 100), after = pattern(2, 200);
    // eager, rendezvous, eager: the receiver sees them in this order.
    ASSERT_EQ(p.a->dev->send_eager(*p.ab, tag_of(1), before.data(), 100), PSM2_OK);
    ASSERT_EQ(p.a->dev->send_rts(*p.ab, tag_of(2), data.data(), big, 4242), PSM2_OK);
    ASSERT_EQ(p.a->dev->send_eager(*p.ab, tag_of(3), after.data(), 200), PSM2_OK);
    ASSERT_TRUE(run_until(*p.a, *p.b, [&] { return p.b->sink.eager.size() == 2 && p.b->sink.rts.size() == 1; }));
    EXPECT_EQ(p.b->sink.eager[0].data, before);
    EXPECT_EQ(p.b->sink.eager[1].data, after);
    EXPECT_EQ(p.b->sink.eager[0].from, p.ba);
    EXPECT_EQ(p.b->sink.rts[0].from, p.ba);
    EXPECT_EQ(p.b->sink.rts[0].len, big);
    std::vector<uint8_t> dst(big);
    ASSERT_EQ(p.b->dev->pull(*p.ba, p.b->sink.rts[0].token, dst.data(), big, 99), PSM2_OK);
    ASSERT_TRUE(run_until(*p.a, *p.b, [&] { return !p.b->sink.pulls_done.empty() && !p.a->sink.sends_done.empty(); }));
    EXPECT_EQ(p.b->sink.pulls_done[0], std::make_pair(uint64_t(99), PSM2_OK));
    EXPECT_EQ(p.a->sink.sends_done[0], std::make_pair(uint64_t(4242), PSM2_OK));
    EXPECT_TRUE(dst == data);
    auto rails = ips::rail_counters(*p.a->dev);
    ASSERT_EQ(rails.size(), 2u);
    EXPECT_EQ(rails[0].rndv_bytes_sent + rails[1].rndv_bytes_sent, big);
    for (const auto& r : rails) EXPECT_GE(r.rndv_bytes_sent, big / 4) << "unit " << r.unit;
}

TEST_P(RailsGen, SmallRendezvousAndTruncatedPullsStayCorrect) {
    ScopedSimFabric f(GetParam(), "2");
    EnvVar mr("PSM2_MULTIRAIL", "1");
    Pair p(open_endpoint(), open_endpoint());
    // Below the striping size: rail 0 alone.
    auto small = pattern(3, 100000);
    ASSERT_EQ(p.a->dev->send_rts(*p.ab, tag_of(1), small.data(), 100000, 1), PSM2_OK);
    // Striped by the sender, but the receiver takes only part of it, or nothing.
    auto big = pattern(4, 3u << 20);
    ASSERT_EQ(p.a->dev->send_rts(*p.ab, tag_of(2), big.data(), 3u << 20, 2), PSM2_OK);
    ASSERT_EQ(p.a->dev->send_rts(*p.ab, tag_of(3), big.data(), 3u << 20, 3), PSM2_OK);
    ASSERT_EQ(p.a->dev->send_rts(*p.ab, tag_of(4), big.data(), 3u << 20, 4), PSM2_OK);
    ASSERT_TRUE(run_until(*p.a, *p.b, [&] { return p.b->sink.rts.size() == 4; }));
    std::vector<uint8_t> d1(100000), d2(3u << 20, 0xee), d3(300000, 0xee);
    auto& rts = p.b->sink.rts;
    ASSERT_EQ(p.b->dev->pull(*p.ba, rts[0].token, d1.data(), 100000, 11), PSM2_OK);
    ASSERT_EQ(p.b->dev->pull(*p.ba, rts[1].token, d2.data(), 3u << 20, 12), PSM2_OK);
    ASSERT_EQ(p.b->dev->pull(*p.ba, rts[2].token, d3.data(), 300000, 13), PSM2_OK);
    ASSERT_EQ(p.b->dev->pull(*p.ba, rts[3].token, nullptr, 0, 14), PSM2_OK);
    ASSERT_TRUE(run_until(*p.a, *p.b, [&] { return p.b->sink.pulls_done.size() == 4 && p.a->sink.sends_done.size() == 4; }));
    for (auto& d : p.b->sink.pulls_done) EXPECT_EQ(d.second, PSM2_OK);
    for (auto& d : p.a->sink.sends_done) EXPECT_EQ(d.second, PSM2_OK);
    EXPECT_TRUE(d1 == small);
    EXPECT_TRUE(d2 == big);
    EXPECT_TRUE(std::equal(d3.begin(), d3.end(), big.begin()));
}

TEST_P(RailsGen, MultirailTalksToSingleRail) {
    ScopedSimFabric f(GetParam(), "2");
    std::unique_ptr<Endpoint> multi;
    {
        EnvVar mr("PSM2_MULTIRAIL", "1");
        multi = open_endpoint();
    }
    auto single = open_endpoint();
    ASSERT_EQ(ips::rail_counters(*multi->dev).size(), 2u);
    Pair p(std::move(multi), std::move(single));
    const uint32_t big = 2u << 20;
    auto data = pattern(5, big);
    ASSERT_EQ(p.a->dev->send_rts(*p.ab, tag_of(1), data.data(), big, 1), PSM2_OK);
    ASSERT_EQ(p.b->dev->send_rts(*p.ba, tag_of(2), data.data(), big, 2), PSM2_OK);
    ASSERT_TRUE(run_until(*p.a, *p.b, [&] { return p.a->sink.rts.size() == 1 && p.b->sink.rts.size() == 1; }));
    std::vector<uint8_t> at_a(big), at_b(big);
    ASSERT_EQ(p.a->dev->pull(*p.ab, p.a->sink.rts[0].token, at_a.data(), big, 10), PSM2_OK);
    ASSERT_EQ(p.b->dev->pull(*p.ba, p.b->sink.rts[0].token, at_b.data(), big, 20), PSM2_OK);
    ASSERT_TRUE(run_until(*p.a, *p.b, [&] {
        return p.a->sink.pulls_done.size() == 1 && p.b->sink.pulls_done.size() == 1 &&
               p.a->sink.sends_done.size() == 1 && p.b->sink.sends_done.size() == 1;
    }));
    EXPECT_TRUE(at_a == data);
    EXPECT_TRUE(at_b == data);
    EXPECT_EQ(ips::rail_counters(*p.a->dev)[1].rndv_bytes_sent, 0u);   // nobody to stripe to
}

INSTANTIATE_TEST_SUITE_P(Gens, RailsGen, ::testing::Values("gen1", "gen2"));

}  // namespace
