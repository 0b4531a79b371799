#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "dlbfgs/dlbfgs.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::ReplicatedStats;
using dlbfgs::TerminationReason;
using dlbfgs::test_support::ExpectSameOnAllRanks;
using dlbfgs::test_support::MaxOverRanks;
using dlbfgs::test_support::WorldRank;
using dlbfgs::test_support::WorldSize;

// Entry (i, j) of a fixed dense matrix, the same at any number of ranks; a 2 on the diagonal
// of the leading n x n rows keeps A'A well conditioned.
double Entry(int i, int j) {
  const double v = std::sin(0.7 * i + 1.3 * j + 0.1 * i * j);
  return i == j ? v + 2.0 : v;
}
double Target(int j) { return std::cos(0.5 * j) + 0.25; }  // x*

// Least squares f(x) = 1/2 sum_i (a_i'x - b_i)^2 with b = A x*, so x* is the minimiser and
// f(x*) = 0. The rows are dealt to the ranks unevenly (rank r gets rows [first, last)), the
// data-parallel layout: every rank computes the full gradient of its rows.
class LeastSquaresShard : public dlbfgs::ReplicatedObjective {
 public:
  LeastSquaresShard(int n, int rows, int rank, int ranks) : n_(n) {
    // Rows split as 1 : 2 : ... : p, so shards differ in size; with rows < p some get none.
    const long total = static_cast<long>(ranks) * (ranks + 1) / 2;
    first_ = static_cast<int>(rows * (static_cast<long>(rank) * (rank + 1) / 2) / total);
    last_ = static_cast<int>(rows * (static_cast<long>(rank + 1) * (rank + 2) / 2) / total);
  }
  double EvaluateShare(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    ++calls;
    if (throw_at > 0 && calls == throw_at) throw std::runtime_error("shard data is corrupt");
    g.setZero();
    double f = 0;
    for (int i = first_; i < last_; ++i) {
      double r = 0;
      for (int j = 0; j < n_; ++j) r += Entry(i, j) * (x[j] - Target(j));
      f += 0.5 * r * r;
      for (int j = 0; j < n_; ++j) g[j] += r * Entry(i, j);
    }
    return f;
  }
  int calls = 0;
  int throw_at = 0;  // > 0: throw at this call

 private:
  int n_;
  int first_ = 0;
  int last_ = 0;
};

class ReplicatedTest : public ::testing::TestWithParam<int> {};

TEST_P(ReplicatedTest, ReachesKnownMinimiserWithFullXOnEveryRank) {
  const int n = GetParam();
  LeastSquaresShard shard(n, 3 * n, WorldRank(), WorldSize());
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  LbfgsOptions options;
  options.grad_tol = 1e-10;
  ReplicatedStats stats;
  const LbfgsResult r = dlbfgs::MinimizeReplicated(shard, MPI_COMM_WORLD, x, options, &stats);
  ASSERT_TRUE(r.Converged()) << r.message;
  for (int j = 0; j < n; ++j) {
    EXPECT_NEAR(x[j], Target(j), 1e-8) << "j = " << j;
    ExpectSameOnAllRanks(x[j], "x[j]");
  }
  EXPECT_LT(r.f, 1e-16);
  // Exact communication: one allgather and one reduce-scatter per evaluation, one allgather of
  // the result; the solver's own count is unchanged (one allreduce per evaluation, one check).
  EXPECT_EQ(stats.reduce_scatter_calls, r.evaluations);
  EXPECT_EQ(stats.allgather_calls, r.evaluations + 1);
  EXPECT_EQ(r.comm.allreduce_calls, r.evaluations + 1);
  EXPECT_EQ(shard.calls, r.evaluations);
}

// n = 3 leaves ranks with no parameters at 4 ranks; n = 2 at 3 and 4.
INSTANTIATE_TEST_SUITE_P(Sizes, ReplicatedTest, ::testing::Values(2, 3, 17, 40));

