#include <cstring>
#include <string>

#include "psm_fixture.h"

namespace {

class InfoQuery : public PsmTest {};

TEST_F(InfoQuery, NoHardwareNoSimulationMeansNoUnits) {
    uint32_t n = 99;
    ASSERT_EQ(psm2_info_query(PSM2_INFO_QUERY_NUM_UNITS, &n, 0, nullptr), PSM2_OK);
    EXPECT_EQ(n, 0u);
    ASSERT_EQ(psm2_ep_num_devunits(&n), PSM2_OK);
    EXPECT_EQ(n, 0u);
    psm2_info_query_arg_t arg[1];
    arg[0].unit = 0;
    uint32_t st;
    EXPECT_EQ(psm2_info_query(PSM2_INFO_QUERY_UNIT_STATUS, &st, 1, arg), PSM2_EP_UNIT_NOT_FOUND);
}

TEST_F(InfoQuery, SimulatedUnitsLookActive) {
    setenv("PSM2_SIM", "unit-test", 1);
    setenv("PSM2_SIM_UNITS", "2", 1);
    uint32_t n = 0;
    ASSERT_EQ(psm2_info_query(PSM2_INFO_QUERY_NUM_UNITS, &n, 0, nullptr), PSM2_OK);
    EXPECT_EQ(n, 2u);
    psm2_info_query_arg_t args[2];
    args[0].unit = 1;
    args[1].port = 1;
    uint32_t v = 0;
    EXPECT_EQ(psm2_info_query(PSM2_INFO_QUERY_UNIT_PORT_STATUS, &v, 2, args), PSM2_OK);
    EXPECT_EQ(v, 1u);
    EXPECT_EQ(psm2_info_query(PSM2_INFO_QUERY_NUM_FREE_CONTEXTS, &v, 1, args), PSM2_OK);
    EXPECT_GT(v, 0u);
    args[1].port = 3;
    EXPECT_EQ(psm2_info_query(PSM2_INFO_QUERY_UNIT_PORT_STATUS, &v, 2, args), PSM2_PARAM_ERR);
    unsetenv("PSM2_SIM");
    unsetenv("PSM2_SIM_UNITS");
}

TEST_F(InfoQuery, ConnectionQueriesAndBadInput) {
    psm2_epid_t epid;
    psm2_ep_t ep = open_ep(&epid);
    psm2_mq_t mq;
    ASSERT_EQ(psm2_mq_init(ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq), PSM2_OK);
    psm2_epaddr_t addr;
    psm2_error_t err;
    ASSERT_EQ(psm2_ep_connect(ep, 1, &epid, nullptr, &err, &addr, 0), PSM2_OK);
    psm2_info_query_arg_t args[3];
    args[0].mq = mq;
    args[1].epaddr = addr;
    uint32_t cfg = 0;
    ASSERT_EQ(psm2_info_query(PSM2_INFO_QUERY_CONFIG, &cfg, 2, args), PSM2_OK);
    EXPECT_EQ(cfg, static_cast<uint32_t>(PSM2_INFO_QUERY_CONFIG_SELF));
    char name[16];
    args[2].length = sizeof name;
    ASSERT_EQ(psm2_info_query(PSM2_INFO_QUERY_DEVICE_NAME, name, 3, args), PSM2_OK);
    EXPECT_STREQ(name, "self");
    args[2].mstq = PSM2_INFO_QUERY_THRESH_IPS_RNDV;
    EXPECT_EQ(psm2_info_query(PSM2_INFO_QUERY_THRESH, &cfg, 3, args), PSM2_IQ_INVALID_QUERY);
    EXPECT_EQ(psm2_info_query(PSM2_INFO_QUERY_CONFIG, &cfg, 1, args), PSM2_PARAM_ERR);
    args[1].epaddr = reinterpret_cast<psm2_epaddr_t>(&cfg);
    EXPECT_EQ(psm2_info_query(PSM2_INFO_QUERY_CONFIG, &cfg, 2, args), PSM2_PARAM_ERR);
    char net[64];
    args[0].length = sizeof net;
    ASSERT_EQ(psm2_info_query(PSM2_INFO_QUERY_NETWORK_TYPE, net, 1, args), PSM2_OK);
    EXPECT_NE(std::string(net).find("Omni-Path"), std::string::npos);
    EXPECT_EQ(psm2_info_query(PSM2_INFO_QUERY_LAST, &cfg, 0, nullptr), PSM2_IQ_INVALID_QUERY);
    EXPECT_EQ(psm2_info_query(PSM2_INFO_QUERY_NUM_UNITS, nullptr, 0, nullptr), PSM2_PARAM_ERR);
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

}  // namespace
