// In-process checks of the API lock and the progress thread (suite
// 'threads', also run under TSan): PSM2_RCVTHREAD_FREQ parsing, when the
// thread starts and that close joins it, and several user threads plus the
// progress thread driving one endpoint at once (self loopback: messages and
// active messages whose handler replies from inside the poll).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "psm/progress_thread.h"
#include "psm2.h"
#include "psm2_am.h"
#include "psm2_mq.h"

namespace {

using psm::progress_thread::parse_frequency;
using psm::progress_thread::running_for;

TEST(ProgressFrequency, ParsesMinMaxShift) {
    auto f = parse_frequency("10:100:1");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->min_hz, 10u);
    EXPECT_EQ(f->max_hz, 100u);
    EXPECT_EQ(f->shift, 1u);
    f = parse_frequency("50:200");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->min_hz, 50u);
    EXPECT_EQ(f->max_hz, 200u);
    f = parse_frequency("500");   // min alone: max follows when below it
    ASSERT_TRUE(f);
    EXPECT_EQ(f->min_hz, 500u);
    EXPECT_EQ(f->max_hz, 500u);
}

TEST(ProgressFrequency, RefusesNonsense) {
    for (const char* bad : {"", "0:100:1", "100:10:1", "10:100:17", "10:100:1:1", "a:b:c", "10::1", "-5:10:1",
                            "10:100:1x"})
        EXPECT_FALSE(parse_frequency(bad)) << bad;
}

class Endpoint : public ::testing::Test {
protected:
    void SetUp() override {
        setenv("PSM2_DEVICES", "self,shm", 1);
        int major = PSM2_VERNO_MAJOR, minor = PSM2_VERNO_MINOR;
        ASSERT_EQ(psm2_init(&major, &minor), PSM2_OK);
    }
    void TearDown() override {
        unsetenv("PSM2_RCVTHREAD");
        unsetenv("PSM2_RCVTHREAD_FREQ");
        EXPECT_EQ(psm2_finalize(), PSM2_OK);
    }
    psm2_ep_t open() {
        psm2_uuid_t key;
        psm2_uuid_generate(key);
        psm2_ep_t ep = nullptr;
        psm2_epid_t epid = 0;
        EXPECT_EQ(psm2_ep_open(key, nullptr, &ep, &epid), PSM2_OK);
        return ep;
    }
};

