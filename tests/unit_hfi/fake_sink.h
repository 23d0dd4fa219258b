// A Sink that records what a device hands up, for device-level tests.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "psm2_am.h"
#include "hal/device.h"

struct Received {
    psm::hal::Conn* from;
    psm::hal::Tag96 tag;
    std::vector<uint8_t> data;
};

struct FakeSink final : psm::hal::Sink {
    struct Rts {
        psm::hal::Conn* from;
        psm::hal::Tag96 tag;
        uint32_t len;
        psm::hal::RndvToken token;
    };
    std::vector<Received> eager;
    std::vector<Rts> rts;
    std::vector<std::pair<uint64_t, psm2_error_t>> pulls_done, sends_done;
    std::vector<Received> ams;
    std::vector<uint64_t> ams_done;
    std::vector<std::pair<psm::hal::Conn*, psm2_error_t>> lost;

    void on_eager(psm::hal::Conn& from, const psm::hal::Tag96& tag, const void* p, uint32_t len) override {
        auto* b = static_cast<const uint8_t*>(p);
        eager.push_back({&from, tag, std::vector<uint8_t>(b, b + len)});
    }
    void on_rts(psm::hal::Conn& from, const psm::hal::Tag96& tag, uint32_t len,
                const psm::hal::RndvToken& t) override {
        rts.push_back({&from, tag, len, t});
    }
    void on_pull_done(uint64_t c, psm2_error_t e) override { pulls_done.push_back({c, e}); }
    void on_send_done(uint64_t c, psm2_error_t e) override { sends_done.push_back({c, e}); }
    void on_am(psm::hal::Conn& from, const psm::hal::AmPacket& pkt) override {
        std::vector<uint8_t> d(pkt.nargs * 8 + pkt.len);
        if (pkt.nargs) std::memcpy(d.data(), pkt.args, pkt.nargs * 8);
        if (pkt.len) std::memcpy(d.data() + pkt.nargs * 8, pkt.payload, pkt.len);
        psm::hal::Tag96 t{{pkt.handler, pkt.nargs, pkt.is_reply}};
        ams.push_back({&from, t, d});
    }
    void on_am_done(uint64_t c) override { ams_done.push_back(c); }
    void on_peer_lost(psm::hal::Conn& peer, psm2_error_t e) override { lost.push_back({&peer, e}); }
};

inline psm::hal::Tag96 tag_of(uint32_t n) { return psm::hal::Tag96{{n, n ^ 0xabcdu, 0x5a5a0000u | (n & 0xffff)}}; }

inline std::vector<uint8_t> pattern(uint32_t seed, uint32_t len) {
    std::vector<uint8_t> v(len);
    uint32_t x = seed * 2654435761u + 1;
    for (auto& b : v) {
        x = x * 1103515245u + 12345u;
        b = uint8_t(x >> 16);
    }
    return v;
}
