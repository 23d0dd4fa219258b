// An in-process hal::Device for engine tests: what one FakeDevice sends lands
// in the inbox of the FakeDevice at the other end of the connection and is
// handed to that side's Sink on its next progress(). It can refuse sends
// (PSM2_EP_NO_RESOURCES) on demand, and does rendezvous by memcpy from the
// sender's buffer, reporting pull-done and send-done like a real device.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "hal/device.h"
#include "psm2_am.h"

namespace mqtest {

using psm::hal::Tag96;

class FakeDevice;

struct FakeConn : psm::hal::Conn {
    FakeDevice* remote = nullptr;     // device at the other end
    FakeConn* remote_conn = nullptr;  // the conn the other side sees our messages on
};

class FakeDevice final : public psm::hal::Device {
public:
    explicit FakeDevice(std::string name = "fake", uint32_t rndv_threshold = 4096)
        : name_(std::move(name)), threshold_(rndv_threshold) {}

    void set_sink(psm::hal::Sink* s) { sink_ = s; }

    // Knobs.
    int refuse_sends = 0;    // the next N send_eager/send_rts calls return NO_RESOURCES
    int refuse_pulls = 0;    // the next N pull calls return NO_RESOURCES
    bool drop_send_done = false;   // never report on_send_done (peer "vanished")
    uint32_t am_max_nargs = 8;
    uint32_t am_max_short = 1024;

    // Counters.
    int eager_sent = 0, rts_sent = 0, pulls = 0, am_sent = 0;
    int set_threshold_calls = 0;

    std::string_view name() const override { return name_; }
    bool reaches(psm2_epid_t) const override { return true; }
    psm2_error_t connect(psm2_epid_t, int64_t, psm::hal::Conn**) override { return PSM2_EPID_UNREACHABLE; }
    void disconnect(psm::hal::Conn*) override {}

    psm2_error_t send_eager(psm::hal::Conn& c, const Tag96& tag, const void* buf, uint32_t len) override;
    psm2_error_t send_rts(psm::hal::Conn& c, const Tag96& tag, const void* buf, uint32_t len,
                          uint64_t send_cookie) override;
    psm2_error_t pull(psm::hal::Conn& c, const psm::hal::RndvToken& token, void* dst, uint32_t len,
                      uint64_t recv_cookie) override;
    psm2_error_t send_am(psm::hal::Conn& c, const psm::hal::AmPacket& pkt) override;
    int progress() override;

    psm::hal::Limits limits() const override {
        psm::hal::Limits l;
        l.rndv_threshold = threshold_;
        l.am_max_nargs = am_max_nargs;
        l.am_max_request_short = am_max_short;
        l.am_max_reply_short = am_max_short;
        return l;
    }
    void set_rndv_threshold(uint32_t bytes) override {
        threshold_ = bytes;
        ++set_threshold_calls;
    }

    size_t inbox_size() const { return inbox_.size(); }

private:
    enum class Kind { Eager, Rts, PullDone, SendDone, Am, AmDone };
    struct Packet {
        Kind kind;
        FakeConn* from = nullptr;
        Tag96 tag{};
        std::vector<uint8_t> data;
        uint32_t len = 0;
        psm::hal::RndvToken token{};
        uint64_t cookie = 0;
        psm2_error_t err = PSM2_OK;
        // AM
        uint32_t handler = 0, flags = 0;
        bool is_reply = false;
        std::vector<psm2_amarg_t> args;
    };
    void deliver(Packet& p);

    std::string name_;
    uint32_t threshold_;
    psm::hal::Sink* sink_ = nullptr;
    std::deque<Packet> inbox_;
};

}  // namespace mqtest
