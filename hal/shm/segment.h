// Creating, attaching, and cleaning up shm segments. One segment per endpoint,
// named from the owner's uid, the job uuid and the endpoint's epid, so that
// two jobs (or two users) never open each other's segments by accident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "hal/shm/segment_layout.h"
#include "psm2.h"

namespace psm::hal::shm {

// "/psm2cpp.<uid>.<uuid as 32 hex>.<epid as 16 hex>" (the shm_open name).
std::string segment_name(const psm2_uuid_t& uuid, psm2_epid_t epid);

// Linux starttime of a process (clock ticks since boot), 0 if unknown.
uint64_t process_start_time(int pid);

// Inode of this process's pid namespace, 0 if unknown.
uint64_t own_pid_namespace();

// An mmap that unmaps itself.
class Mapping {
public:
    Mapping() = default;
    Mapping(void* addr, size_t len) : addr_(addr), len_(len) {}
    Mapping(Mapping&& o) noexcept : addr_(o.addr_), len_(o.len_) { o.addr_ = nullptr; }
    Mapping& operator=(Mapping&& o) noexcept;
    ~Mapping();
    void* addr() const { return addr_; }
    size_t size() const { return len_; }
    explicit operator bool() const { return addr_ != nullptr; }

private:
    void* addr_ = nullptr;
    size_t len_ = 0;
};

// The segment this endpoint owns: whole mapping, unlinked in the destructor.
class OwnSegment {
public:
    // numa_node < 0: leave placement to the kernel.
    psm2_error_t create(const psm2_uuid_t& uuid, psm2_epid_t epid, int numa_node);
    ~OwnSegment() { close(); }
    void close();   // marks Closed, unlinks, unmaps

    SegmentHeader* header() const { return static_cast<SegmentHeader*>(map_.addr()); }
    InboxCtl* inbox(uint32_t i) const;
    Line* ring(uint32_t i) const;
    const std::string& name() const { return name_; }

private:
    Mapping map_;
    std::string name_;
};

// A peer's segment as a sender sees it: the header pages, plus the one ring
// this endpoint claimed.
class PeerSegment {
public:
    // PSM2_OK, PSM2_EPID_UNREACHABLE (no such segment), or
    // PSM2_EPID_INVALID_UUID_KEY (it exists, but for another job).
    psm2_error_t attach(const psm2_uuid_t& uuid, psm2_epid_t epid, int64_t timeout_ns);
    // Claim a free inbox for `my_epid` and map its ring. PSM2_EP_NO_RESOURCES if
    // every inbox is taken or /dev/shm is full.
    psm2_error_t claim_inbox(psm2_epid_t my_epid, uint32_t my_pid);
    // Tell the owner we will send no more (it frees the inbox after draining).
    void close_inbox();

    SegmentHeader* header() const { return static_cast<SegmentHeader*>(head_.addr()); }
    InboxCtl* claimed_ctl() const;
    Line* claimed_ring() const { return static_cast<Line*>(ring_.addr()); }
    uint32_t owner_pid() const { return header()->owner_pid; }
    bool owner_closed() const;

    ~PeerSegment();

private:
    int fd_ = -1;
    unsigned char uuid_[16] = {};   // the job we attached as
    Mapping head_;
    Mapping ring_;
    int32_t inbox_ = -1;
};

// Does a segment exist for this epid under any uuid other than `uuid`?
bool exists_for_other_job(const psm2_uuid_t& uuid, psm2_epid_t epid);

// Does this job's segment for `epid` exist?
bool segment_exists(const psm2_uuid_t& uuid, psm2_epid_t epid);

// Remove this user's segments whose owner died (or whose pid was reused).
// Returns how many were removed.
int sweep_stale_segments();

// Remove this job's segment for `epid` if its owner is dead (a killed peer
// cannot unlink its own). True when it was removed.
bool remove_if_stale(const psm2_uuid_t& uuid, psm2_epid_t epid);

}  // namespace psm::hal::shm
