// Starts the ranks of one multi-process test and guarantees the machine is
// left as it was found: all ranks share one process group that is killed
// when the hard timeout expires, and every /dev/shm segment of the job (they
// carry its uuid in their names) is removed at the end. A segment left by a
// run whose ranks all exited cleanly is reported as a failure: the library
// must not leak them.
//
//   mp_launcher --np N [--timeout SEC] [--mpiexec PATH] [--may-die RANK]
//               -- WORKER [ARGS...]
//
// Fork mode (default): rank r runs WORKER ARGS --uuid U --rank r --size N
// --dir D, and the ranks exchange epids through files in D. With --mpiexec,
// one child runs PATH -n N WORKER ARGS --uuid U (MPI exchanges the epids).
// --may-die R: rank R is expected to be SIGKILLed (fork mode); its segment
// is removed but not counted as a leak.
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

// Segments of this job: "psm2cpp.<uid>.<uuid>.*" (see hal/shm/segment.cpp).
std::vector<std::string> job_segments(const std::string& uuid) {
    std::string prefix = "psm2cpp." + std::to_string(getuid()) + "." + uuid + ".";
    std::vector<std::string> found;
    if (DIR* d = opendir("/dev/shm")) {
        while (dirent* e = readdir(d))
            if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0) found.push_back(e->d_name);
        closedir(d);
    }
    return found;
}

[[noreturn]] void exec_child(pid_t group, std::vector<std::string> args) {
    setpgid(0, group);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::perror(argv[0]);
    _exit(127);
}

}  // namespace

int main(int argc, char** argv) {
    int np = 2, timeout_sec = 120;
    std::string mpiexec;
    int may_die = -1;
    std::vector<std::string> worker;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--np" && i + 1 < argc) np = std::atoi(argv[++i]);
        else if (a == "--timeout" && i + 1 < argc) timeout_sec = std::atoi(argv[++i]);
        else if (a == "--mpiexec" && i + 1 < argc) mpiexec = argv[++i];
        else if (a == "--may-die" && i + 1 < argc) may_die = std::atoi(argv[++i]);
        else if (a == "--") {
            worker.assign(argv + i + 1, argv + argc);
            break;
        }
    }
    if (worker.empty() || np < 1) {
        std::fprintf(stderr, "usage: %s --np N [--timeout S] [--mpiexec PATH] -- WORKER [ARGS]\n", argv[0]);
        return 2;
    }
    std::string uuid = random_uuid_hex();
    char tmpl[] = "/tmp/psm2-mp.XXXXXX";
    if (!mkdtemp(tmpl)) {
        std::perror("mkdtemp");
        return 2;
    }
    std::string dir = tmpl;

    // The first child creates the group; the parent sets it too, so that a
    // kill can never miss a child that has not run setpgid yet.
    pid_t group = 0;
    std::vector<pid_t> children;
    pid_t expected_victim = -1;
    int nchildren = mpiexec.empty() ? np : 1;
    for (int r = 0; r < nchildren; ++r) {
        std::vector<std::string> args;
        if (mpiexec.empty()) {
            args = worker;
            std::vector<std::string> extra = {"--uuid", uuid, "--rank", std::to_string(r),
                                              "--size", std::to_string(np), "--dir", dir};
            args.insert(args.end(), extra.begin(), extra.end());
        } else {
            args = {mpiexec, "-n", std::to_string(np)};
            args.insert(args.end(), worker.begin(), worker.end());
            args.push_back("--uuid");
            args.push_back(uuid);
        }
        pid_t pid = fork();
        if (pid < 0) {
            std::perror("fork");
            break;
        }
        if (pid == 0) exec_child(group, std::move(args));
        if (group == 0) group = pid;
        setpgid(pid, group);
        if (mpiexec.empty() && r == may_die) expected_victim = pid;
        children.push_back(pid);
    }

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_sec);
    int failed = static_cast<int>(nchildren - children.size());
    bool timed_out = false;
    size_t running = children.size();
    while (running > 0) {
        int status = 0;
        pid_t pid = waitpid(-group, &status, WNOHANG);
        if (pid > 0) {
            --running;
            if (pid == expected_victim && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) continue;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                ++failed;
                if (WIFSIGNALED(status))
                    std::fprintf(stderr, "launcher: pid %d killed by signal %d\n", pid, WTERMSIG(status));
                else
                    std::fprintf(stderr, "launcher: pid %d exited with %d\n", pid, WEXITSTATUS(status));
            }
            continue;
        }
        if (pid < 0) break;   // no children left in the group
        if (!timed_out && std::chrono::steady_clock::now() > deadline) {
            std::fprintf(stderr, "launcher: timeout after %d s, killing process group %d\n",
                         timeout_sec, group);
            kill(-group, SIGKILL);
            timed_out = true;
            ++failed;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // Grandchildren (mpiexec's) may outlive their parent: sweep the group.
    if (group > 0) kill(-group, SIGKILL);

    // The victim's epid names the one segment that may legitimately remain.
    std::string victim_suffix;
    if (may_die >= 0) {
        FILE* f = std::fopen((dir + "/" + std::to_string(may_die) + ".epid").c_str(), "r");
        unsigned long long epid = 0;
        if (f && std::fscanf(f, "%llx", &epid) == 1) {
            char buf[24];
            std::snprintf(buf, sizeof buf, ".%016llx", epid);
            victim_suffix = buf;
        }
        if (f) std::fclose(f);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    auto left = job_segments(uuid);
    for (const auto& name : left) unlink(("/dev/shm/" + name).c_str());
    if (!victim_suffix.empty())
        std::erase_if(left, [&](const std::string& n) { return n.ends_with(victim_suffix); });
    if (!left.empty() && failed == 0) {
        std::fprintf(stderr, "launcher: %zu shm segment(s) left behind by a clean run, e.g. %s\n",
                     left.size(), left[0].c_str());
        ++failed;
    }
    std::fprintf(stderr, "launcher: %d rank(s), %s\n", np, failed ? "FAILED" : "passed");
    return failed ? 1 : 0;
}
