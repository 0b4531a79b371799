#include <gtest/gtest.h>

#include "dlbfgs/partition.hpp"

namespace {

// Every (n, p, granularity) split covers [0, n) with contiguous blocks that are multiples of the
// granularity and differ by at most one unit, the larger ones first.
TEST(PartitionMathTest, BlocksAreContiguousBalancedAndAligned) {
  for (Eigen::Index k : {1, 2, 4, 3}) {
    for (int p = 1; p <= 9; ++p) {
      for (Eigen::Index units = 0; units <= 40; ++units) {
        const Eigen::Index n = units * k;
        EXPECT_EQ(dlbfgs::Partition::BlockOffset(n, p, k, 0), 0);
        EXPECT_EQ(dlbfgs::Partition::BlockOffset(n, p, k, p), n) << "n=" << n << " p=" << p;
        Eigen::Index smallest = n, largest = 0;
        for (int r = 0; r < p; ++r) {
          const Eigen::Index size = dlbfgs::Partition::BlockOffset(n, p, k, r + 1) -
                                    dlbfgs::Partition::BlockOffset(n, p, k, r);
          ASSERT_GE(size, 0);
          EXPECT_EQ(size % k, 0);
          if (r > 0) {
            const Eigen::Index previous = dlbfgs::Partition::BlockOffset(n, p, k, r) -
                                          dlbfgs::Partition::BlockOffset(n, p, k, r - 1);
            EXPECT_LE(size, previous) << "larger blocks come first";
          }
          smallest = std::min(smallest, size);
          largest = std::max(largest, size);
        }
        EXPECT_LE(largest - smallest, k) << "n=" << n << " p=" << p << " k=" << k;
      }
    }
  }
}

TEST(PartitionMathTest, FewerUnitsThanRanksLeavesTrailingRanksEmpty) {
  // n = 3 pairs over 5 ranks: ranks 0..2 own one pair each, ranks 3 and 4 own nothing.
  for (int r = 0; r < 5; ++r) {
    const Eigen::Index size =
        dlbfgs::Partition::BlockOffset(6, 5, 2, r + 1) - dlbfgs::Partition::BlockOffset(6, 5, 2, r);
    EXPECT_EQ(size, r < 3 ? 2 : 0);
  }
}

}  // namespace
