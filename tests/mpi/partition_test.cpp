#include "dlbfgs/partition.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::Partition;
using dlbfgs::test_support::GatherToAll;
using dlbfgs::test_support::MaxOverRanks;
using dlbfgs::test_support::WorldRank;
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

// The split and owner of Uniform() before it held a table of offsets, as closed formulas: the
// table must reproduce them exactly.
Eigen::Index ArithmeticOwner(Eigen::Index i, Eigen::Index n, int p, Eigen::Index k) {
  const Eigen::Index unit = i / k;
  const Eigen::Index units = n / k;
  const Eigen::Index base = units / p;
  const Eigen::Index extra = units % p;
  const Eigen::Index big = extra * (base + 1);
  if (unit < big) return unit / (base + 1);
  return extra + (unit - big) / base;
}

TEST(PartitionTest, UniformKeepsTheArithmeticSplitAndOwners) {
  const int p = WorldSize();
  for (Eigen::Index k : {1, 2, 4}) {
    for (Eigen::Index units : {0, 1, 3, 5, 7, 101}) {
      const Eigen::Index n = units * k;
      const auto part = Partition::Uniform(MPI_COMM_WORLD, n, k);
      EXPECT_EQ(part.granularity(), k);
      for (int r = 0; r <= p; ++r) {
        EXPECT_EQ(part.OffsetOf(r), Partition::BlockOffset(n, p, k, r)) << "n=" << n << " r=" << r;
      }
      for (Eigen::Index i = 0; i < n; ++i) {
        EXPECT_EQ(part.OwnerOf(i), ArithmeticOwner(i, n, p, k)) << "n=" << n << " i=" << i;
      }
    }
  }
}

// Local sizes of rank r in each layout: cycled over the ranks, with empty ranks first, between
// and last.
const std::vector<std::vector<Eigen::Index>>& Layouts() {
  static const std::vector<std::vector<Eigen::Index>> layouts = {
      {3, 0, 5, 1}, {0, 2, 0, 7}, {0, 0, 0, 4}, {6, 0, 0, 0}, {0, 0, 0, 0}, {1, 1, 1, 1}, {17}};
  return layouts;
}

Eigen::Index SizeOf(const std::vector<Eigen::Index>& layout, int r) {
  return layout[static_cast<std::size_t>(r) % layout.size()];
}

TEST(PartitionTest, FromLocalSizesHoldsUnevenLayoutsWithEmptyRanks) {
  const int p = WorldSize();
  for (const auto& layout : Layouts()) {
    const auto part = Partition::FromLocalSizes(MPI_COMM_WORLD, SizeOf(layout, WorldRank()));
    EXPECT_EQ(part.size(), p);
    EXPECT_EQ(part.rank(), WorldRank());
    EXPECT_EQ(part.granularity(), 1);
    EXPECT_EQ(part.local_size(), SizeOf(layout, WorldRank()));
    Eigen::Index offset = 0;
    for (int r = 0; r < p; ++r) {
      EXPECT_EQ(part.OffsetOf(r), offset) << "rank " << r;
      EXPECT_EQ(part.LocalSizeOf(r), SizeOf(layout, r)) << "rank " << r;
      // The owner of every index is the rank whose block holds it, never an empty rank.
      for (Eigen::Index i = offset; i < offset + SizeOf(layout, r); ++i) {
        EXPECT_EQ(part.OwnerOf(i), r) << "index " << i;
      }
      offset += SizeOf(layout, r);
    }
    EXPECT_EQ(part.OffsetOf(p), offset);
    EXPECT_EQ(part.global_size(), offset);
    EXPECT_EQ(part.offset(), part.OffsetOf(WorldRank()));
    ExpectConsistent(part);

    const Partition copy = part;  // copies share the table and answer alike
    for (int r = 0; r <= p; ++r) EXPECT_EQ(copy.OffsetOf(r), part.OffsetOf(r));
  }
}

TEST(PartitionTest, FromLocalSizesOfUniformSizesIsUniform) {
  for (Eigen::Index n : {0, 1, 5, 10, 101}) {
    const auto uniform = Partition::Uniform(MPI_COMM_WORLD, n);
    const auto custom = Partition::FromLocalSizes(MPI_COMM_WORLD, uniform.local_size());
    ASSERT_EQ(custom.global_size(), n);
    for (int r = 0; r <= uniform.size(); ++r) EXPECT_EQ(custom.OffsetOf(r), uniform.OffsetOf(r));
    for (Eigen::Index i = 0; i < n; ++i) EXPECT_EQ(custom.OwnerOf(i), uniform.OwnerOf(i));
  }
}

TEST(PartitionTest, NegativeLocalSizeThrowsOnEveryRankNamingTheRank) {
  const int p = WorldSize();
  // The last rank (and, with three or more ranks, rank 1 too) passes a negative size; the
  // message names the lowest one, on every rank.
  const int last = p - 1;
  const int lowest = p >= 3 ? 1 : last;
  const bool negative = WorldRank() == last || (p >= 3 && WorldRank() == 1);
  try {
    Partition::FromLocalSizes(MPI_COMM_WORLD, negative ? -2 : 3);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("local_size"), std::string::npos) << what;
    EXPECT_NE(what.find("on rank " + std::to_string(lowest)), std::string::npos) << what;
  }
  // Every rank is still in step: a collective after the error completes.
  EXPECT_EQ(Partition::FromLocalSizes(MPI_COMM_WORLD, 2).global_size(), 2 * p);
}

// f(x) = 1/2 sum_i c_i (x_i - i)^2 with c_i = 1 + (i mod 7) and i the global index: separable,
// so every rank evaluates its block alone; the minimiser is x_i = i.
class SeparableQuadratic : public dlbfgs::Objective {
 public:
  explicit SeparableQuadratic(const Partition& part) : offset_(part.offset()) {}
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    double f = 0;
    for (Eigen::Index k = 0; k < x.size(); ++k) {
      const Eigen::Index i = offset_ + k;
      const double c = 1.0 + static_cast<double>(i % 7);
      const double r = x[k] - static_cast<double>(i);
      g[k] = c * r;
      f += 0.5 * c * r * r;
    }
    return f;
  }

 private:
  Eigen::Index offset_;
};

TEST(PartitionTest, MinimizeReachesTheMinimiserOnAnUnevenLayout) {
  for (const auto& layout : Layouts()) {
    // Scaled up so that the problem is not trivially small: {30, 0, 50, 10} and so on.
    const auto part = Partition::FromLocalSizes(MPI_COMM_WORLD, 10 * SizeOf(layout, WorldRank()));
    SeparableQuadratic objective(part);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
    dlbfgs::LbfgsOptions options;
    options.grad_tol = 1e-8;
    const dlbfgs::LbfgsResult result = dlbfgs::Minimize(objective, part, x, options);
    ASSERT_TRUE(result.Converged()) << result.message;
    double error = 0;
    for (Eigen::Index k = 0; k < x.size(); ++k) {
      error = std::max(error, std::abs(x[k] - static_cast<double>(part.offset() + k)));
    }
    // ||x - x*||_inf <= ||g||_2 / min c_i with min c_i = 1.
    EXPECT_LE(MaxOverRanks(error), 1e-8) << "n = " << part.global_size();
    // The whole minimiser, gathered, is 0, 1, 2, ... on every rank.
    const Eigen::VectorXd all = GatherToAll(part, x);
    for (Eigen::Index i = 0; i < all.size(); ++i) EXPECT_NEAR(all[i], double(i), 1e-8);
  }
}

}  // namespace