TEST_F(Endpoint, ShmOnlyRunsNoThreadUnlessAsked) {
    unsetenv("PSM2_RCVTHREAD");
    psm2_ep_t ep = open();
    EXPECT_FALSE(running_for(ep));
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
    setenv("PSM2_RCVTHREAD", "0", 1);
    ep = open();
    EXPECT_FALSE(running_for(ep));
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

TEST_F(Endpoint, ExplicitRcvthreadStartsAndCloseJoins) {
    setenv("PSM2_RCVTHREAD", "1", 1);
    setenv("PSM2_RCVTHREAD_FREQ", "1000:1000:0", 1);
    for (int i = 0; i < 10; ++i) {
        psm2_ep_t ep = open();
        EXPECT_TRUE(running_for(ep));
        std::this_thread::sleep_for(std::chrono::milliseconds(3));   // let it poll a few times
        EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
    }
}

TEST_F(Endpoint, FinalizeStopsTheThreadOfAnOpenEndpoint) {
    setenv("PSM2_RCVTHREAD", "1", 1);
    psm2_ep_t ep = open();
    EXPECT_TRUE(running_for(ep));
    // TearDown's psm2_finalize closes ep and must join the thread first.
}

// An error handler runs with the API lock held; this one keeps it a while.
psm2_error_t slow_handler(psm2_ep_t, const psm2_error_t err, const char*, psm2_error_token_t) {
    usleep(200);
    return err;
}

// fork() while another thread is inside the library (here: in an error
// handler, lock held almost all the time) must not hand the child a held
// lock: the child calls into the library and must exit promptly.
TEST_F(Endpoint, ForkWhileAnotherThreadIsInsideLeavesChildUsable) {
    psm2_ep_t ep = open();
    psm2_mq_t mq;
    ASSERT_EQ(psm2_mq_init(ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq), PSM2_OK);
    ASSERT_EQ(psm2_error_register_handler(ep, slow_handler), PSM2_OK);
    std::atomic<bool> stop{false};
    std::thread inside([&] {
        uint64_t b;
        while (!stop)   // NULL request pointer: PSM2_PARAM_ERR through the handler
            psm2_mq_irecv(mq, 1, ~0ull, 0, &b, sizeof b, nullptr, nullptr);
    });
    for (int i = 0; i < 20; ++i) {
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            int n = 0;
            _exit(psm2_ep_query(&n, nullptr) == PSM2_OK && n == 1 ? 0 : 3);
        }
        int status = 0;
        pid_t done = 0;
        for (int ms = 0; ms < 3000 && done == 0; ++ms) {
            done = waitpid(pid, &status, WNOHANG);
            if (done == 0) usleep(1000);
        }
        if (done == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            ADD_FAILURE() << "child " << i << " hung on the API lock";
            break;
        }
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << i;
    }
    stop = true;
    inside.join();
    EXPECT_EQ(psm2_mq_finalize(mq), PSM2_OK);
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

std::atomic<int> g_requests{0}, g_replies{0};

int on_request(psm2_am_token_t token, psm2_amarg_t* args, int nargs, void*, uint32_t) {
    g_requests.fetch_add(1);
    // Re-entrant lock: whichever thread runs this handler holds the API
    // lock already (a user thread in a poll, or the progress thread).
    return psm2_am_reply_short(token, static_cast<psm2_handler_t>(args[0].u32w0), args, nargs, nullptr, 0, 0,
                               nullptr, nullptr);
}

int on_reply(psm2_am_token_t, psm2_amarg_t*, int, void*, uint32_t) {
    g_replies.fetch_add(1);
    return 0;
}

TEST_F(Endpoint, UserThreadsAndProgressThreadShareOneEndpoint) {
    setenv("PSM2_RCVTHREAD", "1", 1);
    setenv("PSM2_RCVTHREAD_FREQ", "2000:10000:1", 1);
    psm2_ep_t ep = open();
    ASSERT_TRUE(running_for(ep));
    psm2_epinfo_t info;
    int n = 1;
    ASSERT_EQ(psm2_ep_query(&n, &info), PSM2_OK);
    psm2_epid_t self_epid = info.epid;
    psm2_epaddr_t self = nullptr;
    psm2_error_t err;
    ASSERT_EQ(psm2_ep_connect(ep, 1, &self_epid, nullptr, &err, &self, 5'000'000'000LL), PSM2_OK);
    psm2_mq_t mq;
    ASSERT_EQ(psm2_mq_init(ep, PSM2_MQ_ORDERMASK_ALL, nullptr, 0, &mq), PSM2_OK);
    psm2_am_handler_fn_t fns[2] = {on_request, on_reply};
    int idx[2];
    ASSERT_EQ(psm2_am_register_handlers(ep, fns, 2, idx), PSM2_OK);

    constexpr int kThreads = 4, kMessages = 300, kAms = 100;
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kMessages; ++i) {
                const uint64_t tag = uint64_t(t) << 32 | uint32_t(i);
                const uint32_t len = (i % 3 == 0) ? 40000 : 16;   // eager and rendezvous on self
                std::vector<uint8_t> out(len, static_cast<uint8_t>(t * 31 + i)), in(len, 0);
                psm2_mq_req_t rr, sr;
                if (psm2_mq_irecv(mq, tag, ~0ull, 0, in.data(), len, nullptr, &rr) != PSM2_OK ||
                    psm2_mq_isend(mq, self, 0, tag, out.data(), len, nullptr, &sr) != PSM2_OK ||
                    psm2_mq_wait(&sr, nullptr) != PSM2_OK || psm2_mq_wait(&rr, nullptr) != PSM2_OK || in != out)
                    bad.fetch_add(1);
            }
            for (int i = 0; i < kAms; ++i) {
                psm2_amarg_t arg{};
                arg.u32w0 = static_cast<uint32_t>(idx[1]);
                if (psm2_am_request_short(self, static_cast<psm2_handler_t>(idx[0]), &arg, 1, nullptr, 0, 0, nullptr,
                                          nullptr) != PSM2_OK)
                    bad.fetch_add(1);
                psm2_poll(ep);
            }
        });
    for (auto& th : threads) th.join();
    // Replies still in flight are delivered by polls - ours or the thread's.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (g_replies.load() < kThreads * kAms && std::chrono::steady_clock::now() < deadline) psm2_poll(ep);
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(g_requests.load(), kThreads * kAms);
    EXPECT_EQ(g_replies.load(), kThreads * kAms);
    EXPECT_EQ(psm2_mq_finalize(mq), PSM2_OK);
    EXPECT_EQ(psm2_ep_close(ep, PSM2_EP_CLOSE_GRACEFUL, 0), PSM2_OK);
}

}  // namespace
