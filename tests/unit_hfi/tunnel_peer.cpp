// One side of the cross-host test (test_tunnel.cpp runs one in each network
// namespace). "server EPIDFILE": opens the HFI device, publishes its epid,
// echoes every eager message back and answers a rendezvous with its
// checksum, until the tag 0xFFFF arrives. "client EPIDFILE": connects,
// sends messages of mixed sizes and one rendezvous, checks the echoes.
// Exit status 0 = success.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>

#include "fake_sink.h"
#include "hal/ips/ips_device.h"

using namespace psm::hal;

namespace {

constexpr uint32_t kBye = 0xffff;
constexpr uint32_t kMessages = 200;

uint64_t checksum(const std::vector<uint8_t>& v) {
    uint64_t h = 1469598103934665603ull;
    for (uint8_t b : v) h = (h ^ b) * 1099511628211ull;
    return h;
}

int server(const char* file, Device& dev, FakeSink& sink) {
    psm2_epid_t e = dev.local_epid();
    {
        std::ofstream f(std::string(file) + ".tmp");
        f << e << "\n";
    }
    std::rename((std::string(file) + ".tmp").c_str(), file);
    size_t echoed = 0, pulled = 0;
    std::vector<std::vector<uint8_t>> dst;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < end) {
        dev.progress();
        while (echoed < sink.eager.size()) {
            auto& m = sink.eager[echoed];
            if (m.tag.w[0] == kBye) {
                for (int i = 0; i < 1000; ++i) dev.progress();   // let the acks out
                return 0;
            }
            if (dev.send_eager(*m.from, m.tag, m.data.data(), uint32_t(m.data.size())) != PSM2_OK) break;
            ++echoed;
        }
        while (pulled < sink.rts.size()) {
            auto& r = sink.rts[pulled];
            dst.emplace_back(r.len);
            dev.pull(*r.from, r.token, dst.back().data(), r.len, pulled);
            ++pulled;
        }
        for (auto& d : sink.pulls_done) {
            uint64_t sum = checksum(dst[d.first]);
            Conn* from = sink.rts[d.first].from;
            while (dev.send_eager(*from, tag_of(0x10000), &sum, sizeof sum) == PSM2_EP_NO_RESOURCES)
                dev.progress();
        }
        sink.pulls_done.clear();
    }
    std::fprintf(stderr, "server: timed out\n");
    return 1;
}

int client(const char* file, Device& dev, FakeSink& sink) {
    psm2_epid_t peer = 0;
    for (int i = 0; i < 600 && !peer; ++i) {
        std::ifstream f(file);
        f >> peer;
        if (!peer) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!peer) return 2;
    Conn* c = nullptr;
    if (psm2_error_t err = dev.connect(peer, 20'000'000'000, &c)) {
        std::fprintf(stderr, "client: connect: %d\n", err);
        return 3;
    }
    for (uint32_t i = 0; i < kMessages; ++i) {
        auto d = pattern(i, i * 97 % 20000);
        while (dev.send_eager(*c, tag_of(i), d.data(), uint32_t(d.size())) == PSM2_EP_NO_RESOURCES)
            dev.progress();
    }
    auto big = pattern(999, 3u << 20);
    dev.send_rts(*c, tag_of(0x20000), big.data(), uint32_t(big.size()), 5);
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (sink.eager.size() < kMessages + 1 || sink.sends_done.empty()) {
        if (std::chrono::steady_clock::now() > end) {
            std::fprintf(stderr, "client: timed out with %zu echoes\n", sink.eager.size());
            return 4;
        }
        dev.progress();
    }
    int bad = 0;
    for (uint32_t i = 0; i < kMessages; ++i)
        if (sink.eager[i].tag.w[0] != i || sink.eager[i].data != pattern(i, i * 97 % 20000)) ++bad;
    uint64_t sum = 0;
    std::memcpy(&sum, sink.eager[kMessages].data.data(), sizeof sum);
    if (sum != checksum(big)) ++bad;
    if (sink.sends_done[0].second != PSM2_OK) ++bad;
    dev.send_eager(*c, tag_of(kBye), nullptr, 0);
    for (int i = 0; i < 200000 && !sink.lost.size(); ++i) dev.progress();
    if (bad) std::fprintf(stderr, "client: %d bad echoes\n", bad);
    return bad ? 5 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) return 64;
    alarm(90);
    FakeSink sink;
    OpenParams p;
    p.sink = &sink;
    std::memset(p.uuid, 3, sizeof p.uuid);
    std::unique_ptr<Device> dev;
    if (psm2_error_t err = ips::open_hfi_device(p, &dev)) {
        std::fprintf(stderr, "%s: open_hfi_device: %d\n", argv[1], err);
        return 6;
    }
    return std::strcmp(argv[1], "server") == 0 ? server(argv[2], *dev, sink) : client(argv[2], *dev, sink);
}
