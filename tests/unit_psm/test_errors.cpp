#include <cstring>
#include <string>

#include "psm_fixture.h"

namespace {

const psm2_error_t kAllCodes[] = {
    PSM2_OK, PSM2_OK_NO_PROGRESS, PSM2_PARAM_ERR, PSM2_NO_MEMORY, PSM2_INIT_NOT_INIT,
    PSM2_INIT_BAD_API_VERSION, PSM2_NO_AFFINITY, PSM2_INTERNAL_ERR, PSM2_SHMEM_SEGMENT_ERR,
    PSM2_OPT_READONLY, PSM2_TIMEOUT, PSM2_TOO_MANY_ENDPOINTS, PSM2_IS_FINALIZED, PSM2_EP_WAS_CLOSED,
    PSM2_EP_NO_DEVICE, PSM2_EP_UNIT_NOT_FOUND, PSM2_EP_DEVICE_FAILURE, PSM2_EP_CLOSE_TIMEOUT,
    PSM2_EP_NO_PORTS_AVAIL, PSM2_EP_NO_NETWORK, PSM2_EP_INVALID_UUID_KEY, PSM2_EP_NO_RESOURCES,
    PSM2_EPID_UNKNOWN, PSM2_EPID_UNREACHABLE, PSM2_EPID_INVALID_NODE, PSM2_EPID_INVALID_MTU,
    PSM2_EPID_INVALID_UUID_KEY, PSM2_EPID_INVALID_VERSION, PSM2_EPID_INVALID_CONNECT,
    PSM2_EPID_ALREADY_CONNECTED, PSM2_EPID_NETWORK_ERROR, PSM2_EPID_INVALID_PKEY,
    PSM2_EPID_PATH_RESOLUTION, PSM2_MQ_NO_COMPLETIONS, PSM2_MQ_TRUNCATION, PSM2_AM_INVALID_REPLY,
    PSM2_IQ_INVALID_QUERY};

TEST(ErrorStrings, EveryCodeHasItsOwnText) {
    const std::string unknown = psm2_error_get_string(static_cast<psm2_error_t>(79));
    std::vector<std::string> seen;
    for (psm2_error_t e : kAllCodes) {
        const char* s = psm2_error_get_string(e);
        ASSERT_NE(s, nullptr);
        EXPECT_NE(unknown, s) << "code " << e;
        for (const auto& prev : seen) EXPECT_NE(prev, s) << "code " << e << " shares a text";
        seen.emplace_back(s);
    }
}

TEST(ErrorStrings, UnknownCodesAreNamedUnknown) {
    EXPECT_NE(std::string(psm2_error_get_string(static_cast<psm2_error_t>(2))).find("Unknown"), std::string::npos);
    EXPECT_NE(std::string(psm2_error_get_string(static_cast<psm2_error_t>(-5))).find("Unknown"), std::string::npos);
}

struct Seen {
    int calls = 0;
    psm2_error_t last = PSM2_OK;
    std::string msg;
};
Seen g_seen;

psm2_error_t recording_handler(psm2_ep_t, const psm2_error_t err, const char* msg, psm2_error_token_t) {
    ++g_seen.calls;
    g_seen.last = err;
    g_seen.msg = msg ? msg : "";
    return err;
}

psm2_error_t deferring_handler(psm2_ep_t, const psm2_error_t, const char*, psm2_error_token_t token) {
    ++g_seen.calls;
    return psm2_error_defer(token);
}

TEST(ErrorHandler, GlobalCustomHandlerSeesCodeAndMessage) {
    g_seen = {};
    ASSERT_EQ(psm2_error_register_handler(nullptr, recording_handler), PSM2_OK);
    psm2_ep_t ep;
    psm2_epid_t epid;
    psm2_uuid_t uuid{};
    // Before init: the handler is called and the code comes back.
    EXPECT_EQ(psm2_ep_open(uuid, nullptr, &ep, &epid), PSM2_INIT_NOT_INIT);
    EXPECT_EQ(g_seen.calls, 1);
    EXPECT_EQ(g_seen.last, PSM2_INIT_NOT_INIT);
    EXPECT_NE(g_seen.msg.find("psm2_ep_open"), std::string::npos) << g_seen.msg;
    psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_DEFAULT);
}

TEST(ErrorHandler, NoHandlerReturnsCodeSilently) {
    g_seen = {};
    ASSERT_EQ(psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER), PSM2_OK);
    EXPECT_EQ(psm2_poll(nullptr), PSM2_INIT_NOT_INIT);
    EXPECT_EQ(g_seen.calls, 0);
    psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_DEFAULT);
}

TEST(ErrorHandler, DeferHandsTheErrorToTheDefaultHandler) {
    g_seen = {};
    ASSERT_EQ(psm2_error_register_handler(nullptr, deferring_handler), PSM2_OK);
    EXPECT_EQ(psm2_finalize(), PSM2_INIT_NOT_INIT);
    EXPECT_EQ(g_seen.calls, 1);
    EXPECT_EQ(psm2_error_defer(nullptr), PSM2_PARAM_ERR);
    psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_DEFAULT);
}

}  // namespace
