#include "hal/sim/sim_context.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>

#include "hal/env.h"
#include "hal/log.h"

namespace psm::hal::sim {

namespace {

constexpr uint32_t kSegMagic = 0x53435458;    // "SCTX"
constexpr uint32_t kSlotHeaderBytes = 104;    // 128-byte entries, like 32-dword rcvhdrq entries
constexpr uint32_t kFlagChecksum = 0x1;       // crc field is valid: verify it
constexpr auto kStuckSlotLimit = std::chrono::seconds(1);
constexpr auto kDelayTime = std::chrono::microseconds(200);

// The simulated driver's job key: derived from the job uuid, as the real
// driver hands every context of a job the same J_KEY. 0 is never produced.
uint16_t job_key(const psm2_uuid_t& uuid) {
    uint32_t h = 2166136261u;   // FNV-1a
    for (unsigned char b : uuid) h = (h ^ b) * 16777619u;
    uint16_t k = uint16_t(h ^ (h >> 16));
    return k ? k : 1;
}

}  // namespace

// One receive header queue entry. seq is the entry's state in a bounded
// multi-producer queue: == position -> free for the producer that claims
// that position; == position + 1 -> filled; the consumer then sets it to
// position + kSlots (free for the next lap).
struct Slot {
    std::atomic<uint64_t> seq;
    uint32_t hdr_len;
    uint32_t pay_len;
    uint32_t flags;
    uint32_t crc;
    uint8_t hdr[kSlotHeaderBytes];
};
static_assert(sizeof(Slot) == 128);

struct TidEntry {
    uint64_t addr;     // meaningful in the owner's address space only
    uint32_t len;
    uint32_t in_use;
};

struct Segment {
    uint32_t magic;
    uint32_t gen;
    int32_t pid;
    uint32_t incarnation;
    uint32_t slots;
    uint32_t egr_size;
    alignas(64) std::atomic<uint64_t> tail;    // next position producers claim
    alignas(64) std::atomic<uint64_t> head;    // consumer position (for observers)
    alignas(64) TidEntry tids[SimContext::kTids];
    Slot slot[SimContext::kSlots];
    // eager buffers follow: slots x egr_size

    uint8_t* egr(uint32_t i) { return reinterpret_cast<uint8_t*>(this + 1) + size_t(i) * egr_size; }
    static size_t bytes(uint32_t egr_size) { return sizeof(Segment) + size_t(SimContext::kSlots) * egr_size; }
};

psm2_error_t SimContext::open(const FabricConfig& cfg, const hfi::OpenRequest& req,
                              std::unique_ptr<hfi::Context>* out) {
    if (req.port > 1) return PSM2_EP_NO_PORTS_AVAIL;   // simulated units have one port
    Fabric* fabric = nullptr;
    std::unique_ptr<Fabric> fab;
    uint32_t unit = 0, ctxt = 0, inc = 0;
    for (int attempt = 0;; ++attempt) {
        psm2_error_t err = Fabric::open(cfg, &fabric);
        if (err != PSM2_OK) return err;
        fab.reset(fabric);
        err = fabric->claim(req.unit, &unit, &ctxt, &inc);
        // The job's last process removed the directory between our open and
        // claim: open the current one.
        if (err == PSM2_EP_WAS_CLOSED && attempt < 100) continue;
        if (err != PSM2_OK) return err == PSM2_EP_WAS_CLOSED ? PSM2_EP_DEVICE_FAILURE : err;
        break;
    }

    const auto& g = hfi::generation_info(cfg.gen);
    uint32_t egr_size = g.max_mtu;
    size_t bytes = Segment::bytes(egr_size);
    std::string name = fabric->context_segment_name(unit, ctxt);
    shm_unlink(name.c_str());
    int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, off_t(bytes)) != 0) {
        log::warn("simulated HFI: cannot create %s: %s", name.c_str(), strerror(errno));
        if (fd >= 0) close(fd);
        fabric->release(unit, ctxt);
        return PSM2_EP_DEVICE_FAILURE;
    }
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        fabric->release(unit, ctxt);
        return PSM2_NO_MEMORY;
    }
    auto* seg = static_cast<Segment*>(p);
    seg->gen = uint32_t(cfg.gen);
    seg->pid = getpid();
    seg->incarnation = inc;
    seg->slots = kSlots;
    seg->egr_size = egr_size;
    seg->tail.store(0, std::memory_order_relaxed);
    seg->head.store(0, std::memory_order_relaxed);
    for (uint32_t i = 0; i < kSlots; ++i) seg->slot[i].seq.store(i, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    reinterpret_cast<std::atomic<uint32_t>*>(&seg->magic)->store(kSegMagic, std::memory_order_release);

    auto* c = new (std::nothrow) SimContext();
    if (!c) {
        munmap(p, bytes);
        fabric->release(unit, ctxt);
        return PSM2_NO_MEMORY;
    }
    c->fabric_ = fab.release();
    c->seg_ = seg;
    c->seg_bytes_ = bytes;
    hfi::ContextInfo& i = c->info_;
    i.jkey = job_key(req.uuid);
    i.gen = cfg.gen;
    i.unit = unit;
    i.port = 1;
    i.context = ctxt;
    i.lid = fabric->lid_of(unit);
    i.mtu = g.max_mtu;
    i.pio_credits = kSlots;
    i.egr_count = kSlots;
    i.egr_size = egr_size;
    i.rcvhdrq_count = kSlots;
    i.rcvhdrq_entsize = sizeof(Slot);
    i.tid_count = kTids;
    i.tid_max_bytes = kTidBytes;
    c->faults_ = FaultInjector(fault_rates_from_env(), uint64_t(i.lid) << 8 | ctxt);
    std::string tunnel = env::get_str("PSM2_SIM_TUNNEL");
    std::vector<TunnelEntry> entries;
    if (!tunnel.empty() && parse_tunnel(tunnel, &entries)) c->tunnel_.open(entries, i.lid, ctxt);
    out->reset(c);
    return PSM2_OK;
}

