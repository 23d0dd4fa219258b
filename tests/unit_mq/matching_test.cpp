// Tag matching: 96-bit selectors, sources, post order, arrival order,
// per-source order, and a randomised comparison against a plain reference
// model of the rules in psm2_mq.h.
#include <random>

#include "harness.h"

namespace mqtest {
namespace {

constexpr uint32_t kAll = 0xffffffffu;

// Receiver b with two senders x and y.
struct Trio : ::testing::Test {
    Node b, x, y;
    Link xb{x, b, 0x1, 0x3}, yb{y, b, 0x2, 0x3};
    psm2_epaddr_t src(int which) { return which == 1 ? &xb.b_to_a : which == 2 ? &yb.b_to_a : nullptr; }
    Link& link(int which) { return which == 1 ? xb : yb; }
};

struct MatchCase {
    const char* name;
    int recv_src;               // 0 = any source, 1 = x, 2 = y
    psm2_mq_tag_t rtag, rsel;
    int msg_src;                // 1 = x, 2 = y
    psm2_mq_tag_t mtag;
    bool match;
};

const MatchCase kCases[] = {
    {"exact96", 0, tag3(1, 2, 3), tag3(kAll, kAll, kAll), 1, tag3(1, 2, 3), true},
    {"exact96_word2_differs", 0, tag3(1, 2, 3), tag3(kAll, kAll, kAll), 1, tag3(1, 2, 4), false},
    {"exact96_word0_differs", 0, tag3(1, 2, 3), tag3(kAll, kAll, kAll), 1, tag3(0, 2, 3), false},
    {"exact96_word1_differs", 0, tag3(1, 2, 3), tag3(kAll, kAll, kAll), 1, tag3(1, 7, 3), false},
    {"word2_ignored", 0, tag3(1, 2, 3), tag3(kAll, kAll, 0), 1, tag3(1, 2, 99), true},
    {"single_bit_selector_hit", 0, tag3(0, 0x80000000u, 0), tag3(0, 0x80000000u, 0), 2, tag3(5, 0x80001234u, 7),
     true},
    {"single_bit_selector_miss", 0, tag3(0, 0x80000000u, 0), tag3(0, 0x80000000u, 0), 2, tag3(5, 0x1234u, 7),
     false},
    {"zero_selector_matches_all", 0, tag3(9, 9, 9), tag3(0, 0, 0), 2, tag3(1, 2, 3), true},
    {"high_word_bits_only", 0, tag3(0, 0, 0xabcd0000u), tag3(0, 0, 0xffff0000u), 1, tag3(7, 7, 0xabcd1234u), true},
    {"high_word_bits_differ", 0, tag3(0, 0, 0xabcd0000u), tag3(0, 0, 0xffff0000u), 1, tag3(7, 7, 0xabce1234u),
     false},
    {"source_x_from_x", 1, tag3(1, 2, 3), tag3(kAll, kAll, kAll), 1, tag3(1, 2, 3), true},
    {"source_x_from_y", 1, tag3(1, 2, 3), tag3(kAll, kAll, kAll), 2, tag3(1, 2, 3), false},
    {"any_source_from_y", 0, tag3(1, 2, 3), tag3(kAll, kAll, kAll), 2, tag3(1, 2, 3), true},
    {"source_y_wildcard_tag", 2, tag3(0, 0, 0), tag3(0, 0, 0), 2, tag3(4, 5, 6), true},
    {"source_y_wildcard_tag_from_x", 2, tag3(0, 0, 0), tag3(0, 0, 0), 1, tag3(4, 5, 6), false},
};

class MatchTable : public Trio, public ::testing::WithParamInterface<std::tuple<MatchCase, bool>> {};

TEST_P(MatchTable, MatchesExactlyWhenSelectorAndSourceAgree) {
    const auto& [c, message_first] = GetParam();
    Recv r;
    if (message_first) inject(b, link(c.msg_src), c.mtag, 42);
    post(b, r, src(c.recv_src), c.rtag, c.rsel);
    if (!message_first) inject(b, link(c.msg_src), c.mtag, 42);
    EXPECT_EQ(finished(r), c.match ? 42 : -1) << c.name;
    if (!c.match) {
        EXPECT_EQ(psm2_mq_cancel(&r.req), PSM2_OK);
        EXPECT_EQ(finished(r), 0xffffffffu);
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, MatchTable, ::testing::Combine(::testing::ValuesIn(kCases), ::testing::Bool()),
                         [](const auto& info) {
                             return std::string(std::get<0>(info.param).name) +
                                    (std::get<1>(info.param) ? "_unexpected" : "_posted");
                         });

using Matching = Trio;

TEST_F(Matching, SixtyFourBitApiLeavesWordTwoUnmatched) {
    uint32_t got = 0;
    psm2_mq_req_t req;
    ASSERT_EQ(psm2_mq_irecv(b.mq, 0x0000000500000007ull, ~0ull, 0, &got, sizeof got, nullptr, &req), PSM2_OK);
    inject(b, xb, tag3(7, 5, 12345), 77);
    psm2_mq_status_t st;
    ASSERT_EQ(psm2_mq_test(&req, &st), PSM2_OK);
    EXPECT_EQ(got, 77u);
    EXPECT_EQ(st.msg_tag, 0x0000000500000007ull);
}

TEST_F(Matching, PostOrderAcrossHashAndWildcardQueues) {
    const psm2_mq_tag_t t = tag3(10, 1, 0);
    Recv any_tag, exact, any_src, everything;
    post(b, any_tag, nullptr, tag3(0, 1, 0), tag3(0, kAll, kAll));
    post(b, exact, src(1), t, tag3(kAll, kAll, kAll));
    post(b, any_src, nullptr, t, tag3(kAll, 0, kAll));
    post(b, everything, nullptr, tag3(0, 0, 0), tag3(0, 0, 0));
    for (uint32_t id = 1; id <= 4; ++id) inject(b, xb, t, id);
    EXPECT_EQ(finished(any_tag), 1);
    EXPECT_EQ(finished(exact), 2);
    EXPECT_EQ(finished(any_src), 3);
    EXPECT_EQ(finished(everything), 4);
}

TEST_F(Matching, ExactPostedBeforeWildcardWins) {
    const psm2_mq_tag_t t = tag3(3, 3, 3);
    Recv exact, wild;
    post(b, exact, nullptr, t, tag3(kAll, kAll, kAll));
    post(b, wild, nullptr, tag3(0, 0, 0), tag3(0, 0, 0));
    inject(b, yb, t, 1);
    EXPECT_EQ(finished(exact), 1);
    EXPECT_EQ(finished(wild), -1);
    inject(b, yb, tag3(8, 8, 8), 2);
    EXPECT_EQ(finished(wild), 2);
}

TEST_F(Matching, UnexpectedMessagesMatchInArrivalOrder) {
    const psm2_mq_tag_t t = tag3(4, 0, 1);
    inject(b, xb, t, 1);
    inject(b, yb, t, 2);
    inject(b, xb, t, 3);
    inject(b, yb, tag3(4, 0, 2), 4);
    Recv wild, exact_any, from_x, word2_any;
    post(b, wild, nullptr, tag3(4, 0, 0), tag3(kAll, kAll, kAll));   // matches nothing: word2 = 0
    post(b, exact_any, nullptr, t, tag3(kAll, kAll, kAll));
    post(b, from_x, src(1), t, tag3(kAll, kAll, kAll));
    post(b, word2_any, nullptr, tag3(4, 0, 0), tag3(kAll, kAll, 0));
    EXPECT_EQ(finished(wild), -1);
    EXPECT_EQ(finished(exact_any), 1);
    EXPECT_EQ(finished(from_x), 3);
    EXPECT_EQ(finished(word2_any), 2);
    Recv last;
    post(b, last, nullptr, tag3(0, 0, 0), tag3(0, 0, 0));
    EXPECT_EQ(finished(last), 4);
    EXPECT_EQ(psm2_mq_cancel(&wild.req), PSM2_OK);
}

TEST_F(Matching, PerSourceOrderWithInterleavedWildcardAndExactReceives) {
    // x sends ids 0..99 with tags cycling over 3 values; b receives them with
    // a mix of exact, any-tag and any-source receives, some posted before the
    // messages arrive and some after. Per-source order: within one tag, ids
    // arrive increasing; any-tag receives see all ids increasing.
    std::vector<Recv> recvs(100);
    for (int i = 0; i < 50; ++i) {
        if (i % 3 == 0) post(b, recvs[i], src(1), tag3(0, 0, 0), tag3(0, 0, 0));
        else post(b, recvs[i], nullptr, tag3(uint32_t(i % 3), 0, 0), tag3(kAll, kAll, kAll));
    }
    for (uint32_t id = 0; id < 100; ++id) inject(b, xb, tag3(id % 3, 0, 0), id);
    for (int i = 50; i < 100; ++i) {
        if (i % 2 == 0) post(b, recvs[i], nullptr, tag3(0, 0, 0), tag3(0, 0, 0));
        else post(b, recvs[i], src(1), tag3(uint32_t(i % 3), 0, 0), tag3(kAll, 0, kAll));
    }
    std::vector<int64_t> got(100);
    for (int i = 0; i < 100; ++i) got[i] = finished(recvs[i]);
    int64_t last_any = -1, last_of_tag[3] = {-1, -1, -1};
    for (int i = 0; i < 100; ++i) {
        ASSERT_GE(got[i], 0) << "receive " << i << " did not complete";
        bool any_tag = (i < 50 && i % 3 == 0) || (i >= 50 && i % 2 == 0);
        if (any_tag) {
            EXPECT_GT(got[i], last_any);
            last_any = got[i];
        } else {
            EXPECT_EQ(got[i] % 3, i % 3);
            EXPECT_GT(got[i], last_of_tag[i % 3]);
            last_of_tag[i % 3] = got[i];
        }
    }
    std::vector<int64_t> sorted = got;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 100; ++i) EXPECT_EQ(sorted[i], i);   // each message exactly once
}

TEST_F(Matching, TenThousandPostedExactReceives) {
    constexpr uint32_t n = 10000;
    std::vector<Recv> recvs(n);
    for (uint32_t i = 0; i < n; ++i) post(b, recvs[i], nullptr, tag3(i, 0xc0ffee, 1), tag3(kAll, kAll, kAll));
    EXPECT_EQ(b.engine->posted_count(), n);
    for (uint32_t i = n; i-- > 0;) inject(b, i % 2 ? xb : yb, tag3(i, 0xc0ffee, 1), i * 7);
    EXPECT_EQ(b.engine->posted_count(), 0u);
    EXPECT_EQ(b.engine->unexpected_count(), 0u);
    for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(finished(recvs[i]), int64_t(i) * 7) << i;
}

TEST_F(Matching, SameTagChainsKeepOrderWhileTheIndexGrows) {
    constexpr uint32_t n = 3000;   // several table doublings on both sides
    std::vector<Recv> recvs(n);
    for (uint32_t i = 0; i < n; ++i) post(b, recvs[i], nullptr, tag3(i % 5, 0, 0), tag3(kAll, kAll, kAll));
    for (uint32_t i = 0; i < n; ++i) inject(b, xb, tag3(i % 5, 0, 0), i);
    for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(finished(recvs[i]), i);

    for (uint32_t i = 0; i < n; ++i) inject(b, yb, tag3(i % 7, 1, 0), i);
    for (uint32_t i = 0; i < n; ++i) {
        Recv r;
        post(b, r, src(2), tag3(i % 7, 1, 0), tag3(kAll, kAll, kAll));
        ASSERT_EQ(finished(r), i);
    }
}

// ---- randomised comparison with a reference model --------------------------

struct RefRecv {
    int id;
    int src;
    psm2_mq_tag_t tag, sel;
};
struct RefMsg {
    int id;
    int src;
    psm2_mq_tag_t tag;
};

bool ref_matches(const RefRecv& r, const RefMsg& m) {
    for (int w = 0; w < 3; ++w)
        if ((m.tag.tag[w] ^ r.tag.tag[w]) & r.sel.tag[w]) return false;
    return r.src == 0 || r.src == m.src;
}

class MatchingModel : public Trio, public ::testing::WithParamInterface<int> {};

TEST_P(MatchingModel, EngineAgreesWithReferenceModel) {
    std::mt19937 rng(static_cast<uint32_t>(GetParam()));
    // More selector shapes than the engine has hash classes, so the wildcard
    // queue and class recycling are exercised as well.
    const psm2_mq_tag_t sels[] = {tag3(kAll, kAll, kAll), tag3(0, kAll, kAll), tag3(kAll, 0, kAll),
                                  tag3(0, 0, kAll),       tag3(0, 0, 0),       tag3(1, kAll, kAll),
                                  tag3(kAll, kAll, 0)};
    constexpr int kOps = 600;
    std::vector<RefRecv> posted;
    std::vector<RefMsg> unexpected;
    std::vector<int> expect(kOps, -1);   // receive id -> message id
    std::vector<Recv> recvs(kOps);
    int nrecv = 0, nmsg = 0;
    auto rand_tag = [&] { return tag3(rng() % 4, rng() % 3, rng() % 2); };
    for (int op = 0; op < kOps; ++op) {
        if (rng() % 2) {
            RefMsg m{nmsg++, int(rng() % 2) + 1, rand_tag()};
            auto it = std::find_if(posted.begin(), posted.end(), [&](const RefRecv& r) { return ref_matches(r, m); });
            if (it != posted.end()) {
                expect[it->id] = m.id;
                posted.erase(it);
            } else {
                unexpected.push_back(m);
            }
            inject(b, link(m.src), m.tag, uint32_t(m.id));
        } else {
            RefRecv r{nrecv++, int(rng() % 3), rand_tag(), sels[rng() % std::size(sels)]};
            auto it = std::find_if(unexpected.begin(), unexpected.end(),
                                   [&](const RefMsg& m) { return ref_matches(r, m); });
            if (it != unexpected.end()) {
                expect[r.id] = it->id;
                unexpected.erase(it);
            } else {
                posted.push_back(r);
            }
            post(b, recvs[r.id], src(r.src), r.tag, r.sel);
        }
    }
    int matched = static_cast<int>(std::count_if(expect.begin(), expect.end(), [](int v) { return v >= 0; }));
    EXPECT_GT(matched, kOps / 10);   // the random mix must actually exercise matching
    for (int i = 0; i < nrecv; ++i) ASSERT_EQ(finished(recvs[i]), expect[i]) << "receive " << i;
    EXPECT_EQ(b.engine->posted_count(), posted.size());
    EXPECT_EQ(b.engine->unexpected_count(), unexpected.size());
    for (int i = 0; i < nrecv; ++i)
        if (expect[i] < 0) {
            EXPECT_EQ(psm2_mq_cancel(&recvs[i].req), PSM2_OK);
        }
}

INSTANTIATE_TEST_SUITE_P(Seeds, MatchingModel, ::testing::Range(1, 41));

}  // namespace
}  // namespace mqtest
