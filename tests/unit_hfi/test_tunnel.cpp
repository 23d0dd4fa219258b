// Cross-host: two network namespaces joined by a veth pair, one endpoint in
// each, their simulated fabrics joined by the UDP tunnel. Skips (saying why)
// where namespaces cannot be created (not root, no iproute2).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

struct Namespaces {
    std::string a, b, veth_a, veth_b;
    bool ok = false;
    Namespaces() {
        std::string id = std::to_string(getpid() % 100000);
        a = "psmA" + id;
        b = "psmB" + id;
        veth_a = "pva" + id;
        veth_b = "pvb" + id;
        ok = sh("ip netns add " + a) == 0 && sh("ip netns add " + b) == 0 &&
             sh("ip link add " + veth_a + " type veth peer name " + veth_b) == 0 &&
             sh("ip link set " + veth_a + " netns " + a) == 0 &&
             sh("ip link set " + veth_b + " netns " + b) == 0 &&
             sh("ip -n " + a + " addr add 10.77.0.1/24 dev " + veth_a) == 0 &&
             sh("ip -n " + b + " addr add 10.77.0.2/24 dev " + veth_b) == 0 &&
             sh("ip -n " + a + " link set " + veth_a + " up") == 0 &&
             sh("ip -n " + b + " link set " + veth_b + " up") == 0 &&
             sh("ip -n " + a + " link set lo up") == 0 && sh("ip -n " + b + " link set lo up") == 0;
    }
    ~Namespaces() {
        sh("ip netns del " + a);   // takes the veth pair with it
        sh("ip netns del " + b);
    }
};

pid_t spawn(const std::string& ns, const std::vector<std::string>& env, const std::string& prog,
            const std::string& role, const std::string& file) {
    pid_t pid = fork();
    if (pid == 0) {
        for (auto& kv : env) putenv(const_cast<char*>(kv.c_str()));
        execlp("ip", "ip", "netns", "exec", ns.c_str(), prog.c_str(), role.c_str(), file.c_str(), nullptr);
        _exit(127);
    }
    return pid;
}

int wait_for(pid_t pid, std::chrono::seconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    int st = 0;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -2;
}

}  // namespace

TEST(Tunnel, TwoHostsInNetworkNamespaces) {
    const char* dir = std::getenv("PSM2_TEST_BUILD_DIR");
    std::string peer = std::string(dir ? dir : ".") + "/tests/unit_hfi/hfi_tunnel_peer";
    if (access(peer.c_str(), X_OK) != 0) GTEST_SKIP() << peer << " not built";
    if (geteuid() != 0 || sh("command -v ip") != 0)
        GTEST_SKIP() << "network namespaces need root and iproute2";
    Namespaces ns;
    if (!ns.ok) GTEST_SKIP() << "cannot create network namespaces / veth pair here";
    for (const char* gen : {"gen1", "gen2"}) {
        std::string file = "/tmp/psm2_tunnel_epid." + std::to_string(getpid()) + gen;
        unlink(file.c_str());
        std::string tunnel = "PSM2_SIM_TUNNEL=1@10.77.0.1:41000,2@10.77.0.2:41000";
        std::string g = std::string("PSM2_SIM_GEN=") + gen;
        std::string fa = "PSM2_SIM=tunA" + std::to_string(getpid()), fb = "PSM2_SIM=tunB" + std::to_string(getpid());
        pid_t s = spawn(ns.a, {fa, g, "PSM2_SIM_LID=1", tunnel}, peer, "server", file);
        pid_t c = spawn(ns.b, {fb, g, "PSM2_SIM_LID=2", tunnel}, peer, "client", file);
        int rc_client = wait_for(c, std::chrono::seconds(100));
        int rc_server = wait_for(s, std::chrono::seconds(10));
        unlink(file.c_str());
        EXPECT_EQ(rc_client, 0) << gen;
        EXPECT_EQ(rc_server, 0) << gen;
    }
}
