#include "patterns.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <vector>

namespace perf {

namespace {

constexpr uint64_t data_tag = 0x5053'4d32'0000'0001ULL;
constexpr uint64_t ack_tag = 0x5053'4d32'0000'0002ULL;
constexpr uint64_t barrier_tag = 0x5053'4d32'0000'0003ULL;
constexpr uint64_t exact = ~0ULL;

double now_s()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool ok(psm2_error_t err, const char* what)
{
    if (err == PSM2_OK) return true;
    std::fprintf(stderr, "psm2-perf: %s failed: %s (%d)\n", what, psm2_error_get_string(err),
                 static_cast<int>(err));
    return false;
}

uint32_t len32(std::size_t size) { return static_cast<uint32_t>(size); }

// Iteration counts: enough traffic that a measurement takes tens of
// milliseconds at today's speeds, scaled for smoke runs, never below a floor.
std::size_t scaled(double count, const Options& o, std::size_t floor)
{
    return std::max(floor, static_cast<std::size_t>(count * o.duration_scale));
}

std::size_t pingpong_iterations(std::size_t size, const Options& o)
{
    const double bytes_budget = 256.0 * (1 << 20);
    double n = bytes_budget / static_cast<double>(std::max<std::size_t>(size, 16 << 10));
    return scaled(std::min(n, 20000.0), o, 10);
}

std::size_t stream_windows(std::size_t size, const Options& o)
{
    const double bytes_budget = 1024.0 * (1 << 20);
    double n = bytes_budget /
               (static_cast<double>(o.window) * static_cast<double>(std::max<std::size_t>(size, 4096)));
    return scaled(std::clamp(n, 5.0, 2000.0), o, 2);
}

bool recv_blocking(const Session& s, void* buf, std::size_t size, uint64_t tag)
{
    psm2_mq_req_t req;
    return ok(psm2_mq_irecv(s.mq, tag, exact, 0, buf, len32(size), nullptr, &req), "psm2_mq_irecv") &&
           ok(psm2_mq_wait(&req, nullptr), "psm2_mq_wait(recv)");
}

bool send_blocking(const Session& s, const void* buf, std::size_t size, uint64_t tag)
{
    return ok(psm2_mq_send(s.mq, s.peer, 0, tag, buf, len32(size)), "psm2_mq_send");
}

bool wait_all(std::vector<psm2_mq_req_t>& reqs)
{
    for (psm2_mq_req_t& r : reqs) {
        if (!ok(psm2_mq_wait(&r, nullptr), "psm2_mq_wait")) return false;
    }
    return true;
}

bool post_recvs(const Session& s, std::vector<psm2_mq_req_t>& reqs, char* buf, std::size_t size)
{
    for (psm2_mq_req_t& r : reqs) {
        if (!ok(psm2_mq_irecv(s.mq, data_tag, exact, 0, buf, len32(size), nullptr, &r), "psm2_mq_irecv"))
            return false;
    }
    return true;
}

bool post_sends(const Session& s, std::vector<psm2_mq_req_t>& reqs, const char* buf, std::size_t size)
{
    for (psm2_mq_req_t& r : reqs) {
        if (!ok(psm2_mq_isend(s.mq, s.peer, 0, data_tag, buf, len32(size), nullptr, &r), "psm2_mq_isend"))
            return false;
    }
    return true;
}

// Rank 0 sends, rank 1 answers; returns seconds for n round trips on rank 0.
std::optional<double> pingpong(const Session& s, int rank, std::size_t size, std::size_t n, const Buffers& b)
{
    const double start = now_s();
    for (std::size_t i = 0; i < n; ++i) {
        if (rank == 0) {
            if (!send_blocking(s, b.send, size, data_tag) || !recv_blocking(s, b.recv, size, data_tag))
                return std::nullopt;
        } else {
            if (!recv_blocking(s, b.recv, size, data_tag) || !send_blocking(s, b.send, size, data_tag))
                return std::nullopt;
        }
    }
    return now_s() - start;
}

// Rank 0 streams windows of messages; rank 1 acknowledges each window.
std::optional<double> stream(const Session& s, int rank, std::size_t size, std::size_t windows,
                             unsigned window, const Buffers& b)
{
    std::vector<psm2_mq_req_t> reqs(window);
    const double start = now_s();
    for (std::size_t w = 0; w < windows; ++w) {
        if (rank == 0) {
            if (!post_sends(s, reqs, b.send, size) || !wait_all(reqs) ||
                !recv_blocking(s, b.recv, 0, ack_tag))
                return std::nullopt;
        } else {
            if (!post_recvs(s, reqs, b.recv, size) || !wait_all(reqs) ||
                !send_blocking(s, b.send, 0, ack_tag))
                return std::nullopt;
        }
    }
    return now_s() - start;
}

// Both ranks stream a window at each other at the same time.
std::optional<double> bistream(const Session& s, std::size_t size, std::size_t windows, unsigned window,
                               const Buffers& b)
{
    std::vector<psm2_mq_req_t> recvs(window);
    std::vector<psm2_mq_req_t> sends(window);
    const double start = now_s();
    for (std::size_t w = 0; w < windows; ++w) {
        if (!post_recvs(s, recvs, b.recv, size) || !post_sends(s, sends, b.send, size) ||
            !wait_all(sends) || !wait_all(recvs))
            return std::nullopt;
    }
    return now_s() - start;
}

}  // namespace

bool psm2_barrier(const Session& s)
{
    psm2_mq_req_t reqs[2];
    return ok(psm2_mq_irecv(s.mq, barrier_tag, exact, 0, nullptr, 0, nullptr, &reqs[0]), "psm2_mq_irecv") &&
           ok(psm2_mq_isend(s.mq, s.peer, 0, barrier_tag, nullptr, 0, nullptr, &reqs[1]), "psm2_mq_isend") &&
           ok(psm2_mq_wait(&reqs[1], nullptr), "psm2_mq_wait") && ok(psm2_mq_wait(&reqs[0], nullptr), "psm2_mq_wait");
}

std::optional<double> measure(const Session& s, int rank, const Options& o, Pattern p, std::size_t size,
                              const Buffers& buf)
{
    const double sz = static_cast<double>(size);
    if (p == Pattern::latency) {
        const std::size_t n = pingpong_iterations(size, o);
        if (!pingpong(s, rank, size, std::max<std::size_t>(n / 10, 5), buf)) return std::nullopt;
        auto t = pingpong(s, rank, size, n, buf);
        if (!t) return std::nullopt;
        return *t / static_cast<double>(n) / 2.0 * 1e6;
    }
    const std::size_t n = stream_windows(size, o);
    const std::size_t warmup = std::max<std::size_t>(n / 10, 1);
    const double messages = static_cast<double>(n) * o.window;
    if (p == Pattern::bibandwidth) {
        if (!bistream(s, size, warmup, o.window, buf)) return std::nullopt;
        auto t = bistream(s, size, n, o.window, buf);
        if (!t) return std::nullopt;
        return 2.0 * messages * sz / *t / 1e6;
    }
    if (!stream(s, rank, size, warmup, o.window, buf)) return std::nullopt;
    auto t = stream(s, rank, size, n, o.window, buf);
    if (!t) return std::nullopt;
    if (p == Pattern::msgrate) return messages / *t / 1e6;
    return messages * sz / *t / 1e6;
}

}  // namespace perf
