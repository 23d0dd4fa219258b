// The hfi_* functions libpsm2 exports beside psm2_*: without a device they
// fail at once with errno = ENODEV; the label and debug data behave.
#include <gtest/gtest.h>
#include <rdma/hfi/hfi1_ioctl.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "hal/hfi/cdev_context.h"

struct _hfi_ctrl;
struct hfi1_cmd;
extern "C" {
extern unsigned hfi_debug;
extern char* __hfi_mylabel;
extern FILE* __hfi_dbgout;
extern uint32_t __hfi_pico_per_cycle;
int hfi_context_open(int unit, int port, uint64_t open_timeout);
void hfi_context_close(int fd);
int hfi_cmd_write(int fd, struct hfi1_cmd* cmd, size_t count);
struct _hfi_ctrl* hfi_userinit(int fd, struct hfi1_user_info* uinfo);
int hfi_poll_type(struct _hfi_ctrl* ctrl, uint16_t poll_type);
int hfi_wait_for_packet(struct _hfi_ctrl* ctrl);
int hfi_get_port_lid(int unit, int port);
int hfi_get_port_vl2mtu(int unit, int port, int vl);
void hfi_set_mylabel(char* label);
char* hfi_get_mylabel();
}

TEST(HfiExports, NoDeviceMeansEnodevAtOnce) {
    if (psm::hal::hfi::first_cdev_unit() >= 0) GTEST_SKIP() << "a real /dev/hfi1_N exists here";
    auto t0 = std::chrono::steady_clock::now();
    errno = 0;
    EXPECT_EQ(hfi_context_open(-1, 0, 30'000'000'000ull), -1);   // a long timeout is not waited
    EXPECT_EQ(errno, ENODEV);
    errno = 0;
    EXPECT_EQ(hfi_context_open(0, 1, 0), -1);
    EXPECT_EQ(errno, ENODEV);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
    errno = 0;
    EXPECT_EQ(hfi_userinit(-1, nullptr), nullptr);
    EXPECT_EQ(errno, ENODEV);
    errno = 0;
    EXPECT_EQ(hfi_poll_type(nullptr, 1), -1);
    EXPECT_EQ(errno, ENODEV);
    errno = 0;
    EXPECT_EQ(hfi_wait_for_packet(nullptr), -1);
    EXPECT_EQ(errno, ENODEV);
    errno = 0;
    EXPECT_EQ(hfi_cmd_write(-1, nullptr, 0), -1);
    EXPECT_EQ(errno, ENODEV);
    errno = 0;
    EXPECT_EQ(hfi_get_port_lid(0, 1), -1);
    EXPECT_EQ(errno, ENODEV);
    errno = 0;
    EXPECT_EQ(hfi_get_port_vl2mtu(0, 1, 0), -1);
    EXPECT_EQ(errno, ENODEV);
    hfi_context_close(-1);   // harmless
}

TEST(HfiExports, LabelAndDebugData) {
    char label[] = "rank7";
    hfi_set_mylabel(label);
    EXPECT_EQ(hfi_get_mylabel(), label);
    EXPECT_EQ(__hfi_mylabel, label);
    hfi_set_mylabel(nullptr);
    EXPECT_EQ(hfi_get_mylabel(), nullptr);
    EXPECT_EQ(hfi_debug, 1u);
    (void)__hfi_dbgout;
    (void)__hfi_pico_per_cycle;
}
