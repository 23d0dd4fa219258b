#include "hal/sim/fabric.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <vector>

#include "hal/env.h"
#include "hal/log.h"

namespace psm::hal::sim {

namespace {

constexpr uint32_t kMagic = 0x5053494d;   // "PSIM"
constexpr uint32_t kLayoutVersion = 2;

bool pid_alive(int32_t pid) {
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

}  // namespace

struct Fabric::Shared {
    std::atomic<uint32_t> ready;          // kMagic once the creator filled it in
    uint32_t layout_version;
    uint32_t gen;
    uint32_t units;
    // Claims and the last process's removal of the directory exclude each
    // other, so nobody claims a context in a directory already unlinked.
    std::atomic<int32_t> lock;            // pid of the holder, 0 = free
    std::atomic<uint32_t> removed;        // 1 once unlinked: open afresh
    struct Owner {
        std::atomic<int32_t> pid;
        std::atomic<uint32_t> incarnation;
    } owners[kMaxUnits][kContextsPerUnit];
};

namespace {

class DirectoryLock {
public:
    explicit DirectoryLock(Fabric::Shared* s) : s_(s) {
        int32_t me = getpid();
        for (;;) {
            int32_t cur = 0;
            if (s_->lock.compare_exchange_weak(cur, me, std::memory_order_acquire)) return;
            if (cur != 0 && !pid_alive(cur))   // its holder died holding it
                s_->lock.compare_exchange_strong(cur, 0, std::memory_order_acq_rel);
            else
                sched_yield();
        }
    }
    ~DirectoryLock() { s_->lock.store(0, std::memory_order_release); }

private:
    Fabric::Shared* s_;
};

}  // namespace

std::string directory_name(const std::string& fabric) {
    return "/psm2_sim." + std::to_string(getuid()) + "." + fabric;
}

bool config_from_env(FabricConfig* out) {
    std::string name = env::get_str("PSM2_SIM");
    if (name.empty()) return false;
    for (char c : name) {
        if (c == '/' || c == '\0') {
            log::warn("PSM2_SIM=\"%s\": a fabric name cannot contain '/'", name.c_str());
            return false;
        }
    }
    FabricConfig cfg;
    cfg.name = name;
    std::string gen = env::get_str("PSM2_SIM_GEN");
    if (!hfi::parse_generation(gen.c_str(), &cfg.gen)) {
        log::warn("PSM2_SIM_GEN=\"%s\" is neither gen1 nor gen2; simulated fabric off", gen.c_str());
        return false;
    }
    int64_t units = env::get_int("PSM2_SIM_UNITS");
    if (units < 1 || units > kMaxUnits) {
        log::warn("PSM2_SIM_UNITS=%lld out of range 1..%u; using 1", static_cast<long long>(units),
                  kMaxUnits);
        units = 1;
    }
    cfg.units = static_cast<uint32_t>(units);
    int64_t lid = env::get_int("PSM2_SIM_LID");
    if (lid > 0 && lid + units <= hfi::generation_info(cfg.gen).max_lid + 1)
        cfg.lid_base = uint32_t(lid);
    else if (lid != 0)
        log::warn("PSM2_SIM_LID=%lld does not fit the %s LID width; using %u", static_cast<long long>(lid),
                  hfi::generation_info(cfg.gen).name, kLidBase);
    *out = cfg;
    return true;
}

namespace {

// "<directory>.u<unit>c<context>" (see Fabric::context_segment_name); a
// fabric's own name may contain ".u" ("utest...").
bool is_context_segment(const std::string& n) {
    size_t dot = n.rfind(".u");
    if (dot == std::string::npos) return false;
    size_t c = n.find('c', dot + 2);
    auto digits = [&](size_t from, size_t to) {
        return to > from && n.find_first_not_of("0123456789", from) >= to;
    };
    return c != std::string::npos && digits(dot + 2, c) && digits(c + 1, n.size());
}

// Fabrics whose every process died without closing leave their directory
// and context segments behind; the next fabric opened by this user removes
// them (a fabric with any live owner is left alone).
void sweep_dead_fabrics(const std::string& keep) {
    std::string prefix = "psm2_sim." + std::to_string(getuid()) + ".";
    DIR* d = opendir("/dev/shm");
    if (!d) return;
    std::vector<std::string> dead;
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n.compare(0, prefix.size(), prefix) != 0 || is_context_segment(n)) continue;
        std::string fabric = n.substr(prefix.size());
        if ("/" + n == keep) continue;
        int fd = shm_open(("/" + n).c_str(), O_RDONLY, 0600);
        if (fd < 0) continue;
        struct stat st{};
        void* p = MAP_FAILED;
        // A young directory may belong to a job that is starting right now
        // (created, no context claimed yet): leave it.
        bool young = fstat(fd, &st) == 0 && st.st_ctime + 10 > time(nullptr);
        if (!young && size_t(st.st_size) >= sizeof(Fabric::Shared))
            p = mmap(nullptr, sizeof(Fabric::Shared), PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        if (p == MAP_FAILED) continue;
        auto* sh = static_cast<const Fabric::Shared*>(p);
        bool alive = false;
        for (uint32_t u = 0; u < kMaxUnits && !alive; ++u)
            for (uint32_t c = 0; c < kContextsPerUnit && !alive; ++c)
                alive = pid_alive(sh->owners[u][c].pid.load(std::memory_order_acquire));
        bool ready = sh->ready.load(std::memory_order_acquire) != 0;
        munmap(p, sizeof(Fabric::Shared));
        // An unready directory may be one being created right now: keep it.
        if (!alive && ready) dead.push_back(fabric);
    }
    closedir(d);
    for (auto& f : dead) {
        log::trace(log::kDevices, "simulated fabric %s: removing what its dead processes left", f.c_str());
        Fabric::remove(f);
    }
}

}  // namespace

psm2_error_t Fabric::open(const FabricConfig& cfg, Fabric** out) {
    std::string name = directory_name(cfg.name);
    sweep_dead_fabrics(name);
    bool created = false;
    int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
        created = true;
        if (ftruncate(fd, sizeof(Shared)) != 0) {
            close(fd);
            shm_unlink(name.c_str());
            return PSM2_NO_MEMORY;
        }
    } else if (errno == EEXIST) {
        fd = shm_open(name.c_str(), O_RDWR, 0600);
    }
    if (fd < 0) {
        log::warn("simulated fabric %s: shm_open: %s", cfg.name.c_str(), strerror(errno));
        return PSM2_EP_DEVICE_FAILURE;
    }
    // The creator may not have sized it yet: wait (briefly) for the size.
    struct stat st{};
    for (int i = 0; i < 100000; ++i) {
        if (fstat(fd, &st) == 0 && size_t(st.st_size) >= sizeof(Shared)) break;
        sched_yield();
    }
    if (size_t(st.st_size) < sizeof(Shared)) {
        close(fd);
        return PSM2_EP_DEVICE_FAILURE;
    }
    void* p = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return PSM2_NO_MEMORY;
    uint64_t inode = st.st_ino;
    auto* sh = static_cast<Shared*>(p);
    if (created) {
        sh->layout_version = kLayoutVersion;
        sh->gen = static_cast<uint32_t>(cfg.gen);
        sh->units = cfg.units;
        sh->ready.store(kMagic, std::memory_order_release);
    } else {
        for (int i = 0; i < 1000000 && sh->ready.load(std::memory_order_acquire) != kMagic; ++i)
            sched_yield();
    }
    if (sh->ready.load(std::memory_order_acquire) != kMagic || sh->layout_version != kLayoutVersion) {
        munmap(p, sizeof(Shared));
        log::warn("simulated fabric %s: directory %s is not usable", cfg.name.c_str(), name.c_str());
        return PSM2_EP_DEVICE_FAILURE;
    }
    if (sh->gen != static_cast<uint32_t>(cfg.gen)) {
        log::warn("simulated fabric %s runs %s, this process asked for %s: mixed jobs are refused",
                  cfg.name.c_str(), hfi::generation_info(hfi::Generation(sh->gen)).name,
                  hfi::generation_info(cfg.gen).name);
        munmap(p, sizeof(Shared));
        return PSM2_EP_DEVICE_FAILURE;
    }
    auto* f = new (std::nothrow) Fabric();
    if (!f) {
        munmap(p, sizeof(Shared));
        return PSM2_NO_MEMORY;
    }
    f->cfg_ = cfg;
    f->cfg_.units = sh->units;   // the creator's unit count wins
    f->shared_ = sh;
    f->seg_name_ = name;
    f->inode_ = inode;
    *out = f;
    return PSM2_OK;
}

