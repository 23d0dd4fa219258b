// psm2-info: what this library sees on this machine, and a self-test.
//   psm2-info              version, devices, HFI units, topology, variables
//   psm2-info --self-test  two processes exchange messages over shm; PASS/FAIL
#include <hwloc.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "hal/env.h"
#include "hal/units.h"
#include "psm/identify.h"
#include "psm2.h"
#include "psm2_mq.h"

namespace {

void print_topology() {
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0 || hwloc_topology_load(topo) != 0) {
        std::printf("topology: hwloc could not load the topology\n");
        return;
    }
    int numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    int pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    std::printf("topology: %d NUMA node(s), %d core(s), %d hardware thread(s)\n", numa, cores, pus);
    hwloc_topology_destroy(topo);
}

void print_units() {
    auto units = psm::hal::discover_units();
    if (units.empty()) {
        std::printf("hfi units: none (no /sys/class/infiniband/hfi1_*, PSM2_SIM unset)\n");
        return;
    }
    for (const auto& u : units)
        std::printf("hfi unit %u: %s%s %s, port %s, MTU %u, %u Mb/s, %u/%u contexts free\n", u.unit,
                    u.name.c_str(), u.simulated ? " (simulated)" : "", u.generation.c_str(),
                    u.port_active ? "ACTIVE" : "DOWN", u.mtu, u.link_speed_mbps, u.free_contexts, u.contexts);
}

void print_env() {
    std::printf("\n%-28s %-22s %-12s %s\n", "variable", "value", "source", "meaning");
    for (const auto& v : psm::env::table()) {
        std::printf("%-28s %-22s %-12s %s%s\n", v.name, psm::env::get_str(v.name).c_str(),
                    psm::env::source_of(v.name), v.help,
                    v.support == psm::env::Support::Ignored ? " [ignored here]" : "");
    }
}

// --self-test: parent and child each open an endpoint, exchange epids over
// pipes, then ping-pong messages of several sizes and verify every byte.
constexpr int kIters = 200;

int run_side(bool parent, int rd, int wr) {
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    if (psm2_init(&major, &minor) != PSM2_OK) return 10;
    psm2_uuid_t uuid;
    if (parent) {
        psm2_uuid_generate(uuid);
        if (write(wr, uuid, sizeof uuid) != sizeof uuid) return 11;
    } else if (read(rd, uuid, sizeof uuid) != sizeof uuid) {
        return 11;
    }
    psm2_ep_t ep;
    psm2_epid_t me, peer;
    if (psm2_ep_open(uuid, nullptr, &ep, &me) != PSM2_OK) return 12;
    if (write(wr, &me, sizeof me) != sizeof me || read(rd, &peer, sizeof peer) != sizeof peer) return 13;
    psm2_epaddr_t addr;
    psm2_error_t cerr;
    if (psm2_ep_connect(ep, 1, &peer, nullptr, &cerr, &addr, 5'000'000'000) != PSM2_OK) return 14;
    psm2_mq_t mq;
    if (psm2_mq_init(ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq) != PSM2_OK) return 15;
    const size_t sizes[] = {0, 8, 1024, 16384, 65536, 1 << 20};
    std::vector<unsigned char> sbuf(1 << 20), rbuf(1 << 20);
    for (size_t size : sizes) {
        for (int i = 0; i < kIters / 10; ++i) {
            for (size_t b = 0; b < size; ++b) sbuf[b] = static_cast<unsigned char>(b * 7 + i + parent);
            psm2_mq_req_t req;
            psm2_mq_status_t st;
            if (parent) {
                if (psm2_mq_send(mq, addr, 0, 42, sbuf.data(), static_cast<uint32_t>(size)) != PSM2_OK) return 16;
                if (psm2_mq_irecv(mq, 43, ~0ull, 0, rbuf.data(), static_cast<uint32_t>(size), nullptr, &req) != PSM2_OK ||
                    psm2_mq_wait(&req, &st) != PSM2_OK)
                    return 17;
            } else {
                if (psm2_mq_irecv(mq, 42, ~0ull, 0, rbuf.data(), static_cast<uint32_t>(size), nullptr, &req) != PSM2_OK ||
                    psm2_mq_wait(&req, &st) != PSM2_OK)
                    return 17;
                if (psm2_mq_send(mq, addr, 0, 43, sbuf.data(), static_cast<uint32_t>(size)) != PSM2_OK) return 16;
            }
            if (st.msg_length != size) return 18;
            for (size_t b = 0; b < size; ++b)
                if (rbuf[b] != static_cast<unsigned char>(b * 7 + i + !parent)) return 19;
        }
    }
    psm2_mq_finalize(mq);
    psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 1'000'000'000);
    psm2_finalize();
    return 0;
}

int self_test() {
    int p2c[2], c2p[2];
    if (pipe(p2c) || pipe(c2p)) return 2;
    pid_t child = fork();
    if (child < 0) return 2;
    if (child == 0) {
        alarm(30);
        _exit(run_side(false, p2c[0], c2p[1]));
    }
    alarm(30);
    int rc = run_side(true, c2p[0], p2c[1]);
    int status = 0;
    waitpid(child, &status, 0);
    int crc = WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
    bool ok = rc == 0 && crc == 0;
    std::printf("self-test (two processes, PSM2_DEVICES=%s, sizes 0 B..1 MiB, data verified): %s",
                psm::env::get_str("PSM2_DEVICES").c_str(), ok ? "PASS\n" : "FAIL");
    if (!ok) std::printf(" (parent step %d, child step %d)\n", rc, crc);
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--self-test") == 0) return self_test();
    if (argc > 1) {
        std::fprintf(stderr, "usage: %s [--self-test]\n", argv[0]);
        return 2;
    }
    std::printf("%s\n", psm::identify_line().c_str());
    std::printf("devices: PSM2_DEVICES=%s (self and shm always available; hfi needs /dev/hfi1_N or PSM2_SIM)\n",
                psm::env::get_str("PSM2_DEVICES").c_str());
    print_units();
    print_topology();
    print_env();
    return 0;
}
