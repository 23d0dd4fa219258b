// A Sink that records every upcall, for driving shm devices without an engine.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "psm2_am.h"   // psm2_amarg_t, used by hal/device.h
#include "hal/device.h"
#include "hal/shm/shm_device.h"

namespace shmtest {

using psm::hal::AmPacket;
using psm::hal::Conn;
using psm::hal::RndvToken;
using psm::hal::Tag96;

struct EagerEvent { Conn* from; Tag96 tag; std::vector<unsigned char> data; };
struct RtsEvent { Conn* from; Tag96 tag; uint32_t len; RndvToken token; };
struct AmEvent {
    Conn* from; uint32_t handler; std::vector<psm2_amarg_t> args;
    std::vector<unsigned char> data; uint32_t flags; bool is_reply; uint64_t completion;
};

class FakeSink final : public psm::hal::Sink {
public:
    std::vector<EagerEvent> eager;
    std::vector<RtsEvent> rts;
    std::vector<std::pair<uint64_t, psm2_error_t>> pulls, sends;
    std::vector<AmEvent> am;
    std::vector<uint64_t> am_done;
    std::vector<std::pair<Conn*, psm2_error_t>> lost;
    std::function<void(const RtsEvent&)> rts_hook;   // e.g. pull from inside the upcall
    std::string order;   // 'E' eager, 'R' rts, 'A' am, in arrival order

    void on_eager(Conn& from, const Tag96& tag, const void* p, uint32_t len) override {
        auto* b = static_cast<const unsigned char*>(p);
        eager.push_back({&from, tag, std::vector<unsigned char>(b, b + len)});
        order += 'E';
    }
    void on_rts(Conn& from, const Tag96& tag, uint32_t len, const RndvToken& t) override {
        rts.push_back({&from, tag, len, t});
        order += 'R';
        if (rts_hook) rts_hook(rts.back());
    }
    void on_pull_done(uint64_t cookie, psm2_error_t err) override { pulls.push_back({cookie, err}); }
    void on_send_done(uint64_t cookie, psm2_error_t err) override { sends.push_back({cookie, err}); }
    void on_am(Conn& from, const AmPacket& p) override {
        auto* b = static_cast<const unsigned char*>(p.payload);
        am.push_back({&from, p.handler, std::vector<psm2_amarg_t>(p.args, p.args + p.nargs),
                      std::vector<unsigned char>(b, b + p.len), p.flags, p.is_reply, p.completion});
        order += 'A';
    }
    void on_am_done(uint64_t c) override { am_done.push_back(c); }
    void on_peer_lost(Conn& peer, psm2_error_t err) override { lost.push_back({&peer, err}); }
};

// Shm-only epid the way psm/ builds it: pid[63:32] | ep index[15:8] | shm bit 3 | version 2.
inline psm2_epid_t shm_epid(uint32_t pid, uint32_t index) {
    return (uint64_t{pid} << 32) | (uint64_t{index} << 8) | (1u << 3) | 2u;
}

inline void fill_uuid(psm2_uuid_t u, unsigned char seed) {
    for (int i = 0; i < 16; ++i) u[i] = static_cast<unsigned char>(seed * 31 + i);
}

struct Endpoint {
    FakeSink sink;
    std::unique_ptr<psm::hal::Device> dev;
    psm2_epid_t epid = 0;
};

// Opens a device for endpoint `index` of this process under job `seed`.
inline psm2_error_t open_endpoint(Endpoint& e, uint32_t index, unsigned char seed = 1) {
    psm::hal::OpenParams p;
    p.sink = &e.sink;
    fill_uuid(p.uuid, seed);
    p.ep_index = index;
    p.epid = e.epid = shm_epid(static_cast<uint32_t>(getpid()), index);
    return psm::hal::open_shm_device(p, &e.dev);
}

// Progress both devices until pred() holds or 5 s pass.
template <class Pred>
bool poll_until(psm::hal::Device& a, psm::hal::Device* b, Pred pred) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred()) {
        a.progress();
        if (b) b->progress();
        if (std::chrono::steady_clock::now() > end) return false;
    }
    return true;
}

inline std::vector<unsigned char> pattern(size_t n, unsigned seed) {
    std::vector<unsigned char> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>((i * 7 + seed * 13 + (i >> 8)) & 0xff);
    return v;
}

inline bool shm_file_exists(const std::string& shm_name) {
    return access(("/dev/shm" + shm_name).c_str(), F_OK) == 0;
}

}  // namespace shmtest
