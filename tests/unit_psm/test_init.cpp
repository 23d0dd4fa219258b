#include "psm_fixture.h"

namespace {

TEST(Init, RejectsOtherMajorVersionsAndReportsOurs) {
    psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
    int major = 7, minor = 0;
    EXPECT_EQ(psm2_init(&major, &minor), PSM2_INIT_BAD_API_VERSION);
    EXPECT_EQ(major, PSM2_VERNO_MAJOR);
    EXPECT_EQ(minor, PSM2_VERNO_MINOR);
    EXPECT_EQ(psm2_init(nullptr, &minor), PSM2_PARAM_ERR);
}

TEST(Init, AcceptsPsm1CompatMajor) {
    psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
    int major = PSM2_VERNO_COMPAT_MAJOR, minor = 0;
    ASSERT_EQ(psm2_init(&major, &minor), PSM2_OK);
    EXPECT_EQ(major, PSM2_VERNO_MAJOR);
    EXPECT_EQ(psm2_finalize(), PSM2_OK);
}

TEST(Init, ReferenceCountedInitAndFinalize) {
    psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    ASSERT_EQ(psm2_init(&major, &minor), PSM2_OK);
    ASSERT_EQ(psm2_init(&major, &minor), PSM2_OK);
    EXPECT_EQ(psm2_finalize(), PSM2_OK);
    // Still initialised: one reference left.
    uint32_t units = 99;
    EXPECT_EQ(psm2_ep_num_devunits(&units), PSM2_OK);
    EXPECT_EQ(psm2_finalize(), PSM2_OK);
    // Now gone: a further finalize is refused, not a crash.
    EXPECT_NE(psm2_finalize(), PSM2_OK);
}

TEST(Init, CapabilityMaskReportsMultiEpAndRefcount) {
    EXPECT_EQ(psm2_get_capability_mask(~0ull), PSM2_MULTI_EP_CAP | PSM2_LIB_REFCOUNT_CAP);
    EXPECT_EQ(psm2_get_capability_mask(0), 0u);
    EXPECT_EQ(psm2_get_capability_mask(1ull << 40), 0u);
}

TEST(Init, UuidsAreRandomVersion4) {
    psm2_uuid_t a, b;
    psm2_uuid_generate(a);
    psm2_uuid_generate(b);
    EXPECT_NE(0, memcmp(a, b, sizeof a));
    EXPECT_EQ(a[6] >> 4, 4);
    EXPECT_EQ(a[8] & 0xc0, 0x80);
    psm2_uuid_generate(nullptr);   // must not crash
}

TEST(Init, CallsBeforeInitReturnNotInit) {
    psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
    psm2_ep_t ep = nullptr;
    psm2_epid_t epid;
    psm2_uuid_t uuid{};
    EXPECT_EQ(psm2_ep_open(uuid, nullptr, &ep, &epid), PSM2_INIT_NOT_INIT);
    int n = 0;
    EXPECT_EQ(psm2_ep_query(&n, nullptr), PSM2_INIT_NOT_INIT);
    psm2_epconn_t c;
    EXPECT_EQ(psm2_ep_epid_lookup(0x12, &c), PSM2_INIT_NOT_INIT);
}

}  // namespace
