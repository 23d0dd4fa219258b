// Google Benchmark of the shm ring alone (no device, no engine): the cost of
// one enqueue + dequeue per message size, a two-thread ping-pong (one-way
// latency is half the reported time), and two-thread streaming throughput.
#include <benchmark/benchmark.h>

#include <sched.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "hal/shm/segment_layout.h"

using namespace psm::hal::shm;

namespace {

// Spin, but let the other thread run on an oversubscribed machine.
inline void relax(unsigned& spins) {
    if (++spins % 256 == 0) sched_yield();
}

struct Ring {
    Ring() : lines(kRingLines), shared{} {}
    std::vector<Line> lines;
    RingShared shared;
    RingProducer producer() { return RingProducer(lines.data(), kRingLines, &shared, 0); }
    RingConsumer consumer() { return RingConsumer(lines.data(), kRingLines, &shared, kPublishBatch); }
};

inline bool put(RingProducer& p, const void* data, uint32_t len) {
    uint32_t n = lines_for(len);
    MsgHeader* h = p.reserve(n);
    if (!h) return false;
    h->kind = Kind::Eager;
    h->len = len;
    std::memcpy(payload_of(h), data, len);
    p.publish(h, n);
    return true;
}

void BM_EnqueueDequeue(benchmark::State& st) {
    Ring r;
    auto p = r.producer();
    auto c = r.consumer();
    std::vector<unsigned char> msg(st.range(0), 1);
    uint64_t sum = 0;
    for (auto _ : st) {
        put(p, msg.data(), static_cast<uint32_t>(msg.size()));
        const MsgHeader* h = c.peek();
        sum += payload_of(h)[0];
        c.release(h);
    }
    benchmark::DoNotOptimize(sum);
    st.SetBytesProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_EnqueueDequeue)->Arg(8)->Arg(64)->Arg(1024)->Arg(8192)->Arg(15999);

// Round trip between two threads over two rings.
void BM_PingPong(benchmark::State& st) {
    Ring ab, ba;
    std::atomic<bool> stop{false};
    uint32_t len = static_cast<uint32_t>(st.range(0));
    std::thread echo([&] {
        auto in = ab.consumer();
        auto out = ba.producer();
        unsigned spins = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            const MsgHeader* h = in.peek();
            if (!h) {
                relax(spins);
                continue;
            }
            while (!put(out, payload_of(h), h->len)) relax(spins);
            in.release(h);
        }
    });
    auto out = ab.producer();
    auto in = ba.consumer();
    std::vector<unsigned char> msg(len, 7);
    unsigned spins = 0;
    for (auto _ : st) {
        while (!put(out, msg.data(), len)) relax(spins);
        const MsgHeader* h;
        while (!(h = in.peek())) relax(spins);
        in.release(h);
    }
    stop = true;
    echo.join();
}
BENCHMARK(BM_PingPong)->Arg(8)->Arg(1024)->UseRealTime();

// One thread streams, the other drains: messages per second.
void BM_Stream(benchmark::State& st) {
    Ring r;
    std::atomic<bool> stop{false};
    uint32_t len = static_cast<uint32_t>(st.range(0));
    std::thread drain([&] {
        auto c = r.consumer();
        unsigned spins = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            if (const MsgHeader* h = c.peek()) c.release(h);
            else relax(spins);
        }
    });
    auto p = r.producer();
    std::vector<unsigned char> msg(len, 3);
    unsigned spins = 0;
    for (auto _ : st) {
        while (!put(p, msg.data(), len)) relax(spins);
    }
    stop = true;
    drain.join();
    st.SetItemsProcessed(st.iterations());
    st.SetBytesProcessed(st.iterations() * len);
}
BENCHMARK(BM_Stream)->Arg(8)->Arg(4096)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