TEST(ReplicatedAdapterTest, AgreesWithOneProcessSolveOfTheWholeSum) {
  // The same function evaluated by one process on all rows (MPI_COMM_SELF) is minimised to the
  // same point: the adapter's sum of shares is the whole function.
  const int n = 25;
  LeastSquaresShard shard(n, 2 * n, WorldRank(), WorldSize());
  Eigen::VectorXd x = Eigen::VectorXd::Constant(n, -1.0);
  LbfgsOptions options;
  options.grad_tol = 1e-9;
  const LbfgsResult r = dlbfgs::MinimizeReplicated(shard, MPI_COMM_WORLD, x, options);
  LeastSquaresShard whole(n, 2 * n, 0, 1);
  Eigen::VectorXd y = Eigen::VectorXd::Constant(n, -1.0);
  const LbfgsResult s = dlbfgs::MinimizeReplicated(whole, MPI_COMM_SELF, y, options);
  ASSERT_TRUE(r.Converged()) << r.message;
  ASSERT_TRUE(s.Converged()) << s.message;
  EXPECT_LT((x - y).lpNorm<Eigen::Infinity>(), 1e-8);
}

TEST(ReplicatedAdapterTest, ShareThrowingOnOneRankEndsTheRunOnEveryRank) {
  const int n = 12;
  LeastSquaresShard shard(n, 3 * n, WorldRank(), WorldSize());
  const int bad = WorldSize() - 1;
  if (WorldRank() == bad) shard.throw_at = 3;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  ReplicatedStats stats;
  const LbfgsResult r =
      dlbfgs::MinimizeReplicated(shard, MPI_COMM_WORLD, x, LbfgsOptions(), &stats);
  EXPECT_EQ(r.reason, TerminationReason::kObjectiveError);
  EXPECT_NE(r.message.find("rank " + std::to_string(bad)), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("shard data is corrupt"), std::string::npos) << r.message;
  EXPECT_EQ(r.evaluations, 3);
  EXPECT_EQ(stats.reduce_scatter_calls, 3);  // the failing evaluation still communicated
  ExpectSameOnAllRanks(static_cast<double>(r.message.size()), "message length");
  for (int j = 0; j < n; ++j) ExpectSameOnAllRanks(x[j], "x[j]");
}

TEST(ReplicatedAdapterTest, SizeDifferingBetweenRanksThrowsOnEveryRank) {
  const int n = WorldRank() == 0 ? 6 : 7;
  LeastSquaresShard shard(n, 3 * n, WorldRank(), WorldSize());
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  bool threw = false;
  try {
    dlbfgs::MinimizeReplicated(shard, MPI_COMM_WORLD, x);
  } catch (const std::invalid_argument& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find("differ between ranks"), std::string::npos) << e.what();
  }
  EXPECT_EQ(threw, WorldSize() > 1);
  EXPECT_EQ(MaxOverRanks(threw ? 1 : 0), threw ? 1 : 0);
}

// Every rank's share of f(x) = sum_j a_j (x_j - c_j)^2 / 2 is 1/p of it (a data-parallel
// separable quadratic): with bounds the minimiser is clamp(c, l, u), with L1 weights w and
// l1_weight lambda it is sign(c) max(|c| - lambda w / a, 0).
class SeparableShare : public dlbfgs::ReplicatedObjective {
 public:
  static double A(int j) { return 1 + 3 * std::fabs(std::sin(0.7 * j + 0.3)); }
  static double C(int j) { return 3 * std::sin(1.3 * j + 0.1); }
  double EvaluateShare(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    const double share = 1.0 / WorldSize();
    double f = 0;
    for (int j = 0; j < x.size(); ++j) {
      const double r = x[j] - C(j);
      f += share * 0.5 * A(j) * r * r;
      g[j] = share * A(j) * r;
    }
    return f;
  }
};

