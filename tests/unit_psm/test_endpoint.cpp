#include <cstring>
#include <vector>

#include "psm/epid.h"
#include "psm_fixture.h"

namespace {

class Endpoint : public PsmTest {};

TEST_F(Endpoint, OpensWithSelfAndConnectsToItself) {
    psm2_epid_t epid = 0;
    psm2_ep_t ep = open_ep(&epid);
    ASSERT_NE(ep, nullptr);
    EXPECT_TRUE(psm::epid::is_valid(epid));
    psm2_epaddr_t addr = nullptr;
    psm2_error_t err = PSM2_INTERNAL_ERR;
    ASSERT_EQ(psm2_ep_connect(ep, 1, &epid, nullptr, &err, &addr, 0), PSM2_OK);
    EXPECT_EQ(err, PSM2_OK);
    ASSERT_NE(addr, nullptr);
    psm2_epid_t back = 0;
    EXPECT_EQ(psm2_epaddr_to_epid(addr, &back), PSM2_OK);
    EXPECT_EQ(back, epid);
    // Connecting again gives the same address.
    psm2_epaddr_t again = nullptr;
    ASSERT_EQ(psm2_ep_connect(ep, 1, &epid, nullptr, &err, &again, 0), PSM2_OK);
    EXPECT_EQ(again, addr);
    int x = 5;
    psm2_epaddr_setctxt(addr, &x);
    EXPECT_EQ(psm2_epaddr_getctxt(addr), &x);
    psm2_epaddr_setlabel(addr, "me");
    psm2_epconn_t conn{};
    EXPECT_EQ(psm2_ep_epid_lookup(epid, &conn), PSM2_OK);
    EXPECT_EQ(conn.addr, addr);
    EXPECT_EQ(conn.ep, ep);
    EXPECT_EQ(psm2_ep_epid_lookup2(ep, epid, &conn), PSM2_OK);
    EXPECT_EQ(psm2_ep_epid_lookup2(ep, epid + 0x100, &conn), PSM2_EPID_UNKNOWN);
    int share = -1;
    EXPECT_EQ(psm2_ep_epid_share_memory(ep, epid, &share), PSM2_OK);
    EXPECT_EQ(share, 1);
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

TEST_F(Endpoint, MalformedAndUnknownEpidsGetPerPeerErrorsNotACrash) {
    psm2_epid_t epid;
    psm2_ep_t ep = open_ep(&epid);
    psm2_epid_t peers[3] = {0xdead0000000000ffull /* version 7 */, psm::epid::make_shm(1, 0), epid};
    psm2_error_t errs[3];
    psm2_epaddr_t addrs[3];
    EXPECT_NE(psm2_ep_connect(ep, 3, peers, nullptr, errs, addrs, 1'000'000), PSM2_OK);
    EXPECT_EQ(errs[0], PSM2_EPID_INVALID_VERSION);
    EXPECT_EQ(errs[1], PSM2_EPID_UNREACHABLE);   // pid 1 has no endpoint reachable over self
    EXPECT_EQ(errs[2], PSM2_OK);
    EXPECT_NE(addrs[2], nullptr);
    // The mask skips entries entirely.
    int mask[3] = {0, 0, 1};
    psm2_error_t errs2[3] = {PSM2_INTERNAL_ERR, PSM2_INTERNAL_ERR, PSM2_INTERNAL_ERR};
    EXPECT_EQ(psm2_ep_connect(ep, 3, peers, mask, errs2, addrs, 0), PSM2_OK);
    EXPECT_EQ(errs2[0], PSM2_INTERNAL_ERR);
    EXPECT_EQ(errs2[2], PSM2_OK);
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_FORCE, 0), PSM2_OK);
}