SimContext::~SimContext() {
    for (auto& [key, r] : remotes_) munmap(r.seg, r.bytes);
    if (seg_) munmap(seg_, seg_bytes_);
    if (fabric_) {
        fabric_->release(info_.unit, info_.context);
        delete fabric_;
    }
}

SimContext::Remote* SimContext::remote_for(const hfi::Route& to) {
    uint64_t key = uint64_t(to.dlid) << 8 | to.context;
    int unit = fabric_->unit_of(to.dlid);
    if (unit < 0 || to.context >= kContextsPerUnit) return nullptr;
    uint32_t inc = fabric_->incarnation(uint32_t(unit), to.context);
    auto it = remotes_.find(key);
    if (it != remotes_.end()) {
        if (it->second.incarnation == inc) return &it->second;
        munmap(it->second.seg, it->second.bytes);   // the context changed hands
        remotes_.erase(it);
    }
    if (fabric_->owner(uint32_t(unit), to.context) == 0) return nullptr;
    std::string name = fabric_->context_segment_name(uint32_t(unit), to.context);
    int fd = shm_open(name.c_str(), O_RDWR, 0600);
    if (fd < 0) return nullptr;
    size_t bytes = Segment::bytes(info_.egr_size);
    struct stat st{};
    void* p = MAP_FAILED;
    if (fstat(fd, &st) == 0 && size_t(st.st_size) == bytes)
        p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return nullptr;
    auto* seg = static_cast<Segment*>(p);
    auto magic = reinterpret_cast<std::atomic<uint32_t>*>(&seg->magic)->load(std::memory_order_acquire);
    if (magic != kSegMagic || seg->incarnation != inc) {
        munmap(p, bytes);   // still being set up, or already replaced: try again later
        return nullptr;
    }
    Remote& r = remotes_[key];
    r.seg = seg;
    r.bytes = bytes;
    r.incarnation = inc;
    return &r;
}