Fabric::~Fabric() {
    if (!shared_) return;
    {
        // Last one out removes the directory, so an idle fabric leaves nothing.
        DirectoryLock lock(shared_);
        bool any = false;
        for (uint32_t u = 0; u < kMaxUnits && !any; ++u)
            for (uint32_t c = 0; c < kContextsPerUnit && !any; ++c)
                any = pid_alive(shared_->owners[u][c].pid.load(std::memory_order_acquire));
        // Only our own directory: the name may already belong to a newer one.
        if (!any && !shared_->removed.load(std::memory_order_acquire) && still_current()) {
            shared_->removed.store(1, std::memory_order_release);
            // Killed processes could not unlink their context segments.
            for (uint32_t u = 0; u < kMaxUnits; ++u)
                for (uint32_t c = 0; c < kContextsPerUnit; ++c)
                    if (shared_->owners[u][c].pid.load(std::memory_order_acquire) != 0)
                        shm_unlink(context_segment_name(u, c).c_str());
            shm_unlink(seg_name_.c_str());
        }
    }
    munmap(shared_, sizeof(Shared));
}

bool Fabric::still_current() const {
    int fd = shm_open(seg_name_.c_str(), O_RDONLY, 0600);
    if (fd < 0) return false;
    struct stat st{};
    bool same = fstat(fd, &st) == 0 && uint64_t(st.st_ino) == inode_;
    close(fd);
    return same;
}

