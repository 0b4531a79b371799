#include "dlbfgs/partition.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <stdexcept>

#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::test_support::WorldSize;

// Sizes gathered from every rank tile [0, n) in rank order, and OwnerOf agrees with them.
void ExpectConsistent(const dlbfgs::Partition& part) {
  const int p = part.size();
  long long mine[2] = {static_cast<long long>(part.offset()),
                       static_cast<long long>(part.local_size())};
  std::vector<long long> all(2 * p);
  MPI_Allgather(mine, 2, MPI_LONG_LONG, all.data(), 2, MPI_LONG_LONG, MPI_COMM_WORLD);
  long long next = 0;
  for (int r = 0; r < p; ++r) {
    EXPECT_EQ(all[2 * r], next) << "rank " << r;
    EXPECT_EQ(all[2 * r], part.OffsetOf(r));
    EXPECT_EQ(all[2 * r + 1], part.LocalSizeOf(r));
    EXPECT_EQ(all[2 * r + 1] % part.granularity(), 0);
    for (long long i = all[2 * r]; i < all[2 * r] + all[2 * r + 1]; ++i) {
      EXPECT_EQ(part.OwnerOf(i), r) << "index " << i;
    }
    next += all[2 * r + 1];
  }
  EXPECT_EQ(next, part.global_size());
}

TEST(PartitionTest, BlocksTileTheRangeForManySizes) {
  for (Eigen::Index k : {1, 2, 4}) {
    for (Eigen::Index units : {0, 1, 2, 3, 5, 7, 10, 101}) {
      const auto part = dlbfgs::Partition::Uniform(MPI_COMM_WORLD, units * k, k);
      EXPECT_EQ(part.size(), WorldSize());
      ExpectConsistent(part);
    }
  }
}

TEST(PartitionTest, RanksBeyondTheUnitsOwnNothing) {
  const auto part = dlbfgs::Partition::Uniform(MPI_COMM_WORLD, 2, 2);
  EXPECT_EQ(part.local_size(), part.rank() == 0 ? 2 : 0);
}

TEST(PartitionTest, RejectsBadArgumentsOnEveryRank) {
  EXPECT_THROW(dlbfgs::Partition::Uniform(MPI_COMM_WORLD, -1), std::invalid_argument);
  EXPECT_THROW(dlbfgs::Partition::Uniform(MPI_COMM_WORLD, 10, 0), std::invalid_argument);
  EXPECT_THROW(dlbfgs::Partition::Uniform(MPI_COMM_WORLD, 10, 4), std::invalid_argument);
}

TEST(PartitionTest, SizeThatDiffersBetweenRanksThrowsOnEveryRank) {
  if (WorldSize() < 2) GTEST_SKIP() << "needs two ranks";
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  EXPECT_THROW(dlbfgs::Partition::Uniform(MPI_COMM_WORLD, rank == 1 ? 11 : 10),
               std::invalid_argument);
}

}  // namespace
