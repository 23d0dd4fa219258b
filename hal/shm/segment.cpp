#include "hal/shm/segment.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "hal/log.h"
#include "hal/shm/numa_place.h"

namespace psm::hal::shm {
namespace {

constexpr const char* kShmDir = "/dev/shm/";
constexpr int kHalfFinishedGraceSec = 60;   // a header never completed: wait this long

std::string user_prefix() {
    char buf[48];
    std::snprintf(buf, sizeof buf, "psm2cpp.%u.", static_cast<unsigned>(getuid()));
    return buf;
}

std::string uuid_hex(const psm2_uuid_t& uuid) {
    char buf[33];
    for (int i = 0; i < 16; ++i) std::snprintf(buf + 2 * i, 3, "%02x", uuid[i]);
    return std::string(buf, 32);
}

std::string epid_hex(psm2_epid_t epid) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(epid));
    return buf;
}

template <class T>
T load_acq(const T& w) {
    return std::atomic_ref<const T>(w).load(std::memory_order_acquire);
}

bool pid_is_dead(int pid) { return pid > 0 && kill(pid, 0) == -1 && errno == ESRCH; }

// Is the segment behind `fd` left over from a process that no longer runs?
bool segment_is_stale(int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0) return false;
    bool old = time(nullptr) - st.st_mtime > kHalfFinishedGraceSec;
    if (static_cast<size_t>(st.st_size) < sizeof(SegmentHeader)) return old;
    void* p = mmap(nullptr, sizeof(SegmentHeader), PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return false;
    const auto* h = static_cast<const SegmentHeader*>(p);
    bool stale;
    if (load_acq(h->magic) != kSegmentMagic) {
        stale = old;
    } else if (h->owner_pidns != own_pid_namespace()) {
        stale = false;   // another container's process: its pid means nothing here
    } else if (pid_is_dead(static_cast<int>(h->owner_pid))) {
        stale = true;
    } else {
        uint64_t now_start = process_start_time(static_cast<int>(h->owner_pid));
        stale = now_start != 0 && h->owner_start_time != 0 && now_start != h->owner_start_time;
    }
    munmap(p, sizeof(SegmentHeader));
    return stale;
}

}  // namespace

std::string segment_name(const psm2_uuid_t& uuid, psm2_epid_t epid) {
    return "/" + user_prefix() + uuid_hex(uuid) + "." + epid_hex(epid);
}

uint64_t process_start_time(int pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE* f = std::fopen(path, "re");
    if (!f) return 0;
    char buf[1024];
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    // The command name may contain spaces and ')': fields restart after the last ')'.
    const char* p = std::strrchr(buf, ')');
    if (!p) return 0;
    // Field 3 (state) follows; starttime is field 22.
    int field = 2;
    for (; *p && field < 22; ++p)
        if (*p == ' ') ++field;
    return std::strtoull(p, nullptr, 10);
}

uint64_t own_pid_namespace() {
    static const uint64_t ino = [] {
        struct stat st {};
        return stat("/proc/self/ns/pid", &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
    }();
    return ino;
}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
    if (this != &o) {
        if (addr_) munmap(addr_, len_);
        addr_ = o.addr_;
        len_ = o.len_;
        o.addr_ = nullptr;
    }
    return *this;
}

Mapping::~Mapping() {
    if (addr_) munmap(addr_, len_);
}

// ---- OwnSegment ----------------------------------------------------------

