// The progress thread's reason to exist: rank 1 posts a receive for a
// rendezvous-size message, then sleeps 2 s without calling PSM2 (a rank
// stuck in computation). Rank 0's blocking psm2_mq_send must complete long
// before rank 1 wakes when a progress thread serves rank 1 (--expect
// progress), and must not complete before it wakes without one (--expect
// stall: proves it is the thread that helps). Both ranks read one clock
// (CLOCK_MONOTONIC is system-wide), so the times compare directly.
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <string>
#include <vector>

#include "worker_session.h"

namespace thr {
namespace {

constexpr uint64_t kTag = 0x51EE'0000'0000'0001ull;
constexpr uint32_t kBytes = 1u << 20;   // rendezvous on shm and HFI
constexpr double kSleepS = 2.0;
// "Long before": the send must finish in the first half of the sleep.
constexpr double kProgressMarginS = 1.0;
// "Not before it wakes": allow for the two processes' wake-up skew.
constexpr double kStallSlackS = 0.05;

uint8_t pattern(size_t i) { return static_cast<uint8_t>(i * 29 + 5); }

void sleep_until(double t) {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(t);
    ts.tv_nsec = static_cast<long>((t - std::floor(t)) * 1e9);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

std::string wake_file(const Session& s) { return s.args.dir + "/sleepy.wake"; }

void receiver(Session& s) {
    std::vector<uint8_t> buf(kBytes, 0);
    psm2_mq_req_t req;
    THR_CHECK_OK(psm2_mq_irecv(s.mq, kTag, ~0ull, 0, buf.data(), kBytes, nullptr, &req));
    const double wake = now_s() + kSleepS;
    {
        std::string tmp = wake_file(s) + ".tmp";
        std::ofstream(tmp) << std::setprecision(17) << wake << "\n";
        if (std::rename(tmp.c_str(), wake_file(s).c_str()) != 0) fail("cannot publish the wake time");
    }
    sleep_until(wake);   // no PSM2 call in here
    psm2_mq_status_t st;
    THR_CHECK_OK(psm2_mq_wait(&req, &st));
    if (st.msg_length != kBytes || st.nbytes != kBytes || st.error_code != PSM2_OK)
        fail("received %u of %u bytes (%s)", st.nbytes, st.msg_length, psm2_error_get_string(st.error_code));
    for (size_t i = 0; i < kBytes; ++i)
        if (buf[i] != pattern(i)) {
            fail("byte %zu corrupted", i);
            break;
        }
}

void sender(Session& s) {
    double wake = 0;
    const double give_up = now_s() + 30;
    while (!(std::ifstream(wake_file(s)) >> wake)) {
        if (now_s() > give_up) {
            fail("the receiver never published its wake time");
            return;
        }
        usleep(1000);
    }
    std::vector<uint8_t> buf(kBytes);
    for (size_t i = 0; i < kBytes; ++i) buf[i] = pattern(i);
    const double start = now_s();
    THR_CHECK_OK(psm2_mq_send(s.mq, s.peers[1], 0, kTag, buf.data(), kBytes));
    const double done = now_s();
    std::fprintf(stderr, "rank 0: send started %.3f s and finished %.3f s before the receiver woke\n", wake - start,
                 wake - done);
    if (s.args.expect == "progress" && done > wake - kProgressMarginS)
        fail("send finished only %.3f s before the receiver woke: no background progress", wake - done);
    if (s.args.expect == "stall" && done < wake - kStallSlackS)
        fail("send finished %.3f s before the receiver woke, though nothing should progress it", wake - done);
}

}  // namespace

int run_sleepy(Session& s) {
    if (s.args.size != 2 || (s.args.expect != "progress" && s.args.expect != "stall")) {
        fail("sleepy: 2 ranks and --expect progress|stall");
        return 1;
    }
    if (s.args.rank == 1) receiver(s);
    else sender(s);
    return failures();
}

}  // namespace thr