TEST_F(Endpoint, BadArgumentsAreParamErrors) {
    psm2_epid_t epid;
    psm2_uuid_t uuid{};
    psm2_ep_t ep;
    EXPECT_EQ(psm2_ep_open(uuid, nullptr, nullptr, &epid), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_ep_open_opts_get_defaults(nullptr), PSM2_PARAM_ERR);
    ep = open_ep(&epid);
    psm2_error_t err;
    psm2_epaddr_t addr;
    EXPECT_EQ(psm2_ep_connect(ep, -1, &epid, nullptr, &err, &addr, 0), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_ep_connect(ep, 1, nullptr, nullptr, &err, &addr, 0), PSM2_PARAM_ERR);
    auto* fake = reinterpret_cast<psm2_ep_t>(&epid);
    EXPECT_EQ(psm2_ep_connect(fake, 1, &epid, nullptr, &err, &addr, 0), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_poll(fake), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_ep_close(fake, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_ep_close(ep, 7, 0), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
    // Closed: the old handle is now refused, and recognised as closed.
    EXPECT_EQ(psm2_poll(ep), PSM2_EP_WAS_CLOSED);
}

TEST_F(Endpoint, SecondEndpointNeedsMultiEp) {
    psm2_epid_t a, b;
    psm2_ep_t ep1 = open_ep(&a);
    psm2_uuid_t uuid;
    psm2_uuid_generate(uuid);
    psm2_ep_t ep2 = nullptr;
    EXPECT_EQ(psm2_ep_open(uuid, nullptr, &ep2, &b), PSM2_TOO_MANY_ENDPOINTS);
    setenv("PSM2_MULTI_EP", "1", 1);
    ASSERT_EQ(psm2_ep_open(uuid, nullptr, &ep2, &b), PSM2_OK);
    EXPECT_NE(a, b);
    int n = 0;
    EXPECT_EQ(psm2_ep_query(&n, nullptr), PSM2_OK);
    EXPECT_EQ(n, 2);
    std::vector<psm2_epinfo_t> info(2);
    EXPECT_EQ(psm2_ep_query(&n, info.data()), PSM2_OK);
    EXPECT_EQ(info[1].epid, b);
    EXPECT_EQ(std::strlen(info[1].uuid_str), 36u);
    EXPECT_EQ(psm2_ep_close(ep2, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
    EXPECT_EQ(psm2_ep_close(ep1, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

TEST_F(Endpoint, TwoEndpointsInOneProcessExchangeMessages) {
    setenv("PSM2_MULTI_EP", "1", 1);
    psm2_epid_t ea, eb;
    psm2_ep_t a = open_ep(&ea), b = open_ep(&eb);
    psm2_mq_t mqa, mqb;
    ASSERT_EQ(psm2_mq_init(a, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mqa), PSM2_OK);
    ASSERT_EQ(psm2_mq_init(b, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mqb), PSM2_OK);
    psm2_epaddr_t a_to_b;
    psm2_error_t err;
    ASSERT_EQ(psm2_ep_connect(a, 1, &eb, nullptr, &err, &a_to_b, 0), PSM2_OK);
    for (uint32_t len : {0u, 8u, 4096u, 100000u}) {
        std::vector<uint8_t> out(len), in(len + 1, 0xee);
        for (uint32_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>(i * 13 + len);
        psm2_mq_req_t rreq;
        ASSERT_EQ(psm2_mq_irecv(mqb, 77, ~0ull, 0, in.data(), len + 1, nullptr, &rreq), PSM2_OK);
        psm2_mq_req_t sreq;
        ASSERT_EQ(psm2_mq_isend(mqa, a_to_b, 0, 77, out.data(), len, nullptr, &sreq), PSM2_OK);
        psm2_mq_status_t rs{}, ss{};
        // Each endpoint progresses only through its own calls; drive both.
        bool rdone = false, sdone = false;
        for (int spin = 0; spin < 1000000 && !(rdone && sdone); ++spin) {
            psm2_poll(a);
            psm2_poll(b);
            if (!rdone) rdone = psm2_mq_test(&rreq, &rs) == PSM2_OK;
            if (!sdone) sdone = psm2_mq_test(&sreq, &ss) == PSM2_OK;
        }
        ASSERT_TRUE(rdone && sdone) << "message of " << len << " bytes did not complete";
        EXPECT_EQ(rs.msg_length, len);
        EXPECT_EQ(rs.nbytes, len);
        EXPECT_EQ(rs.error_code, PSM2_OK);
        if (len) EXPECT_EQ(0, std::memcmp(in.data(), out.data(), len));   // out.data() is null at 0
        EXPECT_EQ(in[len], 0xee) << "wrote past the message";
    }
    EXPECT_EQ(psm2_ep_close(a, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
    EXPECT_EQ(psm2_ep_close(b, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

TEST_F(Endpoint, DisconnectRetiresTheAddress) {
    psm2_epid_t epid;
    psm2_ep_t ep = open_ep(&epid);
    psm2_epaddr_t addr;
    psm2_error_t err;
    ASSERT_EQ(psm2_ep_connect(ep, 1, &epid, nullptr, &err, &addr, 0), PSM2_OK);
    ASSERT_EQ(psm2_ep_disconnect2(ep, 1, &addr, nullptr, &err, PSM2_EP_DISCONNECT_GRACEFUL, 0), PSM2_OK);
    psm2_epid_t back;
    EXPECT_EQ(psm2_epaddr_to_epid(addr, &back), PSM2_PARAM_ERR);   // stale, detected
    EXPECT_EQ(psm2_ep_disconnect(ep, 1, &addr, nullptr, &err, 0), PSM2_EPID_UNKNOWN);
    psm2_epaddr_t fresh;
    ASSERT_EQ(psm2_ep_connect(ep, 1, &epid, nullptr, &err, &fresh, 0), PSM2_OK);
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

class HfiOnly : public PsmTest {
    const char* devices() const override { return "hfi"; }
};

TEST_F(HfiOnly, NoDeviceAndNoSimulationIsAClearErrorNotAWait) {
    unsetenv("PSM2_SIM");
    psm2_uuid_t uuid;
    psm2_uuid_generate(uuid);
    psm2_ep_t ep = nullptr;
    psm2_epid_t epid;
    EXPECT_EQ(psm2_ep_open(uuid, nullptr, &ep, &epid), PSM2_EP_NO_DEVICE);
    int n = 0;
    EXPECT_EQ(psm2_ep_query(&n, nullptr), PSM2_OK);
    EXPECT_EQ(n, 0) << "a failed open must leave no endpoint behind";
}

}  // namespace
