// Split copy: receiver and sender copy one large rendezvous message at the
// same time (process_vm_readv from the front, process_vm_writev from the
// back), balanced chunk by chunk through a shared claim word. See
// split_claim.h for the word, wire.h for Put / PutDone.
#include <cerrno>
#include <cstring>

#include "hal/log.h"
#include "hal/shm/cma.h"
#include "hal/shm/shm_device_impl.h"
#include "hal/shm/split_claim.h"

namespace psm::hal::shm {
namespace {

psm2_error_t cma_error(int err) {
    return err == ESRCH ? PSM2_EPID_UNREACHABLE : PSM2_INTERNAL_ERR;
}

uint32_t chunk_count(uint32_t len) { return (len + kSplitChunk - 1) / kSplitChunk; }

}  // namespace

// Receiver. Returns false (caller does a plain read) when every slot is busy.
bool ShmDevice::start_split_pull(ShmConn& c, uint64_t addr, uint64_t send_cookie, void* dst,
                                 uint32_t len, uint64_t recv_cookie) {
    if (c.split_busy == (1u << kSplitSlots) - 1) return false;
    uint32_t slot = static_cast<uint32_t>(__builtin_ctz(~c.split_busy & 0xffu));
    c.split_busy |= static_cast<uint8_t>(1u << slot);
    uint16_t gen = ++c.split_gen[slot];
    uint32_t n = chunk_count(len);
    uint64_t& word = c.peer.claimed_ctl()->split_claims[slot];
    std::atomic_ref<uint64_t>(word).store(SplitWord{gen, 0, n}.pack(), std::memory_order_release);

    uint32_t id = new_job(c, dst, len, recv_cookie);
    PutBody put{addr, reinterpret_cast<uint64_t>(dst), len, id, gen, static_cast<uint8_t>(slot), {}};
    send_control(c, Kind::Put, &put, sizeof put);

    auto* out = static_cast<unsigned char*>(dst);
    int err = 0;
    while (auto chunk = claim_chunk(word, gen, /*from_front=*/true)) {
        uint64_t off = uint64_t{*chunk} * kSplitChunk;
        uint32_t n_bytes = static_cast<uint32_t>(std::min<uint64_t>(kSplitChunk, len - off));
        if (!err) err = cma_read(c.peer_pid, addr + off, out + off, n_bytes);
        ++stats_.chunks_read;
    }
    ++stats_.split_pulls;
    // The ends met: everything from the boundary on is the sender's.
    SplitWord final = SplitWord::unpack(std::atomic_ref<uint64_t>(word).load(std::memory_order_acquire));
    PullJob& j = jobs_[id];
    j.send_cookie = send_cookie;
    j.src = addr;
    j.slot = static_cast<int32_t>(slot);
    j.sender_from = std::min<uint32_t>(len, final.back * kSplitChunk);
    j.received = j.sender_from;
    if (err) j.err = cma_error(err);
    if (final.back == n) finish_split(id);   // the sender took nothing: no PutDone will come
    return true;
}

// Sender: take chunks from the back until the receiver's front reaches us.
void ShmDevice::on_put(ShmConn& c, const PutBody& b) {
    if (!c.rx.valid() || b.slot >= kSplitSlots) return;
    uint64_t& word = seg_.inbox(static_cast<uint32_t>(c.rx_inbox))->split_claims[b.slot];
    uint32_t first = UINT32_MAX;
    int err = 0;
    while (auto chunk = claim_chunk(word, b.gen, /*from_front=*/false)) {
        first = *chunk;
        uint64_t off = uint64_t{*chunk} * kSplitChunk;
        uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(kSplitChunk, b.len - off));
        if (!err) err = cma_write(c.peer_pid, reinterpret_cast<void*>(b.src + off), b.dst + off, n);
        ++stats_.chunks_written;
    }
    if (first == UINT32_MAX) return;   // the receiver had already taken everything
    PutDoneBody done{b.job, err, first, 0};
    send_control(c, Kind::PutDone, &done, sizeof done);
}

// Receiver: the sender's chunks landed (or failed).
void ShmDevice::on_put_done(const PutDoneBody& b) {
    if (b.job >= jobs_.size() || !jobs_[b.job].conn || jobs_[b.job].slot < 0) return;
    PullJob& j = jobs_[b.job];
    int err = b.err;
    if (err == EPERM || err == ENOSYS) {
        // Our ptrace policy refuses the sender: read its part ourselves.
        err = cma_read(j.conn->peer_pid, j.src + j.sender_from, j.dst + j.sender_from,
                       j.len - j.sender_from);
    }
    if (err && j.err == PSM2_OK) j.err = cma_error(err);
    finish_split(b.job);
}

void ShmDevice::finish_split(uint32_t id) {
    PullJob& j = jobs_[id];
    ShmConn& c = *j.conn;
    c.split_busy &= static_cast<uint8_t>(~(1u << j.slot));
    psm2_error_t result = j.err;
    uint64_t recv_cookie = j.recv_cookie;
    DoneBody done{j.send_cookie, result, 0};
    j.conn = nullptr;
    j.slot = -1;
    free_jobs_.push_back(id);
    send_control(c, Kind::Done, &done, sizeof done);
    // Inside pull() (no PutDone needed) the engine expects the upcall later.
    completions_.push_back({recv_cookie, result});
}

}  // namespace psm::hal::shm
