#include "peer_link.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace perf {

namespace {

// Tells the exec'ed rank 1 which descriptors lead to rank 0: "read,write".
constexpr const char* peer_fds_env = "PSM2PERF_PEER_FDS";

// Set by rank 0 once it lets rank 1 go; before that a dead rank 1 means a
// failed run, and waiting for it inside a PSM2 call would last until the alarm.
volatile sig_atomic_t child_may_exit = 0;

void on_child_exit(int)
{
    if (child_may_exit) return;
    static const char msg[] = "psm2-perf: rank 1 exited during the run\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(1);
}

}  // namespace

int PeerLink::start(char** argv, int timeout_s)
{
    if (const char* fds = std::getenv(peer_fds_env)) {
        if (std::sscanf(fds, "%d,%d", &from_peer_, &to_peer_) != 2) return -1;
        unsetenv(peer_fds_env);
        return 1;  // alarm and death signal were set up before the exec
    }
    return fork_rank1(argv, timeout_s);
}

int PeerLink::fork_rank1(char** argv, int timeout_s)
{
    int down[2];  // rank 0 -> rank 1
    int up[2];    // rank 1 -> rank 0
    if (pipe(down) != 0) return -1;
    if (pipe(up) != 0) {
        close(down[0]);
        close(down[1]);
        return -1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_child_exit;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, nullptr);

    const pid_t parent = getpid();
    alarm(static_cast<unsigned>(timeout_s));  // inherited across fork and exec
    child_ = fork();
    if (child_ < 0) return -1;
    if (child_ == 0) {
        signal(SIGCHLD, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // survives the exec below
        if (getppid() != parent) _exit(1);  // rank 0 died before prctl
        alarm(static_cast<unsigned>(timeout_s));
        close(down[1]);
        close(up[0]);
        const std::string fds = std::to_string(down[0]) + "," + std::to_string(up[1]);
        setenv(peer_fds_env, fds.c_str(), 1);
        execv("/proc/self/exe", argv);
        std::perror("psm2-perf: exec of rank 1");
        _exit(1);
    }
    close(down[0]);
    close(up[1]);
    to_peer_ = down[1];
    from_peer_ = up[0];
    return 0;
}

bool PeerLink::send(const void* data, std::size_t len)
{
    const char* p = static_cast<const char*>(data);
    while (len > 0) {
        ssize_t n = write(to_peer_, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

bool PeerLink::recv(void* data, std::size_t len)
{
    char* p = static_cast<char*>(data);
    while (len > 0) {
        ssize_t n = read(from_peer_, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

bool PeerLink::barrier()
{
    char token = 'b';
    char got = 0;
    return send(&token, 1) && recv(&got, 1) && got == token;
}

void PeerLink::wait_for_release()
{
    char c;
    while (read(from_peer_, &c, 1) > 0) {
    }
}

void PeerLink::kill_child()
{
    if (child_ <= 0) return;
    child_may_exit = 1;
    kill(child_, SIGKILL);
    while (waitpid(child_, nullptr, 0) < 0 && errno == EINTR) {
    }
    child_ = -1;
}

bool PeerLink::reap_child()
{
    if (child_ <= 0) return true;
    child_may_exit = 1;
    close(to_peer_);  // rank 1 waits for this EOF before it exits
    int status = 0;
    while (waitpid(child_, &status, 0) < 0) {
        if (errno != EINTR) return false;
    }
    child_ = -1;
    if (WIFSIGNALED(status)) {
        std::fprintf(stderr, "psm2-perf: rank 1 killed by signal %d\n", WTERMSIG(status));
        return false;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace perf
