// The peer timeout of the reliable protocol: how PSM2_PEER_TIMEOUT is read,
// and that a silent peer's stall keeps growing across retransmissions (the
// retransmit timer is re-armed at each timeout; the stall clock must not be).
#include <gtest/gtest.h>
#include <stdlib.h>

#include "hal/hfi/context.h"
#include "hal/ips/flow.h"
#include "hal/ips/ips_device_impl.h"

using namespace psm::hal;

namespace {

constexpr uint64_t kSec = 1'000'000'000;

ips::Settings settings() {
    hfi::ContextInfo info;
    info.mtu = 8192;
    info.tid_max_bytes = 2u << 20;
    return ips::settings_from_env(info);
}

}  // namespace

TEST(PeerTimeout, DefaultIsThirtySecondsWhenUnset) {
    unsetenv("PSM2_PEER_TIMEOUT");
    EXPECT_EQ(settings().peer_timeout_ns, 30 * kSec);
}

TEST(PeerTimeout, VariableSetsSeconds) {
    setenv("PSM2_PEER_TIMEOUT", "3", 1);
    EXPECT_EQ(settings().peer_timeout_ns, 3 * kSec);
    setenv("PSM2_PEER_TIMEOUT", "0", 1);   // wait forever, like the original
    EXPECT_EQ(settings().peer_timeout_ns, 0u);
    setenv("PSM2_PEER_TIMEOUT", "-5", 1);  // nonsense keeps the default
    EXPECT_EQ(settings().peer_timeout_ns, 30 * kSec);
    unsetenv("PSM2_PEER_TIMEOUT");
}

TEST(PeerTimeout, StallGrowsAcrossRetransmissions) {
    ips::SendSeq s(8);
    s.assign();
    s.mark_sent(0);
    uint64_t ms = 1'000'000;
    uint64_t now = 0;
    for (int i = 0; i < 20; ++i) {
        now += 700 * ms;   // beyond the largest retransmit timeout
        EXPECT_TRUE(s.check_timeout(now));
        s.mark_sent(now);  // the go-back resend
    }
    EXPECT_EQ(s.stalled_for(now), now);   // 14 s without any ack
    EXPECT_EQ(s.on_ack(1, now), 1u);
    EXPECT_EQ(s.stalled_for(now), 0u);    // nothing in flight
    s.assign();
    s.mark_sent(now + 5 * ms);
    EXPECT_EQ(s.stalled_for(now + 7 * ms), 2 * ms);
}

// The device reads the clock once per receive batch and may then look at a
// flow whose last transmission came later: that is no stall and no timeout.
TEST(PeerTimeout, ClockOlderThanTheLastSendIsNoStall) {
    ips::SendSeq s(8);
    s.assign();
    s.mark_sent(1000);
    EXPECT_EQ(s.stalled_for(999), 0u);
    EXPECT_FALSE(s.check_timeout(999));
    EXPECT_EQ(s.consecutive_timeouts(), 0u);
}
