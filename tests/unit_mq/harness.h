// Test fixtures: endpoints built by hand around the real engine, joined by
// FakeDevice connections, with no process boundary. The library is
// initialised once (psm2_init) with errors returned, not printed.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

#include "fake_device.h"
#include "mq/engine.h"
#include "mq/engine_impl.h"
#include "psm/endpoint.h"
#include "psm/library.h"
#include "psm2.h"
#include "psm2_am.h"
#include "psm2_mq.h"

namespace mqtest {

class LibraryEnv : public ::testing::Environment {
public:
    void SetUp() override {
        int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
        psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
        ASSERT_EQ(psm2_init(&major, &minor), PSM2_OK);
    }
};

// One endpoint: a psm2_ep with its engine and one fake device.
struct Node {
    psm2_ep ep;
    FakeDevice dev;
    psm::mq::Engine* engine;
    psm2_mq_t mq;

    explicit Node(uint32_t rndv_threshold = 4096, std::string dev_name = "fake")
        : dev(std::move(dev_name), rndv_threshold) {
        engine = psm::mq::create_engine(&ep);
        ep.engine = engine;
        dev.set_sink(psm::mq::sink_of(engine));
        psm::mq::attach_device(engine, &dev);
        psm::library().endpoints.push_back(&ep);
        mq = psm::mq::as_mq(engine);
    }
    ~Node() {
        *alive = false;
        for (psm2_epaddr* p : peers) psm::mq::peer_removed(engine, p);
        psm::mq::destroy_engine(engine);
        std::erase(psm::library().endpoints, &ep);
    }
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    int progress() { return psm::mq::progress(engine); }
    std::vector<psm2_epaddr*> peers;
    // Outlives the node: tells a Link whether its nodes are still there.
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

// A connection between two nodes (or a node and itself): each side's
// psm2_epaddr for the other and the fake device connections under them.
struct Link {
    psm2_epaddr a_to_b;   // on node a: the address of b
    psm2_epaddr b_to_a;   // on node b: the address of a
    FakeConn conn_ab, conn_ba;

    Link(Node& a, Node& b, psm2_epid_t epid_a = 0x100, psm2_epid_t epid_b = 0x200)
        : a_(&a), b_(&b), a_alive_(a.alive), b_alive_(b.alive) {
        conn_ab.remote = &b.dev;
        conn_ab.remote_conn = &conn_ba;
        conn_ab.peer_cookie = &a_to_b;
        conn_ab.epid = epid_b;
        conn_ba.remote = &a.dev;
        conn_ba.remote_conn = &conn_ab;
        conn_ba.peer_cookie = &b_to_a;
        conn_ba.epid = epid_a;
        a_to_b.epid = epid_b;
        a_to_b.ep = &a.ep;
        a_to_b.dev = &a.dev;
        a_to_b.conn = &conn_ab;
        b_to_a.epid = epid_a;
        b_to_a.ep = &b.ep;
        b_to_a.dev = &b.dev;
        b_to_a.conn = &conn_ba;
        psm::mq::peer_added(a.engine, &a_to_b);
        psm::mq::peer_added(b.engine, &b_to_a);
        a.peers.push_back(&a_to_b);
        b.peers.push_back(&b_to_a);
    }
    // A link may go before its nodes (declared after them): its addresses
    // leave the engines first. Nodes already gone removed them themselves.
    ~Link() {
        for (auto [node, alive, addr] : {std::tuple{a_, a_alive_.get(), &a_to_b}, std::tuple{b_, b_alive_.get(), &b_to_a}}) {
            if (!*alive) continue;
            auto it = std::find(node->peers.begin(), node->peers.end(), addr);
            if (it == node->peers.end()) continue;
            node->peers.erase(it);
            psm::mq::peer_removed(node->engine, addr);
        }
    }
    Link(const Link&) = delete;
    Link& operator=(const Link&) = delete;

private:
    Node* a_;
    Node* b_;
    std::shared_ptr<bool> a_alive_, b_alive_;
};

// Progress every node until nothing moved for a few rounds (a refused send
// is retried once per progress call, which counts as no event).
template <class... N>
void pump(N&... nodes) {
    int idle = 0;
    for (int i = 0; i < 10000; ++i) {
        int events = (nodes.progress() + ...);
        idle = events ? 0 : idle + 1;
        if (idle == 8) return;
    }
    FAIL() << "nodes kept producing events";
}

inline psm2_mq_tag_t tag3(uint32_t a, uint32_t b, uint32_t c) {
    psm2_mq_tag_t t{};
    t.tag[0] = a;
    t.tag[1] = b;
    t.tag[2] = c;
    return t;
}

}  // namespace mqtest

namespace mqtest {

// Messages whose payload is a 32-bit id, delivered to node b as if the
// device at the other end of link l had received them.
inline void inject(Node& b, Link& l, const psm2_mq_tag_t& t, uint32_t id) {
    Tag96 tag{{t.tag[0], t.tag[1], t.tag[2]}};
    b.engine->on_eager(l.conn_ba, tag, &id, sizeof id);
}

// A posted receive of one 32-bit id.
struct Recv {
    uint32_t got = 0xffffffffu;
    psm2_mq_req_t req = nullptr;
};

inline void post(Node& b, Recv& r, psm2_epaddr_t src, const psm2_mq_tag_t& tag, const psm2_mq_tag_t& sel) {
    psm2_mq_tag_t t = tag, s = sel;
    ASSERT_EQ(psm2_mq_irecv2(b.mq, src, &t, &s, 0, &r.got, sizeof r.got, &r, &r.req), PSM2_OK);
}

// The id a receive got, or -1 if it is not complete.
inline int64_t finished(Recv& r) {
    psm2_mq_status2_t st;
    if (psm2_mq_test2(&r.req, &st) != PSM2_OK) return -1;
    return r.got;
}

}  // namespace mqtest
