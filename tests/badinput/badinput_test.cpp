// Runs every row of the bad-input table in its own forked child, bounded by
// a timeout, and checks that the table covers every exported function.
#include <dlfcn.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <climits>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/badinput/c_calls.h"
#include "tests/badinput/table.h"
#include "tests/badinput/world.h"

namespace badinput {
namespace {

constexpr int kRowTimeoutMs = 20'000;   // generous for sanitizer builds; a row takes milliseconds

std::vector<Row> all_rows() {
    std::vector<Row> rows;
    for (auto part : {core_rows(), endpoint_rows(), mq_rows(), am_rows(), hfi_rows()})
        rows.insert(rows.end(), part.begin(), part.end());
    return rows;
}

const std::vector<Row>& table() {
    static const std::vector<Row> rows = all_rows();
    return rows;
}

bool real_hfi_present() {
    glob_t g{};
    bool found = glob("/dev/hfi1_[0-9]*", 0, nullptr, &g) == 0 && g.gl_pathc > 0;
    globfree(&g);
    return found;
}

bool is_hfi_row(const Row& r) { return std::strncmp(r.fn, "hfi_", 4) == 0; }

struct ChildResult {
    bool got = false;
    Observed o;
    std::string failure;   // crash, timeout or non-zero exit
};

// Forks, runs the row in the child, and collects Observed through a pipe.
ChildResult run_forked(const Row& row) {
    ChildResult res;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        res.failure = "pipe2 failed";
        return res;
    }
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
        res.failure = "fork failed";
        return res;
    }
    if (pid == 0) {
        close(fds[0]);
        Observed o = run_row(row);
        ssize_t n = write(fds[1], &o, sizeof o);
        close(fds[1]);
        // exit(), not _exit(): LeakSanitizer checks the child at exit.
        std::exit(n == static_cast<ssize_t>(sizeof o) ? 0 : 4);
    }
    close(fds[1]);
    pollfd p{fds[0], POLLIN, 0};
    int ready = poll(&p, 1, kRowTimeoutMs);
    if (ready == 1) res.got = read(fds[0], &res.o, sizeof res.o) == static_cast<ssize_t>(sizeof res.o);
    close(fds[0]);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ready == 1 ? kRowTimeoutMs : 0);
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            res.failure = "timed out after " + std::to_string(kRowTimeoutMs) + " ms (hang)";
            return res;
        }
        usleep(1000);
    }
    if (WIFSIGNALED(status))
        res.failure = std::string("child died of signal ") + strsignal(WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        res.failure = "child exited with status " + std::to_string(WEXITSTATUS(status)) +
                      " (3: row setup failed, other: sanitizer or leak report above)";
    return res;
}

std::string code_name(int c) {
    return std::to_string(c) + " (" + badinput_error_string(c) + ")";
}

bool is_error_code(int c) {
    return c != PSM2_OK && c != PSM2_OK_NO_PROGRESS && c != PSM2_MQ_NO_COMPLETIONS;
}

class BadInput : public ::testing::TestWithParam<Row> {};

}  // namespace

// How gtest shows a row in a failure message.
void PrintTo(const Row& r, std::ostream* os) { *os << r.fn << " / " << r.what; }

