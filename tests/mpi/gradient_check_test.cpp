// CheckGradient: the built-in problems pass, a wrong gradient is caught, the result is identical
// on every rank and the same at any rank count and layout, failures of the objective (exceptions,
// non-finite values) end the check on every rank alike, and bad options are rejected.

#include "dlbfgs/gradient_check.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::CheckGradient;
using dlbfgs::GradientCheckOptions;
using dlbfgs::GradientCheckResult;
using dlbfgs::Partition;
using dlbfgs::Problem;
using dlbfgs::test_support::ExpectSameOnAllRanks;
using dlbfgs::test_support::WorldRank;
using dlbfgs::test_support::WorldSize;
using Eigen::Index;
using Eigen::VectorXd;

constexpr Index kN = 16;  // a multiple of every built-in problem's granularity

// Rank 0's `text` on every rank.
std::string RootString(const std::string& text) {
  int size = static_cast<int>(text.size());
  MPI_Bcast(&size, 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string root(static_cast<std::size_t>(size), '\0');
  if (WorldRank() == 0) root = text;
  MPI_Bcast(root.data(), size, MPI_CHAR, 0, MPI_COMM_WORLD);
  return root;
}

void ExpectIdenticalOnAllRanks(const GradientCheckResult& r) {
  ExpectSameOnAllRanks(r.max_relative_error, "max_relative_error");
  ExpectSameOnAllRanks(r.directional_derivative, "directional_derivative");
  ExpectSameOnAllRanks(r.finite_difference, "finite_difference");
  ExpectSameOnAllRanks(r.worst_direction, "worst_direction");
  ExpectSameOnAllRanks(r.step, "step");
  ExpectSameOnAllRanks(r.f, "f");
  ExpectSameOnAllRanks(r.directions, "directions");
  ExpectSameOnAllRanks(r.evaluations, "evaluations");
  ExpectSameOnAllRanks(r.completed ? 1 : 0, "completed");
  ExpectSameOnAllRanks(r.finite ? 1 : 0, "finite");
  EXPECT_EQ(r.message, RootString(r.message)) << "message differs from rank 0's";
}

// Local sizes {3, 0, 5, 1} cycled over the ranks, scaled so the total is `n` at every rank count
// when possible; otherwise the remainder goes to the last rank. Some ranks own nothing.
Partition UnevenPartition(Index n) {
  const Index pattern[4] = {3, 0, 5, 1};
  const int p = WorldSize();
  Index weight = 0;
  for (int r = 0; r < p; ++r) weight += pattern[r % 4];
  std::vector<Index> sizes(static_cast<std::size_t>(p));
  Index used = 0;
  for (int r = 0; r < p; ++r) {
    sizes[static_cast<std::size_t>(r)] = n * pattern[r % 4] / weight;
    used += sizes[static_cast<std::size_t>(r)];
  }
  sizes[static_cast<std::size_t>(p - 1)] += n - used;
  return Partition::FromLocalSizes(MPI_COMM_WORLD, sizes[static_cast<std::size_t>(WorldRank())]);
}

VectorXd StartingPoint(const Problem& problem, const Partition& part) {
  VectorXd x(part.local_size());
  problem.StartingPoint(x);
  return x;
}

TEST(GradientCheckTest, EveryBuiltinProblemPassesAtItsStartingPoint) {
  for (const dlbfgs::ProblemInfo& info : dlbfgs::BuiltinProblems()) {
    SCOPED_TRACE(info.name);
    ASSERT_EQ(kN % info.granularity, 0);
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, kN, info.granularity);
    std::unique_ptr<Problem> problem = dlbfgs::MakeProblem(info.name, part);
    const GradientCheckResult r = CheckGradient(*problem, part, StartingPoint(*problem, part));
    EXPECT_TRUE(r.completed) << r.message;
    EXPECT_TRUE(r.finite);
    EXPECT_LT(r.max_relative_error, 1e-6) << r.message;
    EXPECT_EQ(r.directions, 3);
    EXPECT_EQ(r.evaluations, 7);
    EXPECT_GT(r.step, 0);
    EXPECT_TRUE(std::isfinite(r.f));
    EXPECT_NE(r.message.find("max relative error"), std::string::npos) << r.message;
    ExpectIdenticalOnAllRanks(r);
  }
}