TEST(ReplicatedConstraintsTest, FullLengthBoundsGiveTheClampedSolution) {
  const int n = 23;
  SeparableShare share;
  const double inf = std::numeric_limits<double>::infinity();
  Eigen::VectorXd lower(n), upper(n);
  long long active = 0;
  for (int j = 0; j < n; ++j) {
    lower[j] = j % 3 == 0 ? -inf : -1.0;  // every third variable unbounded below
    upper[j] = j % 4 == 0 ? inf : 0.5;
    const double x = std::clamp(SeparableShare::C(j), lower[j], upper[j]);
    active += (x == lower[j] || x == upper[j]) ? 1 : 0;
  }
  ASSERT_GT(active, 0);
  ASSERT_LT(active, n);
  Eigen::VectorXd x = Eigen::VectorXd::Constant(n, 2.0);  // outside the box: projected first
  LbfgsOptions options;
  options.grad_tol = 1e-10;
  ReplicatedStats stats;
  const LbfgsResult r =
      dlbfgs::MinimizeReplicated(share, MPI_COMM_WORLD, x, options, lower, upper, &stats);
  ASSERT_TRUE(r.Converged()) << r.message;
  for (int j = 0; j < n; ++j) {
    EXPECT_NEAR(x[j], std::clamp(SeparableShare::C(j), lower[j], upper[j]), 1e-9) << "j = " << j;
    ExpectSameOnAllRanks(x[j], "x[j]");
  }
  EXPECT_EQ(r.active_bounds, active);
  EXPECT_EQ(stats.reduce_scatter_calls, r.evaluations);
}

TEST(ReplicatedConstraintsTest, FullLengthL1WeightsGiveSoftThresholding) {
  const int n = 23;
  SeparableShare share;
  Eigen::VectorXd weights(n);
  // Some unpenalised; the others grow with j, so that each rank's block differs from the others.
  for (int j = 0; j < n; ++j) weights[j] = j % 3 == 0 ? 0.0 : 1.0 + j / 10.0;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  LbfgsOptions options;
  options.l1_weight = 1.5;  // thresholds 1.5 w_j / a_j in [0.4, 4.8]: some x_j are 0, not all
  options.grad_tol = 1e-10;
  const LbfgsResult r = dlbfgs::MinimizeReplicated(share, MPI_COMM_WORLD, x, options, weights);
  ASSERT_TRUE(r.Converged()) << r.message;
  long long nonzeros = 0;
  for (int j = 0; j < n; ++j) {
    const double c = SeparableShare::C(j);
    const double t = options.l1_weight * weights[j] / SeparableShare::A(j);
    const double want = std::copysign(std::max(std::fabs(c) - t, 0.0), c);
    EXPECT_NEAR(x[j], want, 1e-9) << "j = " << j;
    nonzeros += want != 0 ? 1 : 0;
  }
  EXPECT_EQ(r.nonzeros, nonzeros);
  EXPECT_GT(nonzeros, n / 3);  // the unpenalised ones at least
  EXPECT_LT(nonzeros, n);
}

TEST(ReplicatedConstraintsTest, WrongLengthOnOneRankThrowsOnEveryRank) {
  const int n = 9;
  SeparableShare share;
  const bool bad = WorldRank() == WorldSize() - 1;
  const Eigen::VectorXd full = Eigen::VectorXd::Ones(n);
  const Eigen::VectorXd wrong = Eigen::VectorXd::Ones(bad ? n - 1 : n);
  for (const char* which : {"bounds", "weights"}) {
    Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
    LbfgsOptions options;
    std::string what;
    try {
      if (std::string(which) == "bounds") {
        dlbfgs::MinimizeReplicated(share, MPI_COMM_WORLD, x, options, -full, wrong);
      } else {
        options.l1_weight = 1;
        dlbfgs::MinimizeReplicated(share, MPI_COMM_WORLD, x, options, wrong);
      }
    } catch (const std::invalid_argument& e) {
      what = e.what();
    }
    EXPECT_NE(what.find("must have n = 9 entries, as x, on every rank; rank " +
                        std::to_string(WorldSize() - 1) + " differs"),
              std::string::npos)
        << which << ": " << what;
    ExpectSameOnAllRanks(static_cast<double>(what.size()), "message length");
  }
}

}  // namespace