namespace {

TEST_P(BadInput, ReturnsTheDocumentedCode) {
    const Row& row = GetParam();
    if (is_hfi_row(row) && real_hfi_present()) GTEST_SKIP() << "a real /dev/hfi1_N exists: rows assume none";
    SCOPED_TRACE(std::string(row.fn) + " / " + row.what + " - why: " + row.why);

    ChildResult r = run_forked(row);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    ASSERT_TRUE(r.got) << "no result from the child";
    const Observed& o = r.o;
    ASSERT_TRUE(o.setup_ok) << "could not build the starting state: " << o.setup_error;

    switch (row.expect) {
    case Expect::Code:
        EXPECT_EQ(o.result, row.code) << "got " << code_name(o.result) << ", want " << code_name(row.code);
        break;
    case Expect::Errno:
        EXPECT_EQ(o.result, -1) << "the call did not fail";
        EXPECT_EQ(o.errno_after, row.code) << "errno " << strerror(o.errno_after) << ", want " << strerror(row.code);
        break;
    case Expect::Holds:
        EXPECT_EQ(o.result, kHolds) << "the documented outcome does not hold";
        break;
    }

    Handler h = row.handler;
    if (h == Handler::Auto)
        h = row.expect == Expect::Code && is_error_code(row.code) ? Handler::Raises : Handler::Silent;
    if (h == Handler::Raises) {
        EXPECT_GE(o.handler_calls, 1) << "the error handler was not called";
        EXPECT_EQ(o.handler_last_code, row.code) << "the handler saw " << code_name(o.handler_last_code);
        EXPECT_GT(o.handler_msg_len, 0) << "the handler got an empty message";
        EXPECT_EQ(o.defer_mismatches, 0) << "psm2_error_defer(token) changed the code";
    } else {
        EXPECT_EQ(o.handler_calls, 0) << "the error handler was called (last code "
                                      << code_name(o.handler_last_code) << ")";
    }
    if (o.alive != -1) {
        EXPECT_EQ(o.alive, 1) << "the endpoint no longer moves a message to itself";
    }
    EXPECT_EQ(o.teardown_code, PSM2_OK) << "psm2_finalize after the row: " << code_name(o.teardown_code);
}

std::string row_name(const ::testing::TestParamInfo<Row>& info) {
    std::string s = std::string(info.param.fn) + "__" + info.param.what;
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
    return s;
}

INSTANTIATE_TEST_SUITE_P(Table, BadInput, ::testing::ValuesIn(table()), row_name);

// ---- the table itself ----------------------------------------------------

std::string symbols_file() {
    if (const char* p = std::getenv("PSM2_BADINPUT_SYMBOLS")) return p;
    return BADINPUT_SYMBOLS_FILE;
}

// "function NAME@@PSM2_1.0" lines of tests/symbols/expected_symbols.txt.
std::set<std::string> exported_functions() {
    std::set<std::string> names;
    std::ifstream in(symbols_file());
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string kind, sym;
        if (!(ls >> kind >> sym) || kind != "function") continue;
        names.insert(sym.substr(0, sym.find('@')));
    }
    return names;
}

TEST(BadInputTable, EveryExportedFunctionHasARow) {
    std::set<std::string> exported = exported_functions();
    ASSERT_GT(exported.size(), 70u) << "could not read " << symbols_file();
    std::set<std::string> covered;
    for (const Row& r : table()) covered.insert(r.fn);
    for (const std::string& fn : exported) EXPECT_TRUE(covered.count(fn)) << fn << " has no row in the table";
    for (const std::string& fn : covered)
        EXPECT_TRUE(exported.count(fn)) << fn << " is in the table but not in " << symbols_file();
}

std::string real(const char* path) {
    char buf[PATH_MAX];
    return realpath(path, buf) ? std::string(buf) : std::string(path);
}

TEST(BadInputTable, EveryRowCallsOurLibrary) {
    // The rows call through the dynamic symbol table: each name must resolve
    // into the libpsm2.so.2 of this build - not into Debian's, which the
    // loader would pick if ours were missing.
    const std::string build_root = real(BADINPUT_BUILD_ROOT) + "/";
    for (const Row& r : table()) {
        void* sym = dlsym(RTLD_DEFAULT, r.fn);
        ASSERT_NE(sym, nullptr) << r.fn;
        Dl_info info{};
        ASSERT_NE(dladdr(sym, &info), 0) << r.fn;
        std::string lib = real(info.dli_fname);
        EXPECT_EQ(lib.rfind(build_root, 0), 0u) << r.fn << " resolves to " << lib << ", not into " << build_root;
        EXPECT_NE(lib.find("libpsm2.so"), std::string::npos) << r.fn << " resolves to " << lib;
    }
}

TEST(BadInputTable, RowsAreUniqueAndExplained) {
    std::set<std::string> seen;
    for (const Row& r : table()) {
        EXPECT_TRUE(seen.insert(std::string(r.fn) + "/" + r.what).second) << "duplicate row " << r.fn << "/" << r.what;
        EXPECT_GT(std::strlen(r.why), 5u) << r.fn << "/" << r.what << " says nowhere why";
    }
    std::printf("bad-input table: %zu rows\n", table().size());
}

}  // namespace
}  // namespace badinput
