// Shared fixture: initialise the library with a chosen PSM2_DEVICES and
// finalise it afterwards, so every test starts from a clean process state.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include "psm2.h"
#include "psm2_am.h"
#include "psm2_mq.h"

class PsmTest : public ::testing::Test {
protected:
    void SetUp() override {
        setenv("PSM2_DEVICES", devices(), 1);
        unsetenv("PSM2_MULTI_EP");
        unsetenv("PSM2_SIM");
        psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
        int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
        ASSERT_EQ(psm2_init(&major, &minor), PSM2_OK);
    }
    void TearDown() override {
        EXPECT_EQ(psm2_finalize(), PSM2_OK);
        psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_DEFAULT);
    }
    virtual const char* devices() const { return "self"; }

    psm2_ep_t open_ep(psm2_epid_t* epid) {
        psm2_uuid_t uuid;
        psm2_uuid_generate(uuid);
        psm2_ep_t ep = nullptr;
        EXPECT_EQ(psm2_ep_open(uuid, nullptr, &ep, epid), PSM2_OK);
        return ep;
    }
};
