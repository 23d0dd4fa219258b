// Starts the ranks of one crash test and leaves the machine as it found it.
// One rank (the victim) is expected to SIGKILL itself; every other rank must
// exit 0. All ranks share one process group, killed when the hard timeout
// expires. Afterwards no /dev/shm file of the job may remain - not even the
// victim's: the survivors are responsible for removing what a killed peer
// left behind. Whatever remains is reported as a leak and removed anyway.
//
//   crash_launcher --np N --victim R [--timeout SEC] [--hfi local|tunnel]
//                  -- WORKER [ARGS...]
//
// Rank r runs WORKER ARGS --uuid U --rank r --size N --victim R --dir D.
// --hfi local: every rank joins one private simulated fabric (PSM2_SIM).
// --hfi tunnel: every rank is a simulated host of its own (own fabric, own
// LID) and the ranks reach each other through the UDP tunnel on 127.0.0.1,
// so that a dead peer can only be told by its silence (the peer timeout).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string random_uuid_hex() {
    unsigned char b[16] = {};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, sizeof b) != static_cast<ssize_t>(sizeof b)) {
        std::perror("/dev/urandom");
        std::exit(2);
    }
    close(fd);
    char hex[33];
    for (int i = 0; i < 16; ++i) std::snprintf(hex + 2 * i, 3, "%02x", b[i]);
    return hex;
}

// /dev/shm entries whose name starts with one of the prefixes.
std::vector<std::string> shm_files(const std::vector<std::string>& prefixes) {
    std::vector<std::string> found;
    if (DIR* d = opendir("/dev/shm")) {
        while (dirent* e = readdir(d))
            for (const auto& p : prefixes)
                if (std::strncmp(e->d_name, p.c_str(), p.size()) == 0) found.push_back(e->d_name);
        closedir(d);
    }
    return found;
}

[[noreturn]] void exec_child(pid_t group, const std::vector<std::pair<std::string, std::string>>& env,
                             std::vector<std::string> args) {
    setpgid(0, group);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::perror(argv[0]);
    _exit(127);
}

}  // namespace

int main(int argc, char** argv) {
    int np = 3, victim = -1, timeout_sec = 60;
    std::string hfi;
    std::vector<std::string> worker;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--np" && i + 1 < argc) np = std::atoi(argv[++i]);
        else if (a == "--victim" && i + 1 < argc) victim = std::atoi(argv[++i]);
        else if (a == "--timeout" && i + 1 < argc) timeout_sec = std::atoi(argv[++i]);
        else if (a == "--hfi" && i + 1 < argc) hfi = argv[++i];
        else if (a == "--") {
            worker.assign(argv + i + 1, argv + argc);
            break;
        }
    }
    if (worker.empty() || np < 2 || victim < 0 || victim >= np ||
        !(hfi.empty() || hfi == "local" || hfi == "tunnel")) {
        std::fprintf(stderr, "usage: %s --np N --victim R [--timeout S] [--hfi local|tunnel] -- WORKER [ARGS]\n",
                     argv[0]);
        return 2;
    }
    std::string uuid = random_uuid_hex();
    char tmpl[] = "/tmp/psm2-crash.XXXXXX";
    if (!mkdtemp(tmpl)) {
        std::perror("mkdtemp");
        return 2;
    }
    std::string dir = tmpl;
    // The 'x' ends the number, so no other run's names share the prefix.
    std::string fabric = "crash" + std::to_string(getpid()) + "x";
    std::string uid = std::to_string(getuid());
    std::vector<std::string> prefixes = {"psm2cpp." + uid + "." + uuid + ".", "psm2_sim." + uid + "." + fabric};
    // Tunnel: context c of LID l listens on base(l) + c; 256 ports per LID.
    int port0 = 20000 + (getpid() % 150) * 256;
    std::string tunnel;
    for (int r = 0; r < np; ++r)
        tunnel += (r ? "," : "") + std::to_string(r + 1) + "@127.0.0.1:" + std::to_string(port0 + 256 * r);

    pid_t group = 0;
    std::vector<pid_t> children;
    pid_t victim_pid = -1;
    for (int r = 0; r < np; ++r) {
        std::vector<std::string> args = worker;
        for (auto s : {std::string("--uuid"), uuid, std::string("--rank"), std::to_string(r), std::string("--size"), std::to_string(np),
                       std::string("--victim"), std::to_string(victim), std::string("--dir"), dir})
            args.push_back(s);
        std::vector<std::pair<std::string, std::string>> env;
        if (hfi == "local") env = {{"PSM2_SIM", fabric}};
        if (hfi == "tunnel")
            env = {{"PSM2_SIM", fabric + "r" + std::to_string(r)},
                   {"PSM2_SIM_LID", std::to_string(r + 1)},
                   {"PSM2_SIM_TUNNEL", tunnel}};
        pid_t pid = fork();
        if (pid < 0) {
            std::perror("fork");
            break;
        }
        if (pid == 0) exec_child(group, env, std::move(args));
        if (group == 0) group = pid;
        setpgid(pid, group);   // also here: a kill must never miss a child
        if (r == victim) victim_pid = pid;
        children.push_back(pid);
    }

    auto start = std::chrono::steady_clock::now();
    auto deadline = start + std::chrono::seconds(timeout_sec);
    int failed = static_cast<int>(np - children.size());
    bool timed_out = false, victim_killed = false;
    size_t running = children.size();
    while (running > 0) {
        int status = 0;
        pid_t pid = group > 0 ? waitpid(-group, &status, WNOHANG) : -1;
        if (pid > 0) {
            --running;
            if (pid == victim_pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !timed_out) {
                victim_killed = true;
                continue;
            }
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                ++failed;
                if (WIFSIGNALED(status))
                    std::fprintf(stderr, "launcher: pid %d killed by signal %d\n", pid, WTERMSIG(status));
                else
                    std::fprintf(stderr, "launcher: pid %d exited with %d\n", pid, WEXITSTATUS(status));
            } else if (pid == victim_pid) {
                std::fprintf(stderr, "launcher: the victim exited instead of being killed\n");
                ++failed;
            }
            continue;
        }
        if (pid < 0) break;
        if (!timed_out && std::chrono::steady_clock::now() > deadline) {
            std::fprintf(stderr, "launcher: timeout after %d s, killing process group %d\n", timeout_sec, group);
            kill(-group, SIGKILL);
            timed_out = true;
            ++failed;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (group > 0) kill(-group, SIGKILL);
    if (!victim_killed && !failed) {
        std::fprintf(stderr, "launcher: the victim was not killed\n");
        ++failed;
    }

    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    auto left = shm_files(prefixes);
    for (const auto& name : left) unlink(("/dev/shm/" + name).c_str());
    // Tunnel: the victim was a host of its own; what a killed process leaves
    // on its own host is swept by the next job there, never by peers on other
    // hosts. Every other host must be clean.
    if (hfi == "tunnel") {
        std::string own = "psm2_sim." + uid + "." + fabric + "r" + std::to_string(victim);
        std::erase_if(left, [&](const std::string& n) {
            return n.compare(0, own.size(), own) == 0 && (n.size() == own.size() || n[own.size()] == '.');
        });
    }
    if (!left.empty() && !failed) {
        std::fprintf(stderr, "launcher: %zu /dev/shm file(s) left after every rank exited, e.g. %s\n",
                     left.size(), left[0].c_str());
        ++failed;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "launcher: %d rank(s), victim %d, %.1f s, %s\n", np, victim, secs,
                 failed ? "FAILED" : "passed");
    return failed ? 1 : 0;
}
