// psm2-run: runs a command on this libpsm2 with the environment of a job
// that has an Omni-Path HFI: the LD_PRELOAD interposer answers the clients'
// device probes for the simulated units, PSM2_DEVICES and (with --sim) the
// PSM2_SIM_* variables configure the library. See launcher_options.cpp.
#include "launcher_options.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#ifndef PSM2RUN_LIBDIR_FROM_BINDIR
#define PSM2RUN_LIBDIR_FROM_BINDIR "../lib"
#endif

namespace {

using psm2run::LaunchOptions;

constexpr const char* preload_name = "libpsm2-run-preload.so";

bool is_file(const std::string& path)
{
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string own_directory()
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    buf[n] = '\0';
    std::string path(buf);
    return path.substr(0, path.find_last_of('/'));
}

// The interposer lives beside psm2-run in the build tree and in the library
// directory once installed.
std::string find_preload(const std::string& self_dir)
{
    if (const char* forced = std::getenv("PSM2RUN_PRELOAD")) return forced;
    const std::string candidates[] = {
        self_dir + "/" + preload_name,
        self_dir + "/" + PSM2RUN_LIBDIR_FROM_BINDIR + "/" + preload_name,
    };
    for (const std::string& c : candidates) {
        char resolved[4096];
        if (is_file(c)) return realpath(c.c_str(), resolved) ? std::string(resolved) : c;
    }
    return {};
}

// Our libpsm2.so.2: two levels up in the build tree (tools/psm2-run/), in the
// library directory once installed.
std::string find_library_dir(const std::string& self_dir)
{
    const std::string candidates[] = {
        self_dir + "/../..",
        self_dir + "/" + PSM2RUN_LIBDIR_FROM_BINDIR,
    };
    for (const std::string& c : candidates) {
        if (access((c + "/libpsm2.so.2").c_str(), R_OK) == 0) {
            char resolved[4096];
            return realpath(c.c_str(), resolved) ? std::string(resolved) : c;
        }
    }
    return {};
}

void prepend_path(const char* var, const std::string& entry, char sep)
{
    const char* old = std::getenv(var);
    std::string value = entry;
    if (old && *old) value += sep + std::string(old);
    setenv(var, value.c_str(), 1);
}

void set_env(const char* name, const std::string& value, bool verbose)
{
    setenv(name, value.c_str(), 1);
    if (verbose) std::fprintf(stderr, "psm2-run: %s=%s\n", name, value.c_str());
}

bool configure_environment(const LaunchOptions& o, const std::string& fabric)
{
    const std::string self_dir = own_directory();
    const std::string preload = find_preload(self_dir);
    if (preload.empty()) {
        std::fprintf(stderr, "psm2-run: cannot find %s beside %s (set PSM2RUN_PRELOAD)\n", preload_name,
                     self_dir.c_str());
        return false;
    }
    prepend_path("LD_PRELOAD", preload, ':');
    if (o.use_lib_dir) {
        const std::string lib = o.lib_dir.empty() ? find_library_dir(self_dir) : o.lib_dir;
        if (lib.empty()) {
            std::fprintf(stderr, "psm2-run: no libpsm2.so.2 found beside psm2-run; use --lib DIR\n");
            return false;
        }
        prepend_path("LD_LIBRARY_PATH", lib, ':');
    }
    set_env("PSM2RUN_UNITS", std::to_string(o.units), o.verbose);
    if (o.verbose) set_env("PSM2RUN_VERBOSE", "1", o.verbose);

    std::string devices = o.devices;
    if (o.sim_gen.empty()) {
        if (devices.empty()) devices = "self,shm";
    } else {
        if (devices.empty()) devices = "self,shm,hfi";
        set_env("PSM2_SIM", fabric, o.verbose);
        set_env("PSM2_SIM_GEN", o.sim_gen, o.verbose);
        set_env("PSM2_SIM_UNITS", std::to_string(o.units), o.verbose);
        for (const auto& [name, value] : o.faults) set_env(name.c_str(), value, o.verbose);
    }
    set_env("PSM2_DEVICES", devices, o.verbose);
    if (o.verbose) {
        std::fprintf(stderr, "psm2-run: LD_PRELOAD=%s\n", std::getenv("LD_PRELOAD"));
        std::fprintf(stderr, "psm2-run: LD_LIBRARY_PATH=%s\n",
                     std::getenv("LD_LIBRARY_PATH") ? std::getenv("LD_LIBRARY_PATH") : "");
    }
    return true;
}

// Removes what a crashed job left of a fabric private to this run: the
// simulated fabric's directory and context segments are
// /dev/shm/psm2_sim.<uid>.<fabric>[.u<unit>c<context>] (hal/sim/fabric.cpp).
void remove_fabric_segments(const std::string& fabric)
{
    const std::string prefix = "psm2_sim." + std::to_string(getuid()) + "." + fabric;
    DIR* dir = opendir("/dev/shm");
    if (!dir) return;
    while (dirent* e = readdir(dir)) {
        const std::string name = e->d_name;
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        if (name.size() != prefix.size() && name[prefix.size()] != '.') continue;
        unlinkat(dirfd(dir), name.c_str(), 0);
    }
    closedir(dir);
}

pid_t child_pid = -1;

void forward_signal(int sig)
{
    if (child_pid > 0) kill(child_pid, sig);
}

int run(const std::vector<std::string>& command)
{
    std::vector<char*> argv;
    for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    child_pid = fork();
    if (child_pid < 0) {
        std::perror("psm2-run: fork");
        return 127;
    }
    if (child_pid == 0) {
        execvp(argv[0], argv.data());
        std::fprintf(stderr, "psm2-run: cannot run %s: %s\n", argv[0], std::strerror(errno));
        _exit(127);
    }
    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);

    int status = 0;
    while (waitpid(child_pid, &status, 0) < 0) {
        if (errno != EINTR) return 127;
    }
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

}  // namespace

int main(int argc, char** argv)
{
    LaunchOptions o;
    if (!psm2run::parse_launch_options(argc, argv, o)) return 2;
    const bool private_fabric = o.fabric.empty();
    const std::string fabric = private_fabric ? "psm2run-" + std::to_string(getpid()) : o.fabric;
    if (!configure_environment(o, fabric)) return 2;
    const int rc = run(o.command);
    if (!o.sim_gen.empty() && private_fabric) remove_fabric_segments(fabric);
    return rc;
}