// Problems whose partition may split anywhere (granularity 1) on a layout with empty ranks: the
// halo exchange finds its neighbours past them.
TEST(GradientCheckTest, BuiltinProblemsPassOnAnUnevenLayout) {
  for (const dlbfgs::ProblemInfo& info : dlbfgs::BuiltinProblems()) {
    if (info.granularity != 1) continue;
    SCOPED_TRACE(info.name);
    const Partition part = UnevenPartition(kN);
    ASSERT_EQ(part.global_size(), kN);
    std::unique_ptr<Problem> problem = dlbfgs::MakeProblem(info.name, part);
    const GradientCheckResult r = CheckGradient(*problem, part, StartingPoint(*problem, part));
    EXPECT_TRUE(r.completed) << r.message;
    EXPECT_LT(r.max_relative_error, 1e-6) << r.message;
    ExpectIdenticalOnAllRanks(r);
  }
}

// A problem whose gradient is wrong at one global index: scaled by `scale`, then `shift` added.
class WrongGradient : public dlbfgs::Objective {
 public:
  WrongGradient(Problem& inner, const Partition& part, Index index, double scale, double shift)
      : inner_(inner), part_(part), index_(index), scale_(scale), shift_(shift) {}
  double EvaluateLocal(const Eigen::Ref<const VectorXd>& x, Eigen::Ref<VectorXd> g) override {
    const double f = inner_.EvaluateLocal(x, g);
    const Index k = index_ - part_.offset();
    if (k >= 0 && k < part_.local_size()) g[k] = scale_ * g[k] + shift_;
    return f;
  }

 private:
  Problem& inner_;
  const Partition& part_;
  Index index_;
  double scale_;
  double shift_;
};

TEST(GradientCheckTest, DetectsAWrongGradientEntry) {
  struct Case {
    const char* problem;
    Index index;
    double scale;
    double shift;
  };
  for (const Case& c : {Case{"rosenbrock", 5, 1.1, 0.0}, Case{"trigonometric", 11, 1.0, 0.5},
                        Case{"quadratic", kN - 1, 1.1, 0.0}}) {
    SCOPED_TRACE(c.problem);
    const dlbfgs::ProblemInfo& info = dlbfgs::FindProblem(c.problem);
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, kN, info.granularity);
    std::unique_ptr<Problem> problem = dlbfgs::MakeProblem(c.problem, part);
    WrongGradient wrong(*problem, part, c.index, c.scale, c.shift);
    const GradientCheckResult r = CheckGradient(wrong, part, StartingPoint(*problem, part));
    EXPECT_TRUE(r.completed) << r.message;
    EXPECT_GT(r.max_relative_error, 1e-3) << r.message;
    ExpectIdenticalOnAllRanks(r);
  }
}

