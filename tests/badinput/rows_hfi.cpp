// The hfi_* diagnostics exported beside psm2_*: they report through errno,
// never a PSM2 code. Without a /dev/hfi1_N they fail at once (ENODEV).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include <rdma/hfi/hfi1_ioctl.h>

#include "tests/badinput/table.h"

struct _hfi_ctrl;
struct hfi1_cmd;
extern "C" {
int hfi_context_open(int unit, int port, uint64_t open_timeout);
void hfi_context_close(int fd);
int hfi_cmd_write(int fd, struct hfi1_cmd* cmd, size_t count);
struct _hfi_ctrl* hfi_userinit(int fd, struct hfi1_user_info* uinfo);
int hfi_poll_type(struct _hfi_ctrl* ctrl, uint16_t poll_type);
int hfi_wait_for_packet(struct _hfi_ctrl* ctrl);
int hfi_get_port_lid(int unit, int port);
int hfi_get_port_vl2mtu(int unit, int port, int vl);
void* hfi_mmap64(void* addr, size_t len, int prot, int flags, int fd, off64_t off);
void hfi_set_mylabel(char* label);
char* hfi_get_mylabel();
}

namespace badinput {
namespace {

constexpr auto E = Expect::Errno;
constexpr auto H = Expect::Holds;

// -1 (and errno) unless the call failed the way the row expects.
int failed(bool failed_as_documented) { return failed_as_documented ? -1 : 0; }

int on_dev_null(int (*body)(int fd)) {
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    int rc = body(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

const char kNoDevice[] = "no hfi1 device here: fails at once with ENODEV (the original waits 15 s)";

const Row kRows[] = {
    {"hfi_context_open", "missing_unit", Start::Fresh,
     [](World&) { return failed(hfi_context_open(99, 1, 30'000'000'000ull) < 0); }, ENODEV, E, Handler::Silent,
     kNoDevice},
    {"hfi_context_close", "negative_fd", Start::Fresh,
     [](World&) {
         hfi_context_close(-1);
         return kHolds;
     },
     kHolds, H, Handler::Silent, "a no-op, not a close(-1)"},
    {"hfi_cmd_write", "negative_fd", Start::Fresh, [](World&) { return failed(hfi_cmd_write(-1, nullptr, 8) < 0); },
     ENODEV, E, Handler::Silent, "no context open"},
    {"hfi_cmd_write", "null_command", Start::Fresh,
     [](World&) { return on_dev_null([](int fd) { return failed(hfi_cmd_write(fd, nullptr, 8) < 0); }); },
     EINVAL, E, Handler::Silent, "nothing to write"},
    {"hfi_userinit", "negative_fd", Start::Fresh,
     [](World&) {
         hfi1_user_info info{};
         return failed(hfi_userinit(-1, &info) == nullptr);
     },
     ENODEV, E, Handler::Silent, "no context open"},
    {"hfi_userinit", "null_user_info", Start::Fresh,
     [](World&) { return on_dev_null([](int fd) { return failed(hfi_userinit(fd, nullptr) == nullptr); }); },
     EINVAL, E, Handler::Silent, "nothing to send to the driver"},
    {"hfi_userinit", "not_an_hfi_device", Start::Fresh,
     [](World&) {
         return on_dev_null([](int fd) {
             hfi1_user_info info{};
             return failed(hfi_userinit(fd, &info) == nullptr);
         });
     },
     ENODEV, E, Handler::Silent, "the fd answers no hfi1 ioctl"},
    {"hfi_poll_type", "null_context", Start::Fresh, [](World&) { return failed(hfi_poll_type(nullptr, 1) < 0); },
     ENODEV, E, Handler::Silent, "no context"},
    {"hfi_wait_for_packet", "null_context", Start::Fresh,
     [](World&) { return failed(hfi_wait_for_packet(nullptr) < 0); }, ENODEV, E, Handler::Silent,
     "no context; returns at once, never waits"},
    {"hfi_get_port_lid", "negative_unit_and_port", Start::Fresh,
     [](World&) { return failed(hfi_get_port_lid(-5, -5) < 0); }, ENODEV, E, Handler::Silent, kNoDevice},
    {"hfi_get_port_vl2mtu", "vl_out_of_range", Start::Fresh,
     [](World&) { return failed(hfi_get_port_vl2mtu(0, 1, 32) < 0); }, EINVAL, E, Handler::Silent,
     "virtual lanes are 0..31"},
    {"hfi_get_port_vl2mtu", "negative_vl", Start::Fresh,
     [](World&) { return failed(hfi_get_port_vl2mtu(0, 1, -1) < 0); }, EINVAL, E, Handler::Silent,
     "virtual lanes are 0..31"},
    {"hfi_mmap64", "zero_length", Start::Fresh,
     [](World&) { return failed(hfi_mmap64(nullptr, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED); }, EINVAL,
     E, Handler::Silent, "mmap(2) semantics"},
    {"hfi_mmap64", "bad_fd", Start::Fresh,
     [](World&) { return failed(hfi_mmap64(nullptr, 4096, PROT_READ, MAP_SHARED, -1, 0) == MAP_FAILED); }, EBADF,
     E, Handler::Silent, "mmap(2) semantics"},
    {"hfi_set_mylabel", "null_label", Start::Fresh,
     [](World&) {
         static char label[] = "rank0";
         hfi_set_mylabel(label);
         hfi_set_mylabel(nullptr);
         return holds(hfi_get_mylabel() == nullptr);
     },
     kHolds, H, Handler::Silent, "NULL clears the label"},
    {"hfi_get_mylabel", "never_set", Start::Fresh, [](World&) { return holds(hfi_get_mylabel() == nullptr); },
     kHolds, H, Handler::Silent, "no label until one is set"},
};

}  // namespace

std::span<const Row> hfi_rows() { return kRows; }

}  // namespace badinput
