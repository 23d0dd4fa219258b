#include "hal/hfi/cdev_context.h"

#include <fcntl.h>
#include <rdma/hfi/hfi1_ioctl.h>
#include <rdma/hfi/hfi1_user.h>
#include <rdma/rdma_user_ioctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "hal/log.h"

namespace psm::hal::hfi {

namespace {

constexpr int kMaxUnits = 8;

// One mapped area of the context; offsets from USER_INFO are opaque tokens.
struct Mapping {
    void* addr = MAP_FAILED;
    size_t len = 0;
    bool map(int fd, uint64_t token, size_t bytes, int prot) {
        len = (bytes + 4095) & ~size_t(4095);
        addr = mmap(nullptr, len, prot, MAP_SHARED, fd, off_t(token));
        return addr != MAP_FAILED;
    }
    ~Mapping() {
        if (addr != MAP_FAILED) munmap(addr, len);
    }
};

class CdevContext final : public Context {
public:
    explicit CdevContext(int fd) : fd_(fd) {}
    ~CdevContext() override { close(fd_); }

    psm2_error_t setup(const OpenRequest& req, int unit) {
        int vers = 0;
        if (ioctl(fd_, HFI1_IOCTL_GET_VERS, &vers) != 0 ||
            (vers >> HFI1_SWMAJOR_SHIFT) != HFI1_USER_SWMAJOR) {
            log::warn("hfi1 unit %d: driver ABI %d.%d, this library speaks %d.x", unit,
                      vers >> HFI1_SWMAJOR_SHIFT, vers & 0xffff, HFI1_USER_SWMAJOR);
            return PSM2_EP_DEVICE_FAILURE;
        }
        hfi1_user_info ui{};
        ui.userversion = HFI1_USER_SWMAJOR << HFI1_SWMAJOR_SHIFT | HFI1_USER_SWMINOR;
        std::memcpy(ui.uuid, req.uuid, sizeof(ui.uuid));
        if (ioctl(fd_, HFI1_IOCTL_ASSIGN_CTXT, &ui) != 0)
            return errno == EBUSY ? PSM2_EP_NO_RESOURCES : PSM2_EP_DEVICE_FAILURE;
        hfi1_ctxt_info ci{};
        hfi1_base_info bi{};
        if (ioctl(fd_, HFI1_IOCTL_CTXT_INFO, &ci) != 0 || ioctl(fd_, HFI1_IOCTL_USER_INFO, &bi) != 0)
            return PSM2_EP_DEVICE_FAILURE;
        if (!hdrq_.map(fd_, bi.rcvhdr_bufbase, size_t(ci.rcvhdrq_cnt) * ci.rcvhdrq_entsize, PROT_READ) ||
            !egr_.map(fd_, bi.rcvegr_bufbase, size_t(ci.egrtids) * ci.rcvegr_size, PROT_READ) ||
            !pio_.map(fd_, bi.pio_bufbase, size_t(ci.credits) * 64, PROT_WRITE) ||
            !uregs_.map(fd_, bi.user_regbase, 4096, PROT_READ | PROT_WRITE))
            return PSM2_EP_DEVICE_FAILURE;
        info_.gen = Generation::Gen1;
        info_.unit = ci.unit;
        info_.port = req.port > 0 ? uint32_t(req.port) : 1;
        info_.context = ci.ctxt;
        info_.subcontext = ci.subctxt;
        info_.mtu = generation_info(Generation::Gen1).default_mtu;
        info_.pio_credits = ci.credits;
        info_.egr_count = ci.egrtids;
        info_.egr_size = ci.rcvegr_size;
        info_.rcvhdrq_count = ci.rcvhdrq_cnt;
        info_.rcvhdrq_entsize = ci.rcvhdrq_entsize;
        info_.tid_count = ci.rcvtids;
        info_.tid_max_bytes = 512 * 4096;
        info_.jkey = bi.jkey;
        info_.bthqp = uint8_t(bi.bthqp);
        return PSM2_OK;
    }

    const ContextInfo& info() const override { return info_; }

    // The PIO/receive-queue data path needs the hardware to be written and
    // checked against; until then the device opens and describes itself,
    // and traffic reports a device failure instead of pretending.
    psm2_error_t send(const Route&, const uint8_t*, uint32_t, const void*, uint32_t) override {
        return PSM2_EP_DEVICE_FAILURE;
    }
    bool peek(RecvPacket*) override { return false; }
    void release() override {}

    psm2_error_t tid_program(void* buf, uint32_t len, uint32_t* tid, uint32_t* count) override {
        uint32_t list[2048];
        hfi1_tid_info ti{};
        ti.vaddr = reinterpret_cast<uint64_t>(buf);
        ti.length = len;
        ti.tidlist = reinterpret_cast<uint64_t>(list);
        if (ioctl(fd_, HFI1_IOCTL_TID_UPDATE, &ti) != 0) return PSM2_EP_NO_RESOURCES;
        *tid = ti.tidcnt ? list[0] : 0;
        *count = ti.tidcnt;
        return PSM2_OK;
    }
    void tid_free(uint32_t tid, uint32_t count) override {
        hfi1_tid_info ti{};
        ti.tidlist = reinterpret_cast<uint64_t>(&tid);
        ti.tidcnt = count ? 1 : 0;
        (void)ioctl(fd_, HFI1_IOCTL_TID_FREE, &ti);
    }
    void* tid_target(uint32_t, uint32_t, uint32_t) override { return nullptr; }   // hardware places
    bool peer_alive(const Route&) override { return true; }

private:
    int fd_;
    ContextInfo info_;
    Mapping hdrq_, egr_, pio_, uregs_;
};

}  // namespace

std::string cdev_path(int unit) { return "/dev/hfi1_" + std::to_string(unit); }

int first_cdev_unit() {
    struct stat st{};
    for (int u = 0; u < kMaxUnits; ++u)
        if (stat(cdev_path(u).c_str(), &st) == 0) return u;
    return -1;
}

psm2_error_t open_cdev_context(const OpenRequest& req, std::unique_ptr<Context>* out) {
    int first = req.unit >= 0 ? req.unit : 0;
    int last = req.unit >= 0 ? req.unit + 1 : kMaxUnits;
    psm2_error_t err = PSM2_EP_NO_DEVICE;
    for (int u = first; u < last; ++u) {
        int fd = open(cdev_path(u).c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) continue;   // ENOENT/ENODEV/ENXIO: no such unit, no waiting
        auto ctx = std::make_unique<CdevContext>(fd);
        err = ctx->setup(req, u);
        if (err == PSM2_OK) {
            *out = std::move(ctx);
            return PSM2_OK;
        }
    }
    return err;
}

}  // namespace psm::hal::hfi