std::string Fabric::context_segment_name(uint32_t unit, uint32_t ctxt) const {
    return seg_name_ + ".u" + std::to_string(unit) + "c" + std::to_string(ctxt);
}

psm2_error_t Fabric::claim(int unit, uint32_t* unit_out, uint32_t* ctxt_out, uint32_t* inc) {
    int32_t me = getpid();
    uint32_t first = unit < 0 ? 0 : uint32_t(unit);
    uint32_t last = unit < 0 ? cfg_.units : first + 1;
    if (first >= cfg_.units) return PSM2_EP_UNIT_NOT_FOUND;
    DirectoryLock lock(shared_);
    if (shared_->removed.load(std::memory_order_acquire)) return PSM2_EP_WAS_CLOSED;
    // Spread processes over the units when any unit will do.
    uint32_t start = unit < 0 ? uint32_t(me) % cfg_.units : 0;
    for (uint32_t i = first; i < last; ++i) {
        uint32_t u = unit < 0 ? (start + i) % cfg_.units : i;
        // Context 0 stays unused, as on the real chip (the kernel's).
        for (uint32_t c = 1; c < kContextsPerUnit; ++c) {
            auto& o = shared_->owners[u][c];
            int32_t pid = o.pid.load(std::memory_order_acquire);
            if (pid != 0 && pid_alive(pid)) continue;
            if (!o.pid.compare_exchange_strong(pid, me, std::memory_order_acq_rel)) continue;
            if (pid != 0) shm_unlink(context_segment_name(u, c).c_str());   // stale
            *inc = o.incarnation.fetch_add(1, std::memory_order_acq_rel) + 1;
            *unit_out = u;
            *ctxt_out = c;
            return PSM2_OK;
        }
    }
    return PSM2_EP_NO_PORTS_AVAIL;
}

void Fabric::release(uint32_t unit, uint32_t ctxt) {
    if (unit >= kMaxUnits || ctxt >= kContextsPerUnit) return;
    if (still_current()) shm_unlink(context_segment_name(unit, ctxt).c_str());
    int32_t me = getpid();
    shared_->owners[unit][ctxt].pid.compare_exchange_strong(me, 0, std::memory_order_acq_rel);
}

int32_t Fabric::owner(uint32_t unit, uint32_t ctxt) const {
    if (unit >= cfg_.units || ctxt >= kContextsPerUnit) return 0;
    int32_t pid = shared_->owners[unit][ctxt].pid.load(std::memory_order_acquire);
    return pid_alive(pid) ? pid : 0;
}

uint32_t Fabric::incarnation(uint32_t unit, uint32_t ctxt) const {
    if (unit >= cfg_.units || ctxt >= kContextsPerUnit) return 0;
    return shared_->owners[unit][ctxt].incarnation.load(std::memory_order_acquire);
}

uint32_t Fabric::free_contexts(uint32_t unit) const {
    if (unit >= cfg_.units) return 0;
    uint32_t n = 0;
    for (uint32_t c = 1; c < kContextsPerUnit; ++c)
        n += owner(unit, c) == 0;
    return n;
}

int Fabric::unit_of(uint32_t lid) const {
    if (lid < cfg_.lid_base || lid >= cfg_.lid_base + cfg_.units) return -1;
    return int(lid - cfg_.lid_base);
}

uint32_t free_contexts_now(uint32_t unit) {
    FabricConfig cfg;
    if (!config_from_env(&cfg) || unit >= cfg.units) return 0;
    int fd = shm_open(directory_name(cfg.name).c_str(), O_RDONLY, 0600);
    if (fd < 0) return kUsableContextsPerUnit;
    struct stat st{};
    void* p = MAP_FAILED;
    if (fstat(fd, &st) == 0 && size_t(st.st_size) >= sizeof(Fabric::Shared))
        p = mmap(nullptr, sizeof(Fabric::Shared), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return kUsableContextsPerUnit;
    auto* sh = static_cast<const Fabric::Shared*>(p);
    uint32_t n = 0;
    for (uint32_t c = 1; c < kContextsPerUnit; ++c)
        n += !pid_alive(sh->owners[unit][c].pid.load(std::memory_order_acquire));
    munmap(p, sizeof(Fabric::Shared));
    return n;
}

void Fabric::remove(const std::string& name) {
    std::string dir = directory_name(name);
    for (uint32_t u = 0; u < kMaxUnits; ++u)
        for (uint32_t c = 0; c < kContextsPerUnit; ++c)
            shm_unlink((dir + ".u" + std::to_string(u) + "c" + std::to_string(c)).c_str());
    shm_unlink(dir.c_str());
}

}  // namespace psm::hal::sim