psm2_error_t OwnSegment::create(const psm2_uuid_t& uuid, psm2_epid_t epid, int numa_node) {
    name_ = segment_name(uuid, epid);
    int fd = shm_open(name_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
        // Same epid as a dead process's endpoint (pid reuse): clean it up once.
        int old = shm_open(name_.c_str(), O_RDWR | O_CLOEXEC, 0600);
        bool stale = old >= 0 && segment_is_stale(old);
        if (old >= 0) ::close(old);
        if (stale) {
            shm_unlink(name_.c_str());
            fd = shm_open(name_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        } else {
            errno = EEXIST;
        }
    }
    if (fd < 0) {
        log::warn("shm: cannot create segment %s: %s", name_.c_str(), std::strerror(errno));
        name_.clear();
        return PSM2_EP_DEVICE_FAILURE;
    }
    void* p = MAP_FAILED;
    int err = ftruncate(fd, static_cast<off_t>(kSegmentBytes)) == 0 ? 0 : errno;
    if (!err) {
        p = mmap(nullptr, kSegmentBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) err = errno;
    }
    // Policy before the first page exists, so senders' fallocate lands here too.
    if (!err && numa_node >= 0) place_on_node(p, kSegmentBytes, numa_node);
    if (!err) err = posix_fallocate(fd, 0, static_cast<off_t>(kHeadBytes));
    ::close(fd);
    if (err) {
        log::warn("shm: cannot size segment %s (%zu bytes): %s", name_.c_str(), kSegmentBytes,
                  std::strerror(err));
        if (p != MAP_FAILED) munmap(p, kSegmentBytes);
        shm_unlink(name_.c_str());
        name_.clear();
        return PSM2_EP_NO_RESOURCES;
    }
    map_ = Mapping(p, kSegmentBytes);
    auto* h = header();
    h->layout_version = kLayoutVersion;
    h->inboxes = kInboxes;
    h->ring_lines = kRingLines;
    h->owner_pid = static_cast<uint32_t>(getpid());
    h->owner_start_time = process_start_time(getpid());
    h->owner_pidns = own_pid_namespace();
    h->epid = epid;
    std::memcpy(h->uuid, uuid, 16);
    std::atomic_ref<uint64_t>(h->state).store(uint64_t(SegState::Ready), std::memory_order_release);
    std::atomic_ref<uint64_t>(h->magic).store(kSegmentMagic, std::memory_order_release);
    log::trace(log::kDevices, "shm: created %s (numa node %d)", name_.c_str(), numa_node);
    return PSM2_OK;
}

void OwnSegment::close() {
    if (!map_) return;
    std::atomic_ref<uint64_t>(header()->state).store(uint64_t(SegState::Closed),
                                                    std::memory_order_release);
    shm_unlink(name_.c_str());
    map_ = Mapping();
    name_.clear();
}

InboxCtl* OwnSegment::inbox(uint32_t i) const {
    return reinterpret_cast<InboxCtl*>(static_cast<char*>(map_.addr()) + kCtlOffset) + i;
}

Line* OwnSegment::ring(uint32_t i) const {
    return reinterpret_cast<Line*>(static_cast<char*>(map_.addr()) + ring_offset(i));
}

// ---- PeerSegment ---------------------------------------------------------

psm2_error_t PeerSegment::attach(const psm2_uuid_t& uuid, psm2_epid_t epid, int64_t timeout_ns) {
    std::string name = segment_name(uuid, epid);
    std::memcpy(uuid_, uuid, sizeof uuid_);
    fd_ = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        if (exists_for_other_job(uuid, epid)) {
            log::warn("shm: epid 0x%llx belongs to a job with another uuid; refusing to connect",
                      static_cast<unsigned long long>(epid));
            return PSM2_EPID_INVALID_UUID_KEY;
        }
        log::trace(log::kDevices, "shm: no segment %s: %s", name.c_str(), std::strerror(errno));
        return PSM2_EPID_UNREACHABLE;
    }
    void* p = mmap(nullptr, kHeadBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) return PSM2_EPID_UNREACHABLE;
    head_ = Mapping(p, kHeadBytes);
    // The owner publishes its epid before finishing its header only in the
    // pathological case of a racing launcher; wait for the magic briefly.
    timespec start{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    int64_t limit = timeout_ns > 0 ? timeout_ns : 2'000'000'000;
    while (load_acq(header()->magic) != kSegmentMagic) {
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1'000'000'000LL + (now.tv_nsec - start.tv_nsec) > limit)
            return PSM2_TIMEOUT;
        sched_yield();
    }
    const auto* h = header();
    if (h->layout_version != kLayoutVersion || h->inboxes != kInboxes ||
        h->ring_lines != kRingLines) {
        log::warn("shm: segment %s has an incompatible layout (version %u)", name.c_str(),
                  h->layout_version);
        return PSM2_EPID_INVALID_VERSION;
    }
    if (std::memcmp(h->uuid, uuid, 16) != 0) {
        log::warn("shm: segment %s belongs to another job (uuid mismatch)", name.c_str());
        return PSM2_EPID_INVALID_UUID_KEY;
    }
    if (owner_closed()) return PSM2_EPID_UNREACHABLE;
    return PSM2_OK;
}

InboxCtl* PeerSegment::claimed_ctl() const {
    return reinterpret_cast<InboxCtl*>(static_cast<char*>(head_.addr()) + kCtlOffset) + inbox_;
}

bool PeerSegment::owner_closed() const {
    return load_acq(header()->state) == uint64_t(SegState::Closed);
}

psm2_error_t PeerSegment::claim_inbox(psm2_epid_t my_epid, uint32_t my_pid) {
    auto* ctls = reinterpret_cast<InboxCtl*>(static_cast<char*>(head_.addr()) + kCtlOffset);
    for (uint32_t i = 0; i < kInboxes; ++i) {
        uint64_t expected = 0;
        std::atomic_ref<uint64_t> owner(ctls[i].owner_epid);
        if (owner.load(std::memory_order_relaxed) != 0 ||
            !owner.compare_exchange_strong(expected, my_epid, std::memory_order_acq_rel))
            continue;
        // Reserve the ring's pages now: a full /dev/shm must fail here, not
        // raise SIGBUS on a later store.
        int err = posix_fallocate(fd_, static_cast<off_t>(ring_offset(i)),
                                  static_cast<off_t>(kRingBytes));
        void* p = err ? MAP_FAILED
                      : mmap(nullptr, kRingBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                             static_cast<off_t>(ring_offset(i)));
        if (p == MAP_FAILED) {
            log::warn("shm: cannot reserve a ring in the peer's segment: %s",
                      std::strerror(err ? err : errno));
            owner.store(0, std::memory_order_release);
            return PSM2_EP_NO_RESOURCES;
        }
        ring_ = Mapping(p, kRingBytes);
        inbox_ = static_cast<int32_t>(i);
        std::atomic_ref<uint64_t>(ctls[i].owner_pid).store(my_pid, std::memory_order_relaxed);
        std::memcpy(ctls[i].owner_uuid, uuid_, sizeof uuid_);   // published by the state store
        std::atomic_ref<uint64_t>(ctls[i].state).store(uint64_t(InboxState::Claimed),
                                                      std::memory_order_release);
        std::atomic_ref<uint64_t>(header()->claim_gen).fetch_add(1, std::memory_order_release);
        ::close(fd_);
        fd_ = -1;
        return PSM2_OK;
    }
    log::warn("shm: all %u inboxes of the peer are taken", kInboxes);
    return PSM2_EP_NO_RESOURCES;
}

void PeerSegment::close_inbox() {
    if (inbox_ < 0) return;
    InboxCtl* c = claimed_ctl();
    std::atomic_ref<uint64_t>(c->state).store(uint64_t(InboxState::SenderClosed),
                                              std::memory_order_release);
    std::atomic_ref<uint64_t>(header()->claim_gen).fetch_add(1, std::memory_order_release);
    inbox_ = -1;
}

PeerSegment::~PeerSegment() {
    close_inbox();
    if (fd_ >= 0) ::close(fd_);
}

// ---- lookups and cleanup -------------------------------------------------

bool segment_exists(const psm2_uuid_t& uuid, psm2_epid_t epid) {
    std::string path = std::string(kShmDir) + (segment_name(uuid, epid).c_str() + 1);
    return access(path.c_str(), F_OK) == 0;
}

bool exists_for_other_job(const psm2_uuid_t& uuid, psm2_epid_t epid) {
    DIR* d = opendir(kShmDir);
    if (!d) return false;
    std::string prefix = user_prefix();
    std::string suffix = "." + epid_hex(epid);
    std::string mine = uuid_hex(uuid);
    bool found = false;
    while (dirent* e = readdir(d)) {
        std::string_view n(e->d_name);
        if (n.size() == prefix.size() + 32 + suffix.size() && n.starts_with(prefix) &&
            n.ends_with(suffix) && n.substr(prefix.size(), 32) != mine) {
            found = true;
            break;
        }
    }
    closedir(d);
    return found;
}

bool remove_if_stale(const psm2_uuid_t& uuid, psm2_epid_t epid) {
    std::string name = segment_name(uuid, epid);
    int fd = shm_open(name.c_str(), O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return false;
    bool stale = segment_is_stale(fd);
    ::close(fd);
    if (!stale || shm_unlink(name.c_str()) != 0) return false;
    log::trace(log::kDevices, "shm: removed the segment %s of a dead peer", name.c_str());
    return true;
}

int sweep_stale_segments() {
    DIR* d = opendir(kShmDir);
    if (!d) return 0;
    std::string prefix = user_prefix();
    int removed = 0;
    while (dirent* e = readdir(d)) {
        if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) != 0) continue;
        std::string name = std::string("/") + e->d_name;
        int fd = shm_open(name.c_str(), O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) continue;
        bool stale = segment_is_stale(fd);
        ::close(fd);
        if (stale && shm_unlink(name.c_str()) == 0) {
            ++removed;
            log::trace(log::kDevices, "shm: removed stale segment %s", name.c_str());
        }
    }
    closedir(d);
    return removed;
}

}  // namespace psm::hal::shm
