// Sequence / ack / window / retransmit logic of the reliable protocol, driven
// by a fake clock (plain nanosecond numbers).
#include <gtest/gtest.h>

#include "hal/ips/flow.h"

using namespace psm::hal::ips;

namespace {
constexpr uint64_t kMs = 1'000'000;
}

TEST(PsnDiff, WrapsAt31Bits) {
    EXPECT_EQ(psn_diff(5, 3), 2);
    EXPECT_EQ(psn_diff(3, 5), -2);
    EXPECT_EQ(psn_diff(1, kPsnMask), 2);
    EXPECT_EQ(psn_diff(kPsnMask, 1), -2);
}

TEST(SendSeq, WindowLimitsPacketsInFlight) {
    SendSeq s(4);
    for (int i = 0; i < 10; ++i) s.assign();
    int sent = 0;
    while (s.can_send()) {
        s.mark_sent(0);
        ++sent;
    }
    EXPECT_EQ(sent, 4);
    EXPECT_EQ(s.on_ack(2, 1 * kMs), 2u);   // peer expects PSN 2: 0 and 1 are done
    EXPECT_EQ(s.oldest_unacked(), 2u);
    EXPECT_TRUE(s.can_send());
    s.mark_sent(1 * kMs);
    s.mark_sent(1 * kMs);
    EXPECT_FALSE(s.can_send());
}

TEST(SendSeq, IgnoresOldAndImpossibleAcks) {
    SendSeq s(8);
    for (int i = 0; i < 4; ++i) s.assign();
    s.mark_sent(0);
    s.mark_sent(0);
    EXPECT_EQ(s.on_ack(3, 0), 0u);   // PSN 2 never went out
    EXPECT_EQ(s.on_ack(2, 0), 2u);
    EXPECT_EQ(s.on_ack(1, 0), 0u);   // old
    EXPECT_EQ(s.oldest_unacked(), 2u);
}

TEST(SendSeq, TimeoutGoesBackAndBacksOff) {
    SendSeq s(8, RetransmitTimer{160 * kMs, 640 * kMs, 2});
    for (int i = 0; i < 3; ++i) {
        s.assign();
        s.mark_sent(0);
    }
    EXPECT_FALSE(s.check_timeout(159 * kMs));
    EXPECT_TRUE(s.check_timeout(160 * kMs));
    EXPECT_EQ(s.sent(), 0u);               // resend everything in flight
    EXPECT_EQ(s.current_rto(), 320 * kMs);
    EXPECT_FALSE(s.check_timeout(400 * kMs));
    EXPECT_TRUE(s.check_timeout(480 * kMs));
    EXPECT_EQ(s.current_rto(), 640 * kMs);
    EXPECT_TRUE(s.check_timeout(1120 * kMs));
    EXPECT_EQ(s.current_rto(), 640 * kMs);   // capped
    EXPECT_EQ(s.consecutive_timeouts(), 3u);
    // A late ack of packets sent before the go-back still counts, and resets the timer.
    EXPECT_EQ(s.on_ack(2, 1200 * kMs), 2u);
    EXPECT_EQ(s.current_rto(), 160 * kMs);
    EXPECT_EQ(s.consecutive_timeouts(), 0u);
}

TEST(SendSeq, NakAcksBeforeTheGapAndResendsFromIt) {
    SendSeq s(8);
    for (int i = 0; i < 5; ++i) {
        s.assign();
        s.mark_sent(0);
    }
    EXPECT_EQ(s.on_nak(3, 0), 3u);
    EXPECT_EQ(s.oldest_unacked(), 3u);
    EXPECT_EQ(s.sent(), 0u);
    EXPECT_TRUE(s.can_send());
}

TEST(SendSeq, NoTimeoutWhenNothingInFlight) {
    SendSeq s(8);
    EXPECT_FALSE(s.check_timeout(10'000 * kMs));
    s.assign();   // queued, not sent
    EXPECT_FALSE(s.check_timeout(10'000 * kMs));
}

TEST(RecvSeq, AcceptsInOrderReportsGapsReacksDuplicates) {
    RecvSeq r;
    EXPECT_EQ(r.on_packet(0), RecvSeq::kAccept);
    EXPECT_EQ(r.on_packet(1), RecvSeq::kAccept);
    EXPECT_TRUE(r.ack_due());
    r.ack_sent();
    EXPECT_FALSE(r.ack_due());
    EXPECT_EQ(r.on_packet(3), RecvSeq::kGap);
    EXPECT_EQ(r.on_packet(4), RecvSeq::kGap);
    EXPECT_EQ(r.expected(), 2u);           // a gap does not move the window
    EXPECT_EQ(r.on_packet(2), RecvSeq::kAccept);
    EXPECT_EQ(r.on_packet(3), RecvSeq::kAccept);
    EXPECT_EQ(r.on_packet(1), RecvSeq::kDuplicate);
    EXPECT_TRUE(r.ack_due());
    EXPECT_EQ(r.expected(), 4u);
}

TEST(Flow, LossyLinkDeliversEverythingOnceInOrder) {
    // Sender and receiver joined by a link that drops every 7th packet and
    // every 5th ack; the clock advances 10 ms a round.
    SendSeq s(8);
    RecvSeq r;
    const uint32_t total = 200;
    uint32_t delivered = 0, link = 0, acks = 0;
    bool nak_open = false;   // one NAK per gap
    uint64_t now = 0;
    for (uint32_t i = 0; i < total; ++i) s.assign();
    for (int round = 0; round < 10000 && delivered < total; ++round, now += 10 * kMs) {
        s.check_timeout(now);
        while (s.can_send()) {
            uint32_t psn = (s.oldest_unacked() + s.sent()) & kPsnMask;
            s.mark_sent(now);
            if (++link % 7 == 0) continue;   // lost
            auto v = r.on_packet(psn);
            if (v == RecvSeq::kAccept) {
                EXPECT_EQ(psn, delivered);
                ++delivered;
                nak_open = false;
            } else if (v == RecvSeq::kGap && !nak_open) {
                nak_open = true;
                s.on_nak(r.expected(), now);
            }
        }
        if (r.ack_due()) {
            r.ack_sent();
            if (++acks % 5 != 0) s.on_ack(r.expected(), now);
        }
    }
    EXPECT_EQ(delivered, total);
}

TEST(RecvSeq, AcksWaitForDataGoingBackButNotLong) {
    RecvSeq r;
    const uint64_t us = 1000;
    EXPECT_FALSE(r.ack_urgent(0, 4, 20 * us));         // nothing to ack
    EXPECT_EQ(r.on_packet(0, 100 * us), RecvSeq::kAccept);
    EXPECT_TRUE(r.ack_due());
    EXPECT_FALSE(r.ack_urgent(110 * us, 4, 20 * us));  // may still ride on a reply
    EXPECT_TRUE(r.ack_urgent(120 * us, 4, 20 * us));   // waited long enough
    r.ack_sent();
    for (uint32_t p = 1; p <= 4; ++p) r.on_packet(p, 200 * us);
    EXPECT_TRUE(r.ack_urgent(200 * us, 4, 20 * us));   // a batch is waiting
    r.ack_sent();
    EXPECT_EQ(r.on_packet(2, 201 * us), RecvSeq::kDuplicate);
    EXPECT_TRUE(r.ack_urgent(201 * us, 4, 20 * us));   // re-ack at once
}
