// Not a test: CPU cost of the HFI path, two devices driven by one thread
// (so scheduling noise stays out). Prints ns per one-way message and MB/s.
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <atomic>

#include "fake_sink.h"
#include "hal/ips/ips_device.h"
#include "hal/sim/fabric.h"

using namespace psm::hal;

int main(int argc, char** argv) {
    std::string fab = "bench" + std::to_string(getpid());
    setenv("PSM2_SIM", fab.c_str(), 1);
    if (argc > 1) setenv("PSM2_SIM_GEN", argv[1], 1);
    FakeSink sa, sb;
    OpenParams pa, pb;
    pa.sink = &sa;
    pb.sink = &sb;
    std::unique_ptr<Device> a, b;
    ips::open_hfi_device(pa, &a);
    ips::open_hfi_device(pb, &b);
    std::atomic<bool> stop{false};
    std::thread t([&] { while (!stop) b->progress(); });
    Conn* ab = nullptr;
    a->connect(b->local_epid(), 0, &ab);
    stop = true;
    t.join();
    Conn* ba = nullptr;
    b->connect(a->local_epid(), 0, &ba);
    uint32_t max_size = argc > 2 ? uint32_t(std::strtoul(argv[2], nullptr, 10)) : UINT32_MAX;
    for (uint32_t size : {8u, 64u, 1024u, 8192u, 32768u}) {
        if (size > max_size) break;
        std::vector<uint8_t> buf(size, 1);
        const int iters = size > 4096 ? 5000 : 50000;
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < iters; ++i) {
            a->send_eager(*ab, tag_of(i), buf.data(), size);
            while (sb.eager.empty()) { b->progress(); a->progress(); }
            sb.eager.clear();
            b->send_eager(*ba, tag_of(i), buf.data(), size);
            while (sa.eager.empty()) { a->progress(); b->progress(); }
            sa.eager.clear();
        }
        double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / iters / 2;
        std::printf("eager %6u B: %8.0f ns one-way (single thread, both ends)\n", size, ns);
    }
    for (uint32_t size : {1u << 20, 8u << 20}) {
        if (size > max_size) break;
        std::vector<uint8_t> src(size, 2), dst(size);
        const int iters = 20;
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < iters; ++i) {
            a->send_rts(*ab, tag_of(i), src.data(), size, i);
            while (sb.rts.empty()) { b->progress(); a->progress(); }
            b->pull(*ba, sb.rts[0].token, dst.data(), size, i);
            sb.rts.clear();
            while (sa.sends_done.empty() || sb.pulls_done.empty()) { a->progress(); b->progress(); }
            sa.sends_done.clear();
            sb.pulls_done.clear();
        }
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("rndv %8u B: %8.0f MB/s (single thread)\n", size, double(size) * iters / s / 1e6);
    }
    a.reset();
    b.reset();
    sim::Fabric::remove(fab);
}