psm2_error_t SimContext::deliver(Remote& r, const uint8_t* hdr, uint32_t hdr_len,
                                 const void* payload, uint32_t len, uint32_t flags, uint32_t crc) {
    Segment* s = r.seg;
    uint64_t pos = s->tail.load(std::memory_order_relaxed);
    Slot* slot;
    for (;;) {
        slot = &s->slot[pos % kSlots];
        uint64_t seq = slot->seq.load(std::memory_order_acquire);
        if (seq == pos) {
            if (s->tail.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
        } else if (seq < pos) {
            return PSM2_EP_NO_RESOURCES;   // the receiver's queue is full
        } else {
            pos = s->tail.load(std::memory_order_relaxed);
        }
    }
    slot->hdr_len = hdr_len;
    slot->pay_len = len;
    slot->flags = flags;
    slot->crc = crc;
    std::memcpy(slot->hdr, hdr, hdr_len);
    if (len) std::memcpy(s->egr(uint32_t(pos % kSlots)), payload, len);
    slot->seq.store(pos + 1, std::memory_order_release);
    return PSM2_OK;
}

psm2_error_t SimContext::emit(const hfi::Route& to, const uint8_t* hdr, uint32_t hdr_len,
                              const void* payload, uint32_t len, uint32_t flags, uint32_t crc) {
    if (!is_local(to.dlid)) {
        if (!tunnel_.knows(to.dlid)) return PSM2_EPID_UNREACHABLE;
        // A datagram the kernel refuses is a packet lost on the wire.
        tunnel_.send(to.dlid, to.context, hdr, hdr_len, payload, len, flags, crc);
        return PSM2_OK;
    }
    Remote* r = remote_for(to);
    if (!r) return PSM2_EPID_UNREACHABLE;
    return deliver(*r, hdr, hdr_len, payload, len, flags, crc);
}

psm2_error_t SimContext::put(const hfi::Route& to, const uint8_t* hdr, uint32_t hdr_len,
                             const void* payload, uint32_t len, bool corrupt) {
    if (!faults_.enabled()) return emit(to, hdr, hdr_len, payload, len, 0, 0);
    uint32_t crc = packet_checksum(hdr, hdr_len, payload, len);
    if (!corrupt) return emit(to, hdr, hdr_len, payload, len, kFlagChecksum, crc);
    // Flip one bit somewhere in the packet after the checksum was taken, the
    // way a bad link would; the receiver's check flags it.
    scratch_.assign(hdr, hdr + hdr_len);
    scratch_.insert(scratch_.end(), static_cast<const uint8_t*>(payload),
                    static_cast<const uint8_t*>(payload) + len);
    uint64_t bit = faults_.random() % (uint64_t(hdr_len + len) * 8);
    scratch_[bit / 8] ^= uint8_t(1u << (bit % 8));
    return emit(to, scratch_.data(), hdr_len, scratch_.data() + hdr_len, len, kFlagChecksum, crc);
}

psm2_error_t SimContext::send(const hfi::Route& to, const uint8_t* hdr, uint32_t hdr_len,
                              const void* payload, uint32_t len) {
    if (hdr_len > kSlotHeaderBytes || len > info_.egr_size) return PSM2_PARAM_ERR;
    if (!faults_.enabled()) return emit(to, hdr, hdr_len, payload, len, 0, 0);
    return send_with_faults(to, hdr, hdr_len, payload, len);
}

psm2_error_t SimContext::send_with_faults(const hfi::Route& to, const uint8_t* hdr,
                                          uint32_t hdr_len, const void* payload, uint32_t len) {
    // Room first, so that a full queue is reported before any fault is drawn
    // (a retried packet then draws once, keeping runs reproducible).
    if (is_local(to.dlid)) {
        Remote* r = remote_for(to);
        if (!r) return PSM2_EPID_UNREACHABLE;
        Segment* s = r->seg;
        uint64_t pos = s->tail.load(std::memory_order_relaxed);
        if (s->slot[pos % kSlots].seq.load(std::memory_order_acquire) < pos)
            return PSM2_EP_NO_RESOURCES;
    }
    uint32_t a = faults_.next();
    if (a & kDrop) {
        release_held(false);
        return PSM2_OK;
    }
    if (a & (kReorder | kDelay)) {
        Held h{to, std::vector<uint8_t>(hdr, hdr + hdr_len),
               std::vector<uint8_t>(static_cast<const uint8_t*>(payload),
                                    static_cast<const uint8_t*>(payload) + len),
               std::chrono::steady_clock::now() + ((a & kDelay) ? kDelayTime : std::chrono::microseconds(0))};
        held_.push_back(std::move(h));
        return PSM2_OK;
    }
    psm2_error_t err = put(to, hdr, hdr_len, payload, len, a & kCorrupt);
    if (err == PSM2_OK && (a & kDuplicate)) put(to, hdr, hdr_len, payload, len, false);
    release_held(false);   // a reordered packet goes out right after this one
    return err;
}

void SimContext::release_held(bool all) {
    auto now = std::chrono::steady_clock::now();
    size_t n = held_.size();
    for (size_t i = 0; i < n; ++i) {
        Held h = std::move(held_.front());
        held_.pop_front();
        if (!all && h.due > now) {
            held_.push_back(std::move(h));
            continue;
        }
        // A packet that finds no room is lost, as a switch would drop it.
        put(h.to, h.hdr.data(), uint32_t(h.hdr.size()), h.payload.data(), uint32_t(h.payload.size()),
            false);
    }
}

bool SimContext::peek(hfi::RecvPacket* out) {
    if (!held_.empty()) release_held(false);
    return peek_local(out) || (tunnel_.enabled() && peek_tunnel(out));
}

bool SimContext::peek_tunnel(hfi::RecvPacket* out) {
    uint32_t flags = 0, crc = 0;
    if (!tunnel_.receive(&out->hdr, &out->hdr_len, &out->payload, &out->payload_len, &flags, &crc))
        return false;
    out->errors = 0;
    if (out->hdr_len > kSlotHeaderBytes || out->payload_len > info_.egr_size)
        out->errors |= hfi::kErrLen;
    else if ((flags & kFlagChecksum) &&
             packet_checksum(out->hdr, out->hdr_len, out->payload, out->payload_len) != crc)
        out->errors |= hfi::kErrIcrc;
    from_tunnel_ = true;
    return true;
}

bool SimContext::peek_local(hfi::RecvPacket* out) {
    Slot& slot = seg_->slot[head_ % kSlots];
    uint64_t seq = slot.seq.load(std::memory_order_acquire);
    if (seq != head_ + 1) {
        // A producer that died between claiming an entry and filling it would
        // block the queue for good: after a while, skip the entry (the
        // protocol recovers whatever it held by retransmission). Looked at
        // rarely: reading the producers' tail on every empty poll would pull
        // their cache line away from them.
        if ((++empty_polls_ & 1023) != 0) return false;
        if (seg_->tail.load(std::memory_order_relaxed) <= head_) return false;
        auto now = std::chrono::steady_clock::now();
        if (stuck_since_ == std::chrono::steady_clock::time_point{}) stuck_since_ = now;
        if (now - stuck_since_ < kStuckSlotLimit) return false;
        log::trace(log::kProtocol, "simulated HFI: skipping an entry never filled by its sender");
        stuck_since_ = {};
        slot.seq.store(head_ + kSlots, std::memory_order_release);
        ++head_;
        return false;
    }
    stuck_since_ = {};
    out->hdr = slot.hdr;
    out->hdr_len = slot.hdr_len;
    out->payload = seg_->egr(uint32_t(head_ % kSlots));
    out->payload_len = slot.pay_len;
    out->errors = 0;
    if (slot.hdr_len > kSlotHeaderBytes || slot.pay_len > seg_->egr_size) {
        out->errors |= hfi::kErrLen;
        out->hdr_len = 0;
        out->payload_len = 0;
    } else if ((slot.flags & kFlagChecksum) &&
               packet_checksum(slot.hdr, slot.hdr_len, out->payload, slot.pay_len) != slot.crc) {
        out->errors |= hfi::kErrIcrc;
    }
    return true;
}

void SimContext::release() {
    if (from_tunnel_) {
        from_tunnel_ = false;
        return;
    }
    seg_->slot[head_ % kSlots].seq.store(head_ + kSlots, std::memory_order_release);
    ++head_;
    seg_->head.store(head_, std::memory_order_relaxed);
}

psm2_error_t SimContext::tid_program(void* buf, uint32_t len, uint32_t* tid, uint32_t* count) {
    uint32_t need = len == 0 ? 1 : (len + kTidBytes - 1) / kTidBytes;
    // First fit over the table: windows are few and short-lived.
    for (uint32_t start = 0; start + need <= kTids; ++start) {
        uint32_t k = 0;
        while (k < need && !seg_->tids[start + k].in_use) ++k;
        if (k < need) {
            start += k;
            continue;
        }
        for (uint32_t j = 0; j < need; ++j) {
            uint32_t off = j * kTidBytes;
            seg_->tids[start + j] = {reinterpret_cast<uint64_t>(buf) + off,
                                     len - off < kTidBytes ? len - off : kTidBytes, 1};
        }
        *tid = start;
        *count = need;
        return PSM2_OK;
    }
    return PSM2_EP_NO_RESOURCES;
}

void SimContext::tid_free(uint32_t tid, uint32_t count) {
    for (uint32_t j = 0; j < count && tid + j < kTids; ++j) seg_->tids[tid + j] = {0, 0, 0};
}

void* SimContext::tid_target(uint32_t tid, uint32_t offset, uint32_t len) {
    if (tid >= kTids) return nullptr;
    const TidEntry& e = seg_->tids[tid];
    if (!e.in_use || offset > e.len || len > e.len - offset) return nullptr;
    return reinterpret_cast<void*>(e.addr + offset);
}

void SimContext::forget(const hfi::Route& to) {
    auto it = remotes_.find(uint64_t(to.dlid) << 8 | to.context);
    if (it == remotes_.end()) return;
    munmap(it->second.seg, it->second.bytes);
    remotes_.erase(it);
}

bool SimContext::peer_alive(const hfi::Route& to) {
    int unit = fabric_->unit_of(to.dlid);
    if (unit < 0) return tunnel_.knows(to.dlid);   // another host: only timeouts can tell
    auto it = remotes_.find(uint64_t(to.dlid) << 8 | to.context);
    if (it != remotes_.end() && it->second.incarnation != fabric_->incarnation(uint32_t(unit), to.context))
        return false;
    return fabric_->owner(uint32_t(unit), to.context) != 0;
}

}  // namespace psm::hal::sim
