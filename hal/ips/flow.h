// Reliability bookkeeping of one connection, free of I/O so that it can be
// tested with a fake clock: packet sequence numbers (31 bits, wrapping),
// the send window, go-back-N retransmission on NAK or timeout with
// exponential backoff, and the receiver's in-order acceptance with
// coalesced acks and one NAK per gap.
#pragma once

#include <cstdint>

namespace psm::hal::ips {

inline constexpr uint32_t kPsnMask = 0x7fffffff;

// a - b in PSN space (negative when a is before b).
inline int32_t psn_diff(uint32_t a, uint32_t b) {
    uint32_t d = (a - b) & kPsnMask;
    return d & 0x40000000 ? int32_t(int64_t(d) - 0x80000000LL) : int32_t(d);
}

struct RetransmitTimer {
    uint64_t min_ns = 160'000'000;    // PSM2_ERRCHK_TIMEOUT "min:max:factor" (ms)
    uint64_t max_ns = 640'000'000;
    uint32_t factor = 2;
};

// Sender side. PSNs are handed out in order; [acked, next) are in flight or
// queued; the first `sent` of them went out since the last go-back.
class SendSeq {
public:
    explicit SendSeq(uint32_t window = 64, RetransmitTimer t = {}) : window_(window), timer_(t), rto_(t.min_ns) {}

    uint32_t assign() { uint32_t p = next_; next_ = (next_ + 1) & kPsnMask; return p; }
    uint32_t next_psn() const { return next_; }
    uint32_t oldest_unacked() const { return acked_; }
    uint32_t queued() const { return uint32_t(psn_diff(next_, acked_)); }
    uint32_t sent() const { return sent_; }
    // May the packet at position `sent()` go out now?
    bool can_send() const { return sent_ < queued() && sent_ < window_; }
    void mark_sent(uint64_t now) {
        if (ever_ == 0) armed_at_ = progress_at_ = now;
        ++sent_;
        if (sent_ > ever_) ever_ = sent_;
    }

    // Cumulative ack: the peer expects `next_expected`. Returns how many
    // packets it released (0 for an old or bogus ack).
    uint32_t on_ack(uint32_t next_expected, uint64_t now) {
        int32_t n = psn_diff(next_expected, acked_);
        if (n <= 0 || uint32_t(n) > ever_) return 0;   // old, or acks what never went out
        acked_ = (acked_ + uint32_t(n)) & kPsnMask;
        ever_ -= uint32_t(n);
        sent_ = sent_ > uint32_t(n) ? sent_ - uint32_t(n) : 0;
        rto_ = timer_.min_ns;
        armed_at_ = progress_at_ = now;
        timeouts_ = 0;
        return uint32_t(n);
    }
    // The peer saw a gap at `next_expected`: acknowledges what came before
    // and goes back to resend from there.
    uint32_t on_nak(uint32_t next_expected, uint64_t now) {
        uint32_t n = on_ack(next_expected, now);
        if (psn_diff(next_expected, acked_) == 0) sent_ = 0;
        return n;
    }
    // Called from progress: true when the oldest packet waited too long; then
    // everything in flight is resent (sent() drops to 0) and the timeout grows.
    bool check_timeout(uint64_t now) {
        // `now` may predate the last transmission (a clock read at the start
        // of a receive batch): not a timeout, and no unsigned wrap-around.
        if (ever_ == 0 || now < armed_at_ || now - armed_at_ < rto_) return false;
        sent_ = 0;
        armed_at_ = now;
        ++timeouts_;
        rto_ = rto_ * timer_.factor > timer_.max_ns ? timer_.max_ns : rto_ * timer_.factor;
        return true;
    }
    uint32_t consecutive_timeouts() const { return timeouts_; }
    uint64_t current_rto() const { return rto_; }
    // Time since the last ack progress while something is in flight. Kept
    // apart from the retransmit timer, which each timeout re-arms.
    uint64_t stalled_for(uint64_t now) const { return ever_ && now > progress_at_ ? now - progress_at_ : 0; }

private:
    uint32_t window_;
    RetransmitTimer timer_;
    uint32_t next_ = 0;
    uint32_t acked_ = 0;
    uint32_t sent_ = 0;     // next to transmit, relative to acked_
    uint32_t ever_ = 0;     // transmitted at least once, relative to acked_
    uint64_t armed_at_ = 0;     // retransmit timer start
    uint64_t progress_at_ = 0;  // first transmission or last ack that released something
    uint64_t rto_;
    uint32_t timeouts_ = 0;
};

// Receiver side.
class RecvSeq {
public:
    enum Verdict { kAccept, kDuplicate, kGap };

    // now: when the packet arrived (starts the ack delay of the first
    // packet not yet acknowledged).
    Verdict on_packet(uint32_t psn, uint64_t now = 0) {
        int32_t d = psn_diff(psn, expected_);
        if (d == 0) {
            expected_ = (expected_ + 1) & kPsnMask;
            if (unacked_++ == 0) first_unacked_ns_ = now;
            return kAccept;
        }
        if (d < 0) {
            ack_now_ = true;   // the sender may have missed our ack
            return kDuplicate;
        }
        return kGap;
    }
    uint32_t expected() const { return expected_; }
    // Coalescing: one ack covers every packet accepted since the last one.
    bool ack_due() const { return unacked_ > 0 || ack_now_; }
    // Whether to send an ack packet of its own now rather than wait for one
    // to ride on data going back (a reply usually follows soon): when a
    // duplicate needs a re-ack, when `batch` packets wait, or after `delay_ns`.
    bool ack_urgent(uint64_t now, uint32_t batch, uint64_t delay_ns) const {
        return ack_now_ || unacked_ >= batch || (unacked_ > 0 && now - first_unacked_ns_ >= delay_ns);
    }
    void ack_sent() { unacked_ = 0; ack_now_ = false; }
    // The sender asked for an ack at once (AckReq bit).
    void ack_requested() { ack_now_ = true; }

private:
    uint32_t expected_ = 0;
    uint32_t unacked_ = 0;
    uint64_t first_unacked_ns_ = 0;
    bool ack_now_ = false;
};

}  // namespace psm::hal::ips