// The serial result (rank 0 on MPI_COMM_SELF) on every rank.
GradientCheckResult SerialReference(const std::string& name, const GradientCheckOptions& options) {
  GradientCheckResult ref;
  double values[6] = {0, 0, 0, 0, 0, 0};
  if (WorldRank() == 0) {
    const Partition serial = Partition::Uniform(MPI_COMM_SELF, kN);
    std::unique_ptr<Problem> problem = dlbfgs::MakeProblem(name, serial);
    ref = CheckGradient(*problem, serial, StartingPoint(*problem, serial), options);
    values[0] = ref.max_relative_error;
    values[1] = ref.directional_derivative;
    values[2] = ref.finite_difference;
    values[3] = ref.f;
    values[4] = ref.worst_direction;
    values[5] = ref.evaluations;
  }
  MPI_Bcast(values, 6, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  ref.max_relative_error = values[0];
  ref.directional_derivative = values[1];
  ref.finite_difference = values[2];
  ref.f = values[3];
  ref.worst_direction = static_cast<int>(values[4]);
  ref.evaluations = static_cast<int>(values[5]);
  return ref;
}

TEST(GradientCheckTest, SameResultAtAnyRankCountAndLayout) {
  // step 1e-3 makes the truncation error O(h^2 f''') of the difference, which does not depend
  // on the layout, dominate its rounding (about eps |f| / h), which does: so the worst direction
  // is the same at every rank count and fd agrees to about eps |f| / (h |fd|).
  GradientCheckOptions options;
  options.step = 1e-3;
  options.directions = 4;
  options.seed = 7;
  const double eps = std::numeric_limits<double>::epsilon();
  for (const char* name : {"broyden-tridiagonal", "trigonometric", "discrete-boundary-value"}) {
    SCOPED_TRACE(name);
    const GradientCheckResult ref = SerialReference(name, options);
    for (int layout = 0; layout < 2; ++layout) {
      SCOPED_TRACE(layout == 0 ? "uniform" : "uneven");
      const Partition part =
          layout == 0 ? Partition::Uniform(MPI_COMM_WORLD, kN) : UnevenPartition(kN);
      std::unique_ptr<Problem> problem = dlbfgs::MakeProblem(name, part);
      const GradientCheckResult r =
          CheckGradient(*problem, part, StartingPoint(*problem, part), options);
      ASSERT_TRUE(r.completed) << r.message;
      ExpectIdenticalOnAllRanks(r);
      EXPECT_EQ(r.worst_direction, ref.worst_direction);
      EXPECT_EQ(r.evaluations, ref.evaluations);
      EXPECT_NEAR(r.f, ref.f, 1e-14 * std::abs(ref.f));
      // g.v: the same partial sums added in another order.
      EXPECT_NEAR(r.directional_derivative, ref.directional_derivative,
                  1e-12 * std::abs(ref.directional_derivative));
      const double fd_tol =
          1e-12 * std::abs(ref.finite_difference) + 16 * eps * std::abs(ref.f) / r.step;
      EXPECT_NEAR(r.finite_difference, ref.finite_difference, fd_tol);
      EXPECT_NEAR(
          r.max_relative_error, ref.max_relative_error,
          1e-9 * ref.max_relative_error + 2 * fd_tol / std::abs(ref.directional_derivative));
    }
  }
}

// Throws on rank `rank` at call `call` (1-based) of every rank's sequence; counts calls.
class ThrowingObjective : public dlbfgs::Objective {
 public:
  ThrowingObjective(Problem& inner, int rank, int call) : inner_(inner), rank_(rank), call_(call) {}
  double EvaluateLocal(const Eigen::Ref<const VectorXd>& x, Eigen::Ref<VectorXd> g) override {
    const double f = inner_.EvaluateLocal(x, g);  // its halo exchange completes first
    ++calls;
    if (calls == call_ && (rank_ < 0 || WorldRank() == rank_)) {
      throw std::runtime_error("boom at call " + std::to_string(calls));
    }
    return f;
  }
  int calls = 0;

 private:
  Problem& inner_;
  int rank_;  // -1: every rank
  int call_;
};

TEST(GradientCheckTest, ObjectiveThatThrowsOnSomeRanksEndsTheCheckOnEveryRank) {
  struct Case {
    int rank;
    int call;
    const char* where;
  };
  const int last = WorldSize() - 1;
  for (const Case& c :
       {Case{last, 4, "x + h v, direction 1"}, Case{0, 1, "at x (f or its gradient)"},
        Case{-1, 7, "x - h v, direction 2"}, Case{last, 2, "x + h v, direction 0"}}) {
    SCOPED_TRACE("rank " + std::to_string(c.rank) + ", call " + std::to_string(c.call));
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, kN);
    std::unique_ptr<Problem> problem = dlbfgs::MakeProblem("broyden-tridiagonal", part);
    ThrowingObjective objective(*problem, c.rank, c.call);
    const GradientCheckResult r = CheckGradient(objective, part, StartingPoint(*problem, part));
    EXPECT_FALSE(r.completed);
    EXPECT_TRUE(r.finite);
    EXPECT_TRUE(std::isnan(r.max_relative_error));
    EXPECT_EQ(r.evaluations, c.call);
    EXPECT_EQ(objective.calls, c.call) << "the objective was called again after it threw";
    const int thrower = c.rank < 0 ? 0 : c.rank;
    EXPECT_NE(r.message.find("threw on rank " + std::to_string(thrower)), std::string::npos)
        << r.message;
    EXPECT_NE(r.message.find("boom at call " + std::to_string(c.call)), std::string::npos)
        << r.message;
    EXPECT_NE(r.message.find(c.where), std::string::npos) << r.message;
    ExpectIdenticalOnAllRanks(r);
  }
}

