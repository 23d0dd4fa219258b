// Segment naming, permissions, cleanup at close, stale-segment removal after
// a crash, and refusal of another job's endpoint.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fake_sink.h"
#include "hal/shm/segment.h"

using namespace shmtest;
using psm::hal::shm::segment_name;

TEST(ShmSegment, NameCarriesUidUuidAndEpid) {
    psm2_uuid_t u;
    fill_uuid(u, 3);
    std::string n = segment_name(u, 0x0000123400000a0aULL);
    EXPECT_EQ(n.rfind("/psm2cpp." + std::to_string(getuid()) + ".", 0), 0u) << n;
    EXPECT_NE(n.find(".0000123400000a0a"), std::string::npos) << n;
    psm2_uuid_t v;
    fill_uuid(v, 4);
    EXPECT_NE(n, segment_name(v, 0x0000123400000a0aULL));
}

TEST(ShmSegment, CreatedPrivateAndUnlinkedAtClose) {
    Endpoint a;
    ASSERT_EQ(open_endpoint(a, 40), PSM2_OK);
    psm2_uuid_t u;
    fill_uuid(u, 1);
    std::string name = segment_name(u, a.epid);
    struct stat st {};
    ASSERT_EQ(stat(("/dev/shm" + name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    a.dev.reset();
    EXPECT_FALSE(shm_file_exists(name));
}

TEST(ShmSegment, CrashedOwnersSegmentIsRemovedByNextOpen) {
    psm2_uuid_t u;
    fill_uuid(u, 1);
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        Endpoint e;
        psm2_epid_t epid = open_endpoint(e, 41) == PSM2_OK ? e.epid : 0;
        (void)!write(pipefd[1], &epid, sizeof epid);
        _exit(0);   // no destructor: the segment stays behind, as after a crash
    }
    psm2_epid_t epid = 0;
    ASSERT_EQ(read(pipefd[0], &epid, sizeof epid), static_cast<ssize_t>(sizeof epid));
    close(pipefd[0]);
    close(pipefd[1]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_NE(epid, 0u);
    std::string name = segment_name(u, epid);
    ASSERT_TRUE(shm_file_exists(name)) << "the child's segment should outlive it";
    Endpoint next;
    ASSERT_EQ(open_endpoint(next, 42), PSM2_OK);
    EXPECT_FALSE(shm_file_exists(name)) << "stale segment " << name << " was not removed";
}

TEST(ShmSegment, LiveSegmentsSurviveTheSweep) {
    Endpoint a, b;
    ASSERT_EQ(open_endpoint(a, 43), PSM2_OK);
    ASSERT_EQ(open_endpoint(b, 44), PSM2_OK);   // sweeps while a is alive
    psm2_uuid_t u;
    fill_uuid(u, 1);
    EXPECT_TRUE(shm_file_exists(segment_name(u, a.epid)));
}

TEST(ShmSegment, OtherJobsEndpointIsRefused) {
    Endpoint a, b;
    ASSERT_EQ(open_endpoint(a, 45, /*seed=*/1), PSM2_OK);
    ASSERT_EQ(open_endpoint(b, 46, /*seed=*/2), PSM2_OK);
    EXPECT_TRUE(a.dev->reaches(b.epid));   // so that connect can explain the refusal
    Conn* c = nullptr;
    EXPECT_EQ(a.dev->connect(b.epid, 0, &c), PSM2_EPID_INVALID_UUID_KEY);
    EXPECT_EQ(c, nullptr);
}

TEST(ShmSegment, AbsentEndpointIsUnreachable) {
    Endpoint a;
    ASSERT_EQ(open_endpoint(a, 47), PSM2_OK);
    psm2_epid_t nobody = shm_epid(0x7ffffff0u, 3);
    EXPECT_FALSE(a.dev->reaches(nobody));
    Conn* c = nullptr;
    EXPECT_EQ(a.dev->connect(nobody, 0, &c), PSM2_EPID_UNREACHABLE);
}
