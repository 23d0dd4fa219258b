// Without PSM2_MULTI_EP a process gets one endpoint, as with the original:
// the second psm2_ep_open fails with PSM2_TOO_MANY_ENDPOINTS (and leaves the
// first one working); with PSM2_MULTI_EP=1 it succeeds. The capability mask
// advertises multi-endpoint support either way.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "psm2.h"
#include "psm2_mq.h"

namespace {

class SingleEp : public ::testing::Test {
protected:
    void SetUp() override {
        unsetenv("PSM2_MULTI_EP");
        setenv("PSM2_DEVICES", "self,shm", 1);
        int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
        ASSERT_EQ(psm2_init(&major, &minor), PSM2_OK);
        // Errors come back as return codes, nothing is printed or aborted.
        psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
        psm2_uuid_generate(uuid_);
    }
    void TearDown() override { EXPECT_EQ(psm2_finalize(), PSM2_OK); }
    psm2_uuid_t uuid_{};
};

TEST_F(SingleEp, CapabilityMaskReportsMultiEp) {
    EXPECT_EQ(psm2_get_capability_mask(PSM2_MULTI_EP_CAP), uint64_t(PSM2_MULTI_EP_CAP));
}

TEST_F(SingleEp, SecondOpenRefusedWithoutMultiEp) {
    psm2_ep_t a = nullptr, b = nullptr;
    psm2_epid_t ea = 0, eb = 0;
    ASSERT_EQ(psm2_ep_open(uuid_, nullptr, &a, &ea), PSM2_OK);
    EXPECT_EQ(psm2_ep_open(uuid_, nullptr, &b, &eb), PSM2_TOO_MANY_ENDPOINTS);
    int n = 0;
    ASSERT_EQ(psm2_ep_query(&n, nullptr), PSM2_OK);
    EXPECT_EQ(n, 1);
    // The first endpoint still talks to itself.
    psm2_mq_t mq;
    ASSERT_EQ(psm2_mq_init(a, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq), PSM2_OK);
    psm2_epaddr_t self;
    psm2_error_t err;
    ASSERT_EQ(psm2_ep_connect(a, 1, &ea, nullptr, &err, &self, 0), PSM2_OK);
    char out[64] = "multi-ep off", in[64] = {};
    psm2_mq_req_t r;
    ASSERT_EQ(psm2_mq_irecv(mq, 7, ~0ull, 0, in, sizeof in, nullptr, &r), PSM2_OK);
    ASSERT_EQ(psm2_mq_send(mq, self, 0, 7, out, sizeof out), PSM2_OK);
    ASSERT_EQ(psm2_mq_wait(&r, nullptr), PSM2_OK);
    EXPECT_STREQ(in, out);
    EXPECT_EQ(psm2_mq_finalize(mq), PSM2_OK);
    EXPECT_EQ(psm2_ep_close(a, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
    // Once it is closed, a new one may be opened.
    ASSERT_EQ(psm2_ep_open(uuid_, nullptr, &b, &eb), PSM2_OK);
    EXPECT_EQ(psm2_ep_close(b, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

TEST_F(SingleEp, SecondOpenAllowedWithMultiEp) {
    setenv("PSM2_MULTI_EP", "1", 1);
    psm2_ep_t eps[3];
    psm2_epid_t ids[3];
    for (int i = 0; i < 3; ++i) ASSERT_EQ(psm2_ep_open(uuid_, nullptr, &eps[i], &ids[i]), PSM2_OK);
    EXPECT_NE(ids[0], ids[1]);
    EXPECT_NE(ids[1], ids[2]);
    int n = 3;
    psm2_epinfo_t info[3];
    ASSERT_EQ(psm2_ep_query(&n, info), PSM2_OK);
    ASSERT_EQ(n, 3);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(info[i].ep, eps[i]);
        EXPECT_EQ(info[i].epid, ids[i]);
    }
    for (auto* e : eps) EXPECT_EQ(psm2_ep_close(e, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
    unsetenv("PSM2_MULTI_EP");
}

}  // namespace
