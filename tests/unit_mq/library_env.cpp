// psm2_init once for the whole binary (gtest_main provides main()).
#include "harness.h"

namespace {
[[maybe_unused]] auto* const env = ::testing::AddGlobalTestEnvironment(new mqtest::LibraryEnv);
}
