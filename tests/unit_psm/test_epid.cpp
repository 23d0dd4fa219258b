#include "psm/device_select.h"
#include "psm/epid.h"
#include "psm_fixture.h"

namespace {

using namespace psm;

TEST(Epid, ShmFormatRoundTrip) {
    psm2_epid_t e = epid::make_shm(123456, 7);
    EXPECT_TRUE(epid::is_valid(e));
    EXPECT_TRUE(epid::is_shm_only(e));
    EXPECT_EQ(epid::pid(e), 123456u);
    EXPECT_EQ(epid::context(e), 7u);
    EXPECT_EQ(epid::version(e), 2u);
    EXPECT_EQ(psm2_epid_context(e), 7u);
    EXPECT_EQ(psm2_epid_nid(e), 123456u);
    EXPECT_EQ(psm2_epid_port(e), 0u);
}

TEST(Epid, HfiFormatRoundTripWith24BitLid) {
    psm2_epid_t e = epid::make_hfi(0xabcdef, 17, 3, 0x8001);
    EXPECT_TRUE(epid::is_valid(e));
    EXPECT_FALSE(epid::is_shm_only(e));
    EXPECT_EQ(epid::lid(e), 0xabcdefu);
    EXPECT_EQ(epid::context(e), 17u);
    EXPECT_EQ(epid::subcontext(e), 3u);
    EXPECT_EQ(e >> 48, 0x8001u);
    EXPECT_EQ(psm2_epid_nid(e), 0xabcdefu);
    EXPECT_EQ(psm2_epid_port(e), 1u);
}

TEST(Epid, MalformedVersionsAreInvalid) {
    EXPECT_FALSE(epid::is_valid(0));
    EXPECT_FALSE(epid::is_valid(0x1234560));   // version 0
    EXPECT_FALSE(epid::is_valid(0x1234567));   // version 7
    EXPECT_TRUE(epid::is_valid(0x1230001));    // version 1
}

TEST(DeviceList, ParsesOrderAliasesAndUnknowns) {
    DeviceChoice c = parse_devices("hfi, SELF,amsh,foo,self");
    ASSERT_EQ(c.kinds.size(), 3u);
    EXPECT_EQ(c.kinds[0], DeviceKind::Hfi);
    EXPECT_EQ(c.kinds[1], DeviceKind::Self);
    EXPECT_EQ(c.kinds[2], DeviceKind::Shm);
    ASSERT_EQ(c.unknown.size(), 1u);
    EXPECT_EQ(c.unknown[0], "foo");
    EXPECT_TRUE(parse_devices(" , ").kinds.empty());
}

}  // namespace
