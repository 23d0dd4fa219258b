#include <cstring>

#include "psm_fixture.h"

namespace {

class Options : public PsmTest {};

TEST_F(Options, CoreDebugRoundTripsAndLengthIsChecked) {
    uint32_t v = 0x5, out = 0;
    uint64_t len = sizeof out;
    EXPECT_EQ(psm2_setopt(PSM2_COMPONENT_CORE, nullptr, PSM2_CORE_OPT_DEBUG, &v, sizeof v), PSM2_OK);
    EXPECT_EQ(psm2_getopt(PSM2_COMPONENT_CORE, nullptr, PSM2_CORE_OPT_DEBUG, &out, &len), PSM2_OK);
    EXPECT_EQ(out, 5u);
    EXPECT_EQ(psm2_setopt(PSM2_COMPONENT_CORE, nullptr, PSM2_CORE_OPT_DEBUG, &v, 2), PSM2_PARAM_ERR);
    len = 1;
    // psm2.h: PSM2_NO_MEMORY for an output buffer of insufficient size.
    EXPECT_EQ(psm2_getopt(PSM2_COMPONENT_CORE, nullptr, PSM2_CORE_OPT_DEBUG, &out, &len), PSM2_NO_MEMORY);
    EXPECT_EQ(len, sizeof(uint32_t)) << "the needed length is reported";
}

TEST_F(Options, UnknownComponentsAndOptionsAreParamErrors) {
    uint32_t v = 1;
    uint64_t len = sizeof v;
    EXPECT_EQ(psm2_setopt(static_cast<psm2_component_t>(42), nullptr, 1, &v, sizeof v), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_getopt(PSM2_COMPONENT_CORE, nullptr, 0x1ff, &v, &len), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_setopt(PSM2_COMPONENT_CORE, nullptr, PSM2_CORE_OPT_DEBUG, nullptr, 4), PSM2_PARAM_ERR);
}

TEST_F(Options, EpContextAndAmLimits) {
    psm2_epid_t epid;
    psm2_ep_t ep = open_ep(&epid);
    psm2_epaddr_t addr;
    psm2_error_t err;
    ASSERT_EQ(psm2_ep_connect(ep, 1, &epid, nullptr, &err, &addr, 0), PSM2_OK);
    int marker;
    EXPECT_EQ(psm2_setopt(PSM2_COMPONENT_CORE, addr, PSM2_CORE_OPT_EP_CTXT, &marker, sizeof(void*)), PSM2_OK);
    void* got = nullptr;
    uint64_t len = sizeof got;
    EXPECT_EQ(psm2_getopt(PSM2_COMPONENT_CORE, addr, PSM2_CORE_OPT_EP_CTXT, &got, &len), PSM2_OK);
    EXPECT_EQ(got, &marker);
    EXPECT_EQ(psm2_epaddr_getctxt(addr), &marker);

    uint32_t nargs = 0;
    len = sizeof nargs;
    EXPECT_EQ(psm2_getopt(PSM2_COMPONENT_AM, ep, PSM2_AM_OPT_NARGS, &nargs, &len), PSM2_OK);
    EXPECT_GE(nargs, 1u);
    EXPECT_EQ(psm2_setopt(PSM2_COMPONENT_AM, ep, PSM2_AM_OPT_NARGS, &nargs, sizeof nargs), PSM2_OPT_READONLY);
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

TEST_F(Options, MqRendezvousThresholdThroughGenericInterface) {
    psm2_epid_t epid;
    psm2_ep_t ep = open_ep(&epid);
    psm2_mq_t mq;
    ASSERT_EQ(psm2_mq_init(ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq), PSM2_OK);
    uint32_t thresh = 12345, out = 0;
    uint64_t len = sizeof out;
    EXPECT_EQ(psm2_setopt(PSM2_COMPONENT_MQ, mq, PSM2_MQ_OPT_RNDV_SHM_SZ, &thresh, sizeof thresh), PSM2_OK);
    EXPECT_EQ(psm2_getopt(PSM2_COMPONENT_MQ, mq, PSM2_MQ_OPT_RNDV_SHM_SZ, &out, &len), PSM2_OK);
    EXPECT_EQ(out, 12345u);
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

}  // namespace