// Returns NaN as f, or as a gradient entry, on rank `rank` at call `call`.
class NonFiniteObjective : public dlbfgs::Objective {
 public:
  NonFiniteObjective(Problem& inner, int rank, int call, bool in_gradient)
      : inner_(inner), rank_(rank), call_(call), in_gradient_(in_gradient) {}
  double EvaluateLocal(const Eigen::Ref<const VectorXd>& x, Eigen::Ref<VectorXd> g) override {
    double f = inner_.EvaluateLocal(x, g);
    ++calls_;
    if (calls_ == call_ && WorldRank() == rank_) {
      if (in_gradient_ && g.size() > 0) g[0] = std::numeric_limits<double>::quiet_NaN();
      if (!in_gradient_) f = std::numeric_limits<double>::infinity();
    }
    return f;
  }

 private:
  Problem& inner_;
  int rank_;
  int call_;
  bool in_gradient_;
  int calls_ = 0;
};

TEST(GradientCheckTest, NonFiniteValuesAreReportedOnEveryRank) {
  const int last = WorldSize() - 1;
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, kN);
  std::unique_ptr<Problem> problem = dlbfgs::MakeProblem("trigonometric", part);
  // kN = 16 over at most 4 ranks: every rank owns a gradient entry.
  for (bool in_gradient : {false, true}) {
    SCOPED_TRACE(in_gradient ? "gradient" : "value");
    const int call = in_gradient ? 1 : 3;  // NaN gradient at x, or f = inf at x + h v
    NonFiniteObjective objective(*problem, last, call, in_gradient);
    const GradientCheckResult r = CheckGradient(objective, part, StartingPoint(*problem, part));
    EXPECT_FALSE(r.completed);
    EXPECT_FALSE(r.finite);
    EXPECT_TRUE(std::isnan(r.max_relative_error));
    EXPECT_EQ(r.evaluations, call);
    EXPECT_NE(r.message.find("non-finite"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("rank " + std::to_string(last)), std::string::npos) << r.message;
    ExpectIdenticalOnAllRanks(r);
  }

  // A non-finite x is reported before any evaluation.
  VectorXd x = StartingPoint(*problem, part);
  if (WorldRank() == last) x[0] = std::numeric_limits<double>::quiet_NaN();
  const GradientCheckResult r = CheckGradient(*problem, part, x);
  EXPECT_FALSE(r.completed);
  EXPECT_FALSE(r.finite);
  EXPECT_EQ(r.evaluations, 0);
  ExpectIdenticalOnAllRanks(r);
}

// std::invalid_argument on every rank, with `field` in the message.
template <typename F>
void ExpectInvalidArgument(F&& call, const std::string& field) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected one naming " << field;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

TEST(GradientCheckTest, RejectsBadOptionsAndSizesOnEveryRank) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, kN);
  std::unique_ptr<Problem> problem = dlbfgs::MakeProblem("trigonometric", part);
  const VectorXd x = StartingPoint(*problem, part);
  auto check = [&](const GradientCheckOptions& o) { CheckGradient(*problem, part, x, o); };

  GradientCheckOptions o;
  o.directions = 0;
  ExpectInvalidArgument([&] { check(o); }, "GradientCheckOptions.directions");
  for (double step : {0.0, -1e-6, std::numeric_limits<double>::quiet_NaN(),
                      std::numeric_limits<double>::infinity()}) {
    o = GradientCheckOptions();
    o.step = step;
    ExpectInvalidArgument([&] { check(o); }, "GradientCheckOptions.step");
  }
  if (WorldSize() >= 2) {
    o = GradientCheckOptions();
    o.seed = WorldRank() == 1 ? 2 : 1;
    ExpectInvalidArgument([&] { check(o); }, "differ between ranks");
  }
  const int last = WorldSize() - 1;
  const VectorXd wrong = VectorXd::Zero(part.local_size() + (WorldRank() == last ? 1 : 0));
  ExpectInvalidArgument([&] { CheckGradient(*problem, part, wrong); },
                        "x_local does not match the partition on rank " + std::to_string(last));
}

TEST(GradientCheckTest, EmptyPartitionHasNothingToCheck) {
  const Partition part = Partition::FromLocalSizes(MPI_COMM_WORLD, 0);
  struct Never : dlbfgs::Objective {
    double EvaluateLocal(const Eigen::Ref<const VectorXd>&, Eigen::Ref<VectorXd>) override {
      ADD_FAILURE() << "called";
      return 0;
    }
  } objective;
  const GradientCheckResult r = CheckGradient(objective, part, VectorXd());
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.max_relative_error, 0);
  EXPECT_EQ(r.evaluations, 0);
}

}  // namespace
