// Two ranks, N threads each; thread t of one rank exchanges messages with
// thread t of the other through its own tag range, all threads at once on
// one MQ. Sizes mix eager and rendezvous (shm and HFI thresholds); receives
// mix exact tags and a per-thread wildcard; completions mix psm2_mq_wait,
// wait2, test + psm2_poll, and ipeek2 (which may return any thread's
// request: a thread only completes the ones it owns). Every payload carries
// (thread, seq) and a pattern; each seq must arrive exactly once, intact.
//
// Round structure (no deadlock by construction): in round k a thread first
// posts its receives for round k, then sends round k, then completes both;
// the peer's round-k sends therefore always find their receives posted once
// the peer reaches round k, and wildcard receives cannot steal a message of
// another class (exact and wildcard traffic differ in a tag bit).
#include <sched.h>

#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "worker_session.h"

namespace thr {
namespace {

constexpr uint32_t kPerRound = 16;
constexpr uint64_t kMarker = 0x7Aull << 56;
constexpr uint64_t kWildcardClass = 1ull << 39;
constexpr uint64_t kThreadShift = 40;
// Eager and rendezvous on both devices (shm threshold 16000, HFI 64000).
constexpr uint32_t kSizes[] = {8, 8, 64, 512, 4096, 12000, 20000, 70000, 200000};
constexpr uint32_t kMaxSize = 200000;

uint32_t mix(uint32_t thread, uint32_t seq) {
    uint32_t h = thread * 0x9E3779B1u ^ seq * 0x85EBCA6Bu;
    h ^= h >> 15;
    return h * 0x2C1B3C6Du;
}
uint32_t size_of(uint32_t thread, uint32_t seq) { return kSizes[mix(thread, seq) % std::size(kSizes)]; }
bool is_wildcard(uint32_t thread, uint32_t seq) { return (mix(thread, seq) >> 8) % 3 == 0; }

uint64_t tag_of(uint32_t thread, uint32_t seq) {
    return kMarker | uint64_t(thread) << kThreadShift | (is_wildcard(thread, seq) ? kWildcardClass : 0) | seq;
}
// The selector of a wildcard receive: marker, thread and class, any seq.
constexpr uint64_t kWildcardSelector = 0xFFull << 56 | 0xFFull << kThreadShift | kWildcardClass;

uint8_t pattern(int src_rank, uint32_t thread, uint32_t seq, size_t i) {
    return static_cast<uint8_t>(seq * 131 + thread * 7 + src_rank * 3 + i);
}

void fill(std::vector<uint8_t>& b, int src_rank, uint32_t thread, uint32_t seq) {
    std::memcpy(b.data(), &thread, 4);
    std::memcpy(b.data() + 4, &seq, 4);
    for (size_t i = 8; i < b.size(); ++i) b[i] = pattern(src_rank, thread, seq, i);
}

// One request of one thread. Slots live until every thread has finished:
// another thread's ipeek2 may still read `owner` through a request context.
struct Slot {
    int owner = -1;                 // thread index; never changes once set
    psm2_mq_req_t req = PSM2_MQ_REQINVALID;
    bool is_recv = false;
    bool done = false;
    uint32_t seq = 0;               // exact receives and sends
    std::vector<uint8_t> buf;
};

struct ThreadState {
    int index = 0;
    std::vector<Slot> slots;        // kPerRound * 2 per round
    std::vector<uint8_t> seen;      // seq -> times received
};

class Hammer {
public:
    explicit Hammer(Session& s) : s_(s), peer_rank_(1 - s.args.rank), rounds_(s.args.rounds) {}

