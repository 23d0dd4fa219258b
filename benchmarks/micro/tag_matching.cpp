// Tag matching cost with 1..10^4 receives (or unexpected messages) waiting:
// exact tags and any-source receives go through the hash indexes and should
// stay flat; receives whose selector found no hash class fall back to the
// ordered wildcard list and grow linearly (the worst case, shown for scale).
//
// The engine is driven directly (hal::Sink upcalls and Engine::irecv), with
// no device and no API lock, so the numbers are the matching structures.
#include <benchmark/benchmark.h>

#include <vector>

#include "hal/device.h"
#include "mq/engine.h"
#include "mq/engine_impl.h"

namespace {

using psm::hal::Tag96;
using psm::mq::Engine;

constexpr uint32_t kAll = 0xffffffffu;

// One engine with one connected source and a conn to deliver from.
struct Bench {
    int ep_placeholder = 0;   // the engine only keeps the endpoint pointer
    Engine* engine;
    psm2_epaddr src;
    psm::hal::Conn conn;
    uint32_t payload = 0;
    std::vector<uint32_t> bufs;

    explicit Bench(size_t nbufs) : bufs(nbufs + 8) {
        engine = psm::mq::create_engine(reinterpret_cast<psm2_ep_t>(&ep_placeholder));
        src.ep = reinterpret_cast<psm2_ep_t>(&ep_placeholder);
        conn.peer_cookie = &src;
        psm::mq::peer_added(engine, &src);
    }
    ~Bench() {
        psm::mq::peer_removed(engine, &src);
        psm::mq::destroy_engine(engine);
    }
    void arrive(const Tag96& t) { engine->on_eager(conn, t, &payload, sizeof payload); }
    psm2_mq_req* post(psm2_epaddr_t from, const Tag96& t, const Tag96& sel, size_t slot) {
        psm2_mq_req* r = nullptr;
        engine->irecv(from, t, sel, &bufs[slot], 4, nullptr, &r);
        return r;
    }
    // Drop everything that completed (the benchmark does not look at it).
    void drain() {
        while (psm2_mq_req* r = engine->dequeue_completion()) engine->retire(r);
    }
};

// Which waiting entry the next message picks: pseudo-random, so that the
// wildcard list is not walked in FIFO order (which would always hit its head).
struct Picker {
    uint64_t x = 0x9E3779B97F4A7C15ull;
    size_t operator()(size_t n) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return static_cast<size_t>(x % n);
    }
};

void BM_PostedExact(benchmark::State& state) {
    const size_t n = static_cast<size_t>(state.range(0));
    Bench b(n);
    for (size_t k = 0; k < n; ++k) b.post(&b.src, Tag96{{uint32_t(k), 1, 2}}, Tag96{{kAll, kAll, kAll}}, k);
    Picker pick;
    for (auto _ : state) {
        size_t k = pick(n);
        b.arrive(Tag96{{uint32_t(k), 1, 2}});                                       // matches receive k
        b.post(&b.src, Tag96{{uint32_t(k), 1, 2}}, Tag96{{kAll, kAll, kAll}}, k);   // and replace it
        b.drain();
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_PostedAnySource(benchmark::State& state) {
    const size_t n = static_cast<size_t>(state.range(0));
    Bench b(n);
    const Tag96 sel{{kAll, 0, kAll}};   // MPI_ANY_SOURCE: the rank word is ignored
    for (size_t k = 0; k < n; ++k) b.post(nullptr, Tag96{{uint32_t(k), 0, 2}}, sel, k);
    Picker pick;
    for (auto _ : state) {
        size_t k = pick(n);
        b.arrive(Tag96{{uint32_t(k), 5, 2}});
        b.post(nullptr, Tag96{{uint32_t(k), 0, 2}}, sel, k);
        b.drain();
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_PostedWildcardList(benchmark::State& state) {
    const size_t n = static_cast<size_t>(state.range(0));
    Bench b(n);
    // Occupy every hash class with a receive that never matches, so the
    // measured receives (a fifth selector shape) live in the wildcard list.
    for (uint32_t c = 0; c < psm::mq::kMaskClasses; ++c)
        b.post(&b.src, Tag96{{kAll, kAll, 0xdead}}, Tag96{{kAll >> c, kAll, kAll}}, n + c);
    const Tag96 sel{{0xffff, kAll, kAll}};
    for (size_t k = 0; k < n; ++k) b.post(&b.src, Tag96{{uint32_t(k), 1, 2}}, sel, k);
    Picker pick;
    for (auto _ : state) {
        size_t k = pick(n);
        b.arrive(Tag96{{uint32_t(k), 1, 2}});
        b.post(&b.src, Tag96{{uint32_t(k), 1, 2}}, sel, k);
        b.drain();
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_UnexpectedExact(benchmark::State& state) {
    const size_t n = static_cast<size_t>(state.range(0));
    Bench b(n);
    for (size_t k = 0; k < n; ++k) b.arrive(Tag96{{uint32_t(k), 1, 2}});
    Picker pick;
    for (auto _ : state) {
        size_t k = pick(n);
        b.post(&b.src, Tag96{{uint32_t(k), 1, 2}}, Tag96{{kAll, kAll, kAll}}, 0);   // takes message k
        b.arrive(Tag96{{uint32_t(k), 1, 2}});                                       // and replace it
        b.drain();
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_UnexpectedAnySource(benchmark::State& state) {
    const size_t n = static_cast<size_t>(state.range(0));
    Bench b(n);
    for (size_t k = 0; k < n; ++k) b.arrive(Tag96{{uint32_t(k), 1, 2}});
    Picker pick;
    for (auto _ : state) {
        size_t k = pick(n);
        b.post(nullptr, Tag96{{uint32_t(k), 0, 2}}, Tag96{{kAll, 0, kAll}}, 0);
        b.arrive(Tag96{{uint32_t(k), 1, 2}});
        b.drain();
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_PostedExact)->RangeMultiplier(10)->Range(1, 10000);
BENCHMARK(BM_PostedAnySource)->RangeMultiplier(10)->Range(1, 10000);
BENCHMARK(BM_PostedWildcardList)->RangeMultiplier(10)->Range(1, 10000);
BENCHMARK(BM_UnexpectedExact)->RangeMultiplier(10)->Range(1, 10000);
BENCHMARK(BM_UnexpectedAnySource)->RangeMultiplier(10)->Range(1, 10000);

