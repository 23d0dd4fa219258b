// The handful of hfi_* symbols libpsm2 11.2 exports next to psm2_* (old
// diagnostics built on opa_service.h / opa_udebug.h). Signatures follow
// those headers. They talk to the real hfi1 driver only; with no device
// they fail at once with errno = ENODEV.
#include <fcntl.h>
#include <poll.h>
#include <rdma/hfi/hfi1_ioctl.h>
#include <rdma/hfi/hfi1_user.h>
#include <rdma/rdma_user_ioctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hal/hfi/cdev_context.h"

#define PSM_EXPORT extern "C" __attribute__((visibility("default")))

// Opaque to callers; ours only remembers the file descriptor.
struct _hfi_ctrl {
    int fd;
};
struct hfi1_cmd;   // legacy write() command, passed through untouched

#define PSM_EXPORT_DATA __attribute__((visibility("default")))
extern "C" {
PSM_EXPORT_DATA unsigned hfi_debug = 1;
PSM_EXPORT_DATA FILE* __hfi_dbgout = nullptr;
PSM_EXPORT_DATA char* __hfi_mylabel = nullptr;
PSM_EXPORT_DATA uint32_t __hfi_pico_per_cycle = 0;
}

namespace {

int fail(int err) {
    errno = err;
    return -1;
}

// Reads an integer from /sys/class/infiniband/hfi1_<unit>/ports/<port>/<attr>.
int read_port_attr(int unit, int port, const std::string& attr) {
    if (unit < 0) unit = 0;
    if (port <= 0) port = 1;
    std::string path = "/sys/class/infiniband/hfi1_" + std::to_string(unit) + "/ports/" +
                       std::to_string(port) + "/" + attr;
    FILE* f = std::fopen(path.c_str(), "re");
    if (!f) return fail(ENODEV);
    long v = -1;
    int n = std::fscanf(f, "%li", &v);
    std::fclose(f);
    return n == 1 ? int(v) : fail(EIO);
}

}  // namespace

PSM_EXPORT int hfi_context_open(int unit, int port, uint64_t open_timeout) {
    (void)port;
    (void)open_timeout;   // never wait for a device node: absent means absent
    int u = unit >= 0 ? unit : psm::hal::hfi::first_cdev_unit();
    if (u < 0) return fail(ENODEV);
    int fd = open(psm::hal::hfi::cdev_path(u).c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && (errno == ENOENT || errno == ENXIO)) errno = ENODEV;
    return fd;
}

PSM_EXPORT void hfi_context_close(int fd) {
    if (fd >= 0) close(fd);
}

PSM_EXPORT int hfi_cmd_write(int fd, struct hfi1_cmd* cmd, size_t count) {
    if (fd < 0) return fail(ENODEV);
    if (!cmd) return fail(EINVAL);
    return int(write(fd, cmd, count));
}

PSM_EXPORT struct _hfi_ctrl* hfi_userinit(int fd, struct hfi1_user_info* uinfo) {
    if (fd < 0) {
        errno = ENODEV;
        return nullptr;
    }
    if (!uinfo) {
        errno = EINVAL;
        return nullptr;
    }
    if (ioctl(fd, HFI1_IOCTL_ASSIGN_CTXT, uinfo) != 0) {
        if (errno == ENOTTY || errno == EBADF) errno = ENODEV;
        return nullptr;
    }
    auto* c = static_cast<_hfi_ctrl*>(std::calloc(1, sizeof(_hfi_ctrl)));
    if (!c) {
        errno = ENOMEM;
        return nullptr;
    }
    c->fd = fd;
    return c;
}

PSM_EXPORT int hfi_poll_type(struct _hfi_ctrl* ctrl, uint16_t poll_type) {
    if (!ctrl) return fail(ENODEV);
    int t = poll_type;
    return ioctl(ctrl->fd, HFI1_IOCTL_POLL_TYPE, &t);
}

PSM_EXPORT int hfi_wait_for_packet(struct _hfi_ctrl* ctrl) {
    if (!ctrl) return fail(ENODEV);
    struct pollfd p{ctrl->fd, POLLIN, 0};
    int n = poll(&p, 1, 1000);
    return n > 0 ? 0 : n == 0 ? fail(ETIMEDOUT) : -1;
}

PSM_EXPORT int hfi_get_port_lid(int unit, int port) { return read_port_attr(unit, port, "lid"); }

PSM_EXPORT int hfi_get_port_vl2mtu(int unit, int port, int vl) {
    if (vl < 0 || vl > 31) return fail(EINVAL);
    return read_port_attr(unit, port, "vl2mtu/" + std::to_string(vl));
}

PSM_EXPORT void* hfi_mmap64(void* addr, size_t len, int prot, int flags, int fd, off64_t off) {
    return mmap64(addr, len, prot, flags, fd, off);
}

PSM_EXPORT void hfi_set_mylabel(char* label) { __hfi_mylabel = label; }

PSM_EXPORT char* hfi_get_mylabel() { return __hfi_mylabel; }