    int run() {
        const int n = s_.args.threads;
        states_.resize(n);
        for (int t = 0; t < n; ++t) {
            states_[t].index = t;
            states_[t].slots.resize(size_t(rounds_) * kPerRound * 2);
            for (Slot& sl : states_[t].slots) sl.owner = t;
            states_[t].seen.assign(size_t(rounds_) * kPerRound, 0);
        }
        double t0 = now_s();
        std::vector<std::thread> threads;
        for (int t = 0; t < n; ++t) threads.emplace_back([this, t] { thread_main(states_[t]); });
        for (auto& th : threads) th.join();
        for (const ThreadState& st : states_)
            for (size_t seq = 0; seq < st.seen.size(); ++seq)
                if (st.seen[seq] != 1) fail("thread %d seq %zu received %d times", st.index, seq, st.seen[seq]);
        std::fprintf(stderr, "rank %d: %d threads x %u messages each way in %.2f s\n", s_.args.rank, n,
                     rounds_ * kPerRound, now_s() - t0);
        return failures();
    }

private:
    void thread_main(ThreadState& st) {
        const uint32_t t = static_cast<uint32_t>(st.index);
        for (int round = 0; round < rounds_; ++round) {
            Slot* slots = &st.slots[size_t(round) * kPerRound * 2];
            const uint32_t first = static_cast<uint32_t>(round) * kPerRound;
            for (uint32_t i = 0; i < kPerRound; ++i) post_recv(st, slots[i], t, first + i);
            for (uint32_t i = 0; i < kPerRound; ++i) post_send(slots[kPerRound + i], t, first + i);
            for (uint32_t i = 0; i < 2 * kPerRound; ++i) complete(st, slots[i]);
            for (uint32_t i = 0; i < 2 * kPerRound; ++i) std::vector<uint8_t>().swap(slots[i].buf);
        }
    }

    void post_recv(ThreadState&, Slot& sl, uint32_t t, uint32_t seq) {
        sl.is_recv = true;
        sl.seq = seq;
        const bool wild = is_wildcard(t, seq);
        sl.buf.assign(wild ? kMaxSize : size_of(t, seq), 0);
        const uint64_t tag = wild ? kMarker | uint64_t(t) << kThreadShift | kWildcardClass : tag_of(t, seq);
        const uint64_t sel = wild ? kWildcardSelector : ~0ull;
        THR_CHECK_OK(psm2_mq_irecv(s_.mq, tag, sel, 0, sl.buf.data(), static_cast<uint32_t>(sl.buf.size()), &sl,
                                   &sl.req));
    }

    void post_send(Slot& sl, uint32_t t, uint32_t seq) {
        sl.is_recv = false;
        sl.seq = seq;
        sl.buf.resize(size_of(t, seq));
        fill(sl.buf, s_.args.rank, t, seq);
        const uint32_t len = static_cast<uint32_t>(sl.buf.size());
        if (seq % 8 == 7) {
            // Blocking send: returns once the buffer may be reused.
            THR_CHECK_OK(psm2_mq_send(s_.mq, s_.peers[peer_rank_], 0, tag_of(t, seq), sl.buf.data(), len));
            sl.done = true;
            return;
        }
        THR_CHECK_OK(psm2_mq_isend(s_.mq, s_.peers[peer_rank_], 0, tag_of(t, seq), sl.buf.data(), len, &sl, &sl.req));
    }

    void complete(ThreadState& st, Slot& sl) {
        if (sl.done) return;   // a blocking send, or completed earlier through ipeek2
        switch ((sl.seq + static_cast<uint32_t>(st.index)) % 4) {
        case 0: {
            psm2_mq_status_t status;
            THR_CHECK_OK(psm2_mq_wait(&sl.req, &status));
            finished(st, sl, status.msg_tag, status.msg_length, status.nbytes, status.error_code, status.context);
            break;
        }
        case 1: {
            psm2_mq_status_t status;
            for (;;) {
                psm2_error_t e = psm2_mq_test(&sl.req, &status);
                if (e == PSM2_OK) break;
                if (e != PSM2_MQ_NO_COMPLETIONS) die("psm2_mq_test", e);
                psm2_poll(s_.ep);
                sched_yield();
            }
            finished(st, sl, status.msg_tag, status.msg_length, status.nbytes, status.error_code, status.context);
            break;
        }
        case 2: complete_by_peek(st, sl); break;
        default: {
            psm2_mq_status2_t status;
            THR_CHECK_OK(psm2_mq_wait2(&sl.req, &status));
            finished(st, sl, tag64(status.msg_tag), status.msg_length, status.nbytes, status.error_code,
                     status.context);
        }
        }
    }

