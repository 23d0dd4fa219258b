// A second user on the same host can neither open our segments nor connect
// to our endpoints. Needs root (it creates a throw-away user with useradd and
// removes it afterwards, also on failure); exits 77 (skipped) otherwise.
//
//   second_user            the test (as root)
//   second_user probe ...  the other user's side (run through setpriv)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

#include "hal/hfi/context.h"
#include "psm2.h"
#include "psm2_mq.h"

namespace {

constexpr const char* kMarker = "psm2 isolation test (safe to delete)";

int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// Our /dev/shm files of this run: the endpoint's segment and the fabric's.
std::vector<std::string> our_files(const std::string& uuid_hex, const std::string& fabric) {
    std::vector<std::string> out;
    std::string uid = std::to_string(getuid());
    std::string a = "psm2cpp." + uid + "." + uuid_hex, b = "psm2_sim." + uid + "." + fabric;
    if (DIR* d = opendir("/dev/shm")) {
        while (dirent* e = readdir(d)) {
            std::string n = e->d_name;
            if (n.rfind(a, 0) == 0 || (!fabric.empty() && n.rfind(b, 0) == 0)) out.push_back(n);
        }
        closedir(d);
    }
    return out;
}

std::string hex16(const unsigned char* u) {
    char b[33];
    for (int i = 0; i < 16; ++i) std::snprintf(b + 2 * i, 3, "%02x", u[i]);
    return b;
}

// The other user's side. argv: probe UUIDHEX EPIDHEX SHMNAME...
// Exit 0 when every segment open failed with EACCES and the connect failed.
int probe(int argc, char** argv) {
    if (argc < 4) return 2;
    int bad = 0;
    for (int i = 4; i < argc; ++i) {
        std::string name = std::string("/") + argv[i];
        for (int flags : {O_RDWR, O_RDONLY}) {
            int fd = shm_open(name.c_str(), flags, 0);
            if (fd >= 0 || errno != EACCES) {
                std::fprintf(stderr, "probe: shm_open(%s, %s) = %d (%s), expected EACCES\n", name.c_str(),
                             flags == O_RDWR ? "O_RDWR" : "O_RDONLY", fd, std::strerror(errno));
                ++bad;
                if (fd >= 0) close(fd);
            }
        }
    }
    psm2_uuid_t uuid{};
    for (int i = 0; i < 16; ++i) {
        unsigned v = 0;
        std::sscanf(argv[2] + 2 * i, "%2x", &v);
        uuid[i] = uint8_t(v);
    }
    psm2_epid_t target = std::strtoull(argv[3], nullptr, 16);
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    if (psm2_init(&major, &minor) != PSM2_OK) return 3;
    psm2_error_register_handler(nullptr, PSM2_ERRHANDLER_NO_HANDLER);
    psm2_ep_t ep;
    psm2_epid_t mine;
    // Even with the right job uuid: another user is another job.
    if (psm2_ep_open(uuid, nullptr, &ep, &mine) != PSM2_OK) return 4;
    psm2_error_t err = PSM2_OK;
    psm2_epaddr_t addr;
    psm2_error_t rc = psm2_ep_connect(ep, 1, &target, nullptr, &err, &addr, 2'000'000'000LL);
    if (rc == PSM2_OK) {
        std::fprintf(stderr, "probe: connected to the other user's endpoint\n");
        ++bad;
    } else {
        std::fprintf(stderr, "probe: connect refused: %s\n", psm2_error_get_string(err));
    }
    psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 1'000'000'000LL);
    psm2_finalize();
    return bad ? 1 : 0;
}

// Removes the user (and any earlier run's user that a killed test left).
struct TempUser {
    std::string name;
    bool made = false;
    TempUser() {
        // Earlier runs killed before their cleanup: only users with our marker.
        while (passwd* p = getpwent())
            if (p->pw_gecos && std::strcmp(p->pw_gecos, kMarker) == 0 &&
                std::strncmp(p->pw_name, "psm2iso", 7) == 0)
                sh(std::string("userdel ") + p->pw_name);
        endpwent();
        name = "psm2iso" + std::to_string(getpid());
        made = sh("useradd -M -N -s /usr/sbin/nologin -c '" + std::string(kMarker) + "' " + name) == 0;
    }
    ~TempUser() {
        if (made) sh("userdel " + name);
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "probe") == 0) return probe(argc, argv);
    if (geteuid() != 0) {
        std::puts("SKIP: creating a second user needs root");
        return 77;
    }
    if (sh("command -v useradd") != 0 || sh("command -v userdel") != 0 || sh("command -v setpriv") != 0) {
        std::puts("SKIP: useradd, userdel or setpriv missing");
        return 77;
    }
    TempUser user;
    if (!user.made) {
        std::puts("SKIP: useradd failed here");
        return 77;
    }
    passwd* pw = getpwnam(user.name.c_str());
    if (!pw) return 1;
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;

    // The probe must be reachable by the other user: a copy in a private
    // directory it may enter.
    char tmpl[] = "/tmp/psm2iso.XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    std::string dir = tmpl, exe = dir + "/second_user";
    std::error_code ec;
    std::filesystem::copy_file("/proc/self/exe", exe, ec);
    chmod(dir.c_str(), 0755);
    chmod(exe.c_str(), 0755);

    // Our job: an endpoint over shm, and a context of a simulated HFI fabric.
    // (Each user's simulated fabric is its own - the directory name carries
    // the uid - so the connect probe runs over shm; the fabric's files are
    // probed for EACCES.)
    std::string fabric = "iso2u" + std::to_string(getpid());
    setenv("PSM2_SIM", fabric.c_str(), 1);
    setenv("PSM2_SIM_GEN", "gen1", 1);
    setenv("PSM2_DEVICES", "self,shm", 1);
    psm2_uuid_t uuid;
    for (int i = 0; i < 16; ++i) uuid[i] = uint8_t(0x5e + 7 * i + getpid());
    int failures = 0;
    int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
    psm2_ep_t ep = nullptr;
    psm2_epid_t epid = 0;
    std::unique_ptr<psm::hal::hfi::Context> sim_context;
    psm::hal::hfi::OpenRequest req;
    std::memcpy(req.uuid, uuid, sizeof uuid);
    if (psm2_init(&major, &minor) != PSM2_OK || psm2_ep_open(uuid, nullptr, &ep, &epid) != PSM2_OK ||
        psm::hal::hfi::open_context(req, &sim_context) != PSM2_OK) {
        std::fprintf(stderr, "cannot open our endpoint and simulated context\n");
        ++failures;
    }
    std::vector<std::string> files = our_files(hex16(uuid), fabric);
    if (!failures && files.size() < 2) {
        std::fprintf(stderr, "expected our shm segment and fabric files, found %zu\n", files.size());
        ++failures;
    }
    if (!failures) {
        char epid_hex[24];
        std::snprintf(epid_hex, sizeof epid_hex, "%llx", static_cast<unsigned long long>(epid));
        std::vector<std::string> args = {"setpriv", "--reuid=" + std::to_string(uid),
                                         "--regid=" + std::to_string(gid), "--clear-groups", exe, "probe",
                                         hex16(uuid), epid_hex};
        for (auto& f : files) args.push_back(f);
        pid_t pid = fork();
        if (pid == 0) {
            setpgid(0, 0);
            // Its own fabric name would be psm2_sim.<its uid>.<name>: same name, other directory.
            std::vector<char*> av;
            for (auto& a : args) av.push_back(a.data());
            av.push_back(nullptr);
            execvp("setpriv", av.data());
            _exit(127);
        }
        // Our endpoint answers handshakes while the probe runs; bounded.
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        int st = 0;
        pid_t done = 0;
        while ((done = waitpid(pid, &st, WNOHANG)) == 0 && std::chrono::steady_clock::now() < end) {
            psm2_poll(ep);
            usleep(100);
        }
        if (done == 0) {
            kill(-pid, SIGKILL);
            waitpid(pid, &st, 0);
            std::fprintf(stderr, "the probe timed out\n");
            ++failures;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            std::fprintf(stderr, "the other user got in (probe status %d)\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            ++failures;
        }
    }
    sim_context.reset();
    if (ep) psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 1'000'000'000LL);
    psm2_finalize();
    // The probe made files of its own user; remove them with the user.
    std::string other_prefix = "psm2_sim." + std::to_string(uid) + ".";
    std::string other_seg = "psm2cpp." + std::to_string(uid) + ".";
    if (DIR* d = opendir("/dev/shm")) {
        while (dirent* e = readdir(d)) {
            std::string n = e->d_name;
            if (n.rfind(other_prefix, 0) == 0 || n.rfind(other_seg, 0) == 0) unlink(("/dev/shm/" + n).c_str());
        }
        closedir(d);
    }
    for (auto& f : our_files(hex16(uuid), fabric)) unlink(("/dev/shm/" + f).c_str());
    std::filesystem::remove_all(dir, ec);
    std::puts(failures ? "FAILED" : "passed: the second user cannot open our segments nor connect");
    return failures ? 1 : 0;
}
