// Per-message cost of the MQ API path (lock, handle checks, matching, copy,
// completion) with a device that delivers inside send_eager, so no transport
// time is included: the engine's share of a message's latency.
#include <benchmark/benchmark.h>

#include <cstring>

#include "hal/device.h"
#include "mq/engine.h"
#include "mq/engine_impl.h"
#include "psm2.h"
#include "psm2_mq.h"

namespace {

using psm::hal::Tag96;

// Loopback: what is sent arrives at the same engine at once.
class Loopback final : public psm::hal::Device {
public:
    psm::hal::Sink* sink = nullptr;
    std::string_view name() const override { return "bench-loopback"; }
    bool reaches(psm2_epid_t) const override { return true; }
    psm2_error_t connect(psm2_epid_t, int64_t, psm::hal::Conn**) override { return PSM2_EPID_UNREACHABLE; }
    void disconnect(psm::hal::Conn*) override {}
    psm2_error_t send_eager(psm::hal::Conn& c, const Tag96& tag, const void* buf, uint32_t len) override {
        sink->on_eager(c, tag, buf, len);
        return PSM2_OK;
    }
    psm2_error_t send_rts(psm::hal::Conn&, const Tag96&, const void*, uint32_t, uint64_t) override {
        return PSM2_INTERNAL_ERR;
    }
    psm2_error_t pull(psm::hal::Conn&, const psm::hal::RndvToken&, void*, uint32_t, uint64_t) override {
        return PSM2_INTERNAL_ERR;
    }
    // The engine's own control messages (eager credit returns) loop back too.
    psm2_error_t send_am(psm::hal::Conn& c, const psm::hal::AmPacket& pkt) override {
        sink->on_am(c, pkt);
        return PSM2_OK;
    }
    int progress() override { return 0; }
    psm::hal::Limits limits() const override { return psm::hal::Limits{1u << 30, 8, 0, 0}; }
    void set_rndv_threshold(uint32_t) override {}
};

struct Setup {
    int ep_placeholder = 0;
    Loopback dev;
    psm::mq::Engine* engine;
    psm2_epaddr self;
    psm::hal::Conn conn;
    psm2_mq_t mq;

    Setup() {
        static bool initialized = [] {
            int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
            return psm2_init(&major, &minor) == PSM2_OK;
        }();
        (void)initialized;
        auto ep = reinterpret_cast<psm2_ep_t>(&ep_placeholder);
        engine = psm::mq::create_engine(ep);
        dev.sink = psm::mq::sink_of(engine);
        psm::mq::attach_device(engine, &dev);
        self.ep = ep;
        self.dev = &dev;
        self.conn = &conn;
        conn.peer_cookie = &self;
        psm::mq::peer_added(engine, &self);
        mq = psm::mq::as_mq(engine);
    }
    ~Setup() {
        psm::mq::peer_removed(engine, &self);
        psm::mq::destroy_engine(engine);
    }
};

void BM_PostedRecvBlockingSendTest(benchmark::State& state) {
    Setup s;
    const uint32_t len = static_cast<uint32_t>(state.range(0));
    std::vector<uint8_t> out(len + 1), in(len + 1, 7);
    for (auto _ : state) {
        psm2_mq_req_t r;
        psm2_mq_irecv(s.mq, 5, ~0ull, 0, out.data(), len, nullptr, &r);
        psm2_mq_send(s.mq, &s.self, 0, 5, in.data(), len);
        psm2_mq_status_t st;
        psm2_mq_test(&r, &st);
        benchmark::DoNotOptimize(st);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_UnexpectedIsendThenIrecvWait(benchmark::State& state) {
    Setup s;
    const uint32_t len = static_cast<uint32_t>(state.range(0));
    std::vector<uint8_t> out(len + 1), in(len + 1, 7);
    for (auto _ : state) {
        psm2_mq_req_t sr, rr;
        psm2_mq_isend(s.mq, &s.self, 0, 5, in.data(), len, nullptr, &sr);
        psm2_mq_irecv(s.mq, 5, ~0ull, 0, out.data(), len, nullptr, &rr);
        psm2_mq_wait(&sr, nullptr);
        psm2_mq_wait(&rr, nullptr);
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_PostedRecvBlockingSendTest)->Arg(8)->Arg(1024)->Arg(8192);
BENCHMARK(BM_UnexpectedIsendThenIrecvWait)->Arg(8)->Arg(1024)->Arg(8192);