    // ipeek2 shows the oldest completion of the MQ, whoever posted it. Ours
    // (by the context) we complete at once; someone else's we leave alone.
    void complete_by_peek(ThreadState& st, Slot& target) {
        while (!target.done) {
            psm2_mq_req_t peeked;
            psm2_mq_status2_t status;
            psm2_error_t e = psm2_mq_ipeek2(s_.mq, &peeked, &status);
            if (e == PSM2_OK) {
                auto* sl = static_cast<Slot*>(status.context);
                if (sl && sl->owner == st.index && !sl->done && sl->req == peeked) {
                    psm2_mq_status2_t again;
                    THR_CHECK_OK(psm2_mq_test2(&sl->req, &again));
                    if (again.msg_length != status.msg_length || again.nbytes != status.nbytes ||
                        again.context != status.context || tag64(again.msg_tag) != tag64(status.msg_tag))
                        fail("thread %d: ipeek2 and test2 disagree on seq %u", st.index, sl->seq);
                    finished(st, *sl, tag64(again.msg_tag), again.msg_length, again.nbytes, again.error_code,
                             again.context);
                    continue;
                }
            } else if (e != PSM2_MQ_NO_COMPLETIONS) {
                die("psm2_mq_ipeek2", e);
            }
            psm2_mq_status2_t status2;
            e = psm2_mq_test2(&target.req, &status2);
            if (e == PSM2_OK) {
                finished(st, target, tag64(status2.msg_tag), status2.msg_length, status2.nbytes, status2.error_code,
                         status2.context);
                return;
            }
            if (e != PSM2_MQ_NO_COMPLETIONS) die("psm2_mq_test2", e);
            psm2_poll(s_.ep);
            sched_yield();
        }
    }

    static uint64_t tag64(const psm2_mq_tag_t& t) { return uint64_t(t.tag1) << 32 | t.tag0; }

    void finished(ThreadState& st, Slot& sl, uint64_t tag, uint32_t msg_len, uint32_t nbytes, psm2_error_t err,
                  void* ctx) {
        if (sl.done) {
            fail("thread %d: seq %u completed twice", st.index, sl.seq);
            return;
        }
        sl.done = true;
        if (ctx != &sl) fail("thread %d: seq %u completed with a foreign context", st.index, sl.seq);
        if (err != PSM2_OK) fail("thread %d: seq %u completed with %s", st.index, sl.seq, psm2_error_get_string(err));
        if (!sl.is_recv) return;
        const uint32_t t = static_cast<uint32_t>(st.index);
        const uint32_t seq = static_cast<uint32_t>(tag & 0xffffffffu);
        if ((tag >> kThreadShift & 0xff) != t || (tag & 0xFFull << 56) != kMarker) {
            fail("thread %d: received tag %#llx of another thread", st.index, static_cast<unsigned long long>(tag));
            return;
        }
        if (seq >= st.seen.size()) {
            fail("thread %d: seq %u out of range", st.index, seq);
            return;
        }
        ++st.seen[seq];
        if (!(tag & kWildcardClass) && seq != sl.seq)
            fail("thread %d: exact receive for seq %u got seq %u", st.index, sl.seq, seq);
        const uint32_t want = size_of(t, seq);
        if (msg_len != want || nbytes != want) {
            fail("thread %d seq %u: %u/%u bytes, expected %u", st.index, seq, nbytes, msg_len, want);
            return;
        }
        uint32_t got_thread, got_seq;
        std::memcpy(&got_thread, sl.buf.data(), 4);
        std::memcpy(&got_seq, sl.buf.data() + 4, 4);
        if (got_thread != t || got_seq != seq) {
            fail("thread %d: payload says thread %u seq %u, tag says seq %u", st.index, got_thread, got_seq, seq);
            return;
        }
        for (size_t i = 8; i < want; ++i)
            if (sl.buf[i] != pattern(peer_rank_, t, seq, i)) {
                fail("thread %d seq %u: byte %zu of %u corrupted", st.index, seq, i, want);
                return;
            }
    }

    Session& s_;
    const int peer_rank_;
    const int rounds_;
    std::vector<ThreadState> states_;
};

}  // namespace

int run_hammer(Session& s) {
    if (s.args.size != 2) {
        fail("the hammer scenario runs with exactly 2 ranks");
        return 1;
    }
    Hammer h(s);
    return h.run();
}

}  // namespace thr
