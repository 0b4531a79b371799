// Built-in problems: gradients against finite differences, reference values at the standard
// start, the same value and gradient at any rank count, and argument checks. Collective: every
// test runs on MPI_COMM_WORLD (registered at 1-4 ranks).

#include "dlbfgs/problems.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlbfgs/partition.hpp"

namespace {

using dlbfgs::FindProblem;
using dlbfgs::MakeProblem;
using dlbfgs::Partition;
using dlbfgs::Problem;
using dlbfgs::ProblemInfo;
using Eigen::Index;
using Eigen::VectorXd;

/// The whole vector from every rank's block. Collective on part.comm().
VectorXd Gather(const Partition& part, const Eigen::Ref<const VectorXd>& x_local) {
  std::vector<int> counts(static_cast<std::size_t>(part.size()));
  std::vector<int> displs(static_cast<std::size_t>(part.size()));
  for (int r = 0; r < part.size(); ++r) {
    counts[static_cast<std::size_t>(r)] = static_cast<int>(part.LocalSizeOf(r));
    displs[static_cast<std::size_t>(r)] = static_cast<int>(part.OffsetOf(r));
  }
  VectorXd x(part.global_size());
  // A rank may own nothing: hand MPI a valid pointer all the same.
  double dummy = 0;
  const double* send = x_local.size() > 0 ? x_local.data() : &dummy;
  MPI_Allgatherv(send, static_cast<int>(x_local.size()), MPI_DOUBLE, x.data(), counts.data(),
                 displs.data(), MPI_DOUBLE, part.comm());
  return x;
}

struct Evaluation {
  double f = 0;
  VectorXd g;  // the whole gradient
};

/// f and the whole gradient at the whole vector x (identical on every rank). Collective.
Evaluation Evaluate(Problem& problem, const Partition& part, const VectorXd& x) {
  const VectorXd x_local = x.segment(part.offset(), part.local_size());
  VectorXd g_local(part.local_size());
  const double share = problem.EvaluateLocal(x_local, g_local);
  Evaluation e;
  MPI_Allreduce(&share, &e.f, 1, MPI_DOUBLE, MPI_SUM, part.comm());
  e.g = Gather(part, g_local);
  return e;
}

/// The same pseudo-random vector on every rank, entries uniform in [-scale, scale].
VectorXd RandomPoint(Index n, unsigned seed, double scale) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> uniform(-scale, scale);
  VectorXd x(n);
  for (Index i = 0; i < n; ++i) x[i] = uniform(engine);
  return x;
}

/// Sizes to test: small ones (fewer units than ranks, so some ranks own nothing), uneven splits
/// and a larger one; all multiples of the problem's granularity.
std::vector<Index> TestSizes(const ProblemInfo& info) {
  std::vector<Index> sizes;
  for (Index n : {1, 2, 3, 4, 7, 8, 10, 12, 100}) {
    if (n >= info.min_n && n % info.granularity == 0) sizes.push_back(n);
  }
  return sizes;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& param) {
  std::string name = param.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class ProblemTest : public ::testing::TestWithParam<std::string> {
 protected:
  const ProblemInfo& info() const { return FindProblem(GetParam()); }
  Partition MakePartition(MPI_Comm comm, Index n) const {
    return Partition::Uniform(comm, n, info().granularity);
  }
};

TEST_P(ProblemTest, GradientMatchesCentralDifferences) {
  for (Index n : TestSizes(info())) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const Partition part = MakePartition(MPI_COMM_WORLD, n);
    std::unique_ptr<Problem> problem = MakeProblem(GetParam(), part);
    const VectorXd x = RandomPoint(n, 1000u + static_cast<unsigned>(n), 1.5);
    const Evaluation at_x = Evaluate(*problem, part, x);
    ASSERT_TRUE(std::isfinite(at_x.f));
    const double eps = std::numeric_limits<double>::epsilon();
    for (Index j = 0; j < n; ++j) {
      // Every rank evaluates every perturbation (the objective is collective); only the owner
      // of coordinate j sees it change.
      const double h = 1e-6 * std::max(1.0, std::abs(x[j]));
      VectorXd xp = x;
      xp[j] += h;
      VectorXd xm = x;
      xm[j] -= h;
      const double fp = Evaluate(*problem, part, xp).f;
      const double fm = Evaluate(*problem, part, xm).f;
      const double fd = (fp - fm) / (2 * h);
      // Truncation error O(h^2 f''') is far below 1e-6 relative; the rounding error of the
      // difference quotient is about eps |f| / h.
      const double tol = 1e-6 * std::max(1.0, std::abs(at_x.g[j])) +
                         10 * eps * std::max(1.0, std::abs(at_x.f)) / h;
      EXPECT_NEAR(at_x.g[j], fd, tol) << "coordinate " << j;
    }
  }
}

TEST_P(ProblemTest, MatchesSerialEvaluationAtAnyBlockBoundaries) {
  for (Index n : TestSizes(info())) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const VectorXd x = RandomPoint(n, 2000u + static_cast<unsigned>(n), 1.5);
    const Partition serial_part = MakePartition(MPI_COMM_SELF, n);
    std::unique_ptr<Problem> serial = MakeProblem(GetParam(), serial_part);
    const Evaluation expected = Evaluate(*serial, serial_part, x);
    const double g_scale = std::max(expected.g.lpNorm<Eigen::Infinity>(), 1e-300);

    // The problem's own granularity and a coarser one, to move the block boundaries.
    for (Index granularity : {info().granularity, 2 * info().granularity}) {
      if (n % granularity != 0) continue;
      SCOPED_TRACE("partition granularity " + std::to_string(granularity));
      const Partition part = Partition::Uniform(MPI_COMM_WORLD, n, granularity);
      std::unique_ptr<Problem> problem = MakeProblem(GetParam(), part);
      const Evaluation actual = Evaluate(*problem, part, x);
      EXPECT_NEAR(actual.f, expected.f, 1e-12 * std::abs(expected.f));
      EXPECT_LE((actual.g - expected.g).lpNorm<Eigen::Infinity>(), 1e-12 * g_scale);
    }
  }
}

TEST_P(ProblemTest, StartingPointAndMinimizerAreConsistent) {
  const Index n = 12;  // a multiple of every granularity
  const Partition part = MakePartition(MPI_COMM_WORLD, n);
  std::unique_ptr<Problem> problem = MakeProblem(GetParam(), part);
  EXPECT_EQ(&problem->info(), &FindProblem(GetParam()));
  EXPECT_EQ(problem->info().name, GetParam());

  VectorXd x0_local(part.local_size());
  problem->StartingPoint(x0_local);
  const VectorXd x0 = Gather(part, x0_local);
  ASSERT_TRUE(x0.allFinite());
  const Partition serial_part = MakePartition(MPI_COMM_SELF, n);
  std::unique_ptr<Problem> serial = MakeProblem(GetParam(), serial_part);
  VectorXd x0_serial(n);
  serial->StartingPoint(x0_serial);
  EXPECT_EQ(x0, x0_serial);

  VectorXd xstar_local(part.local_size());
  const bool known = problem->KnownMinimizer(xstar_local);
  VectorXd xstar_serial(n);
  EXPECT_EQ(known, serial->KnownMinimizer(xstar_serial));
  const std::string& name = GetParam();
  EXPECT_EQ(known, name == "rosenbrock" || name == "powell" || name == "quadratic");
  if (known) {
    const VectorXd xstar = Gather(part, xstar_local);
    EXPECT_EQ(xstar, xstar_serial);
    const Evaluation at_star = Evaluate(*problem, part, xstar);
    EXPECT_EQ(at_star.f, problem->info().f_star);
    EXPECT_EQ(at_star.g.lpNorm<Eigen::Infinity>(), 0.0);
  }
}

// f(x0) at n = 1000 from the reference table (shared/reference/problems.md).
TEST_P(ProblemTest, ValueAtStandardStartMatchesReference) {
  const Index n = 1000;
  const std::string& name = GetParam();
  double expected = 0;
  double rel_tol = 1e-12;
  if (name == "rosenbrock") {
    expected = 12100;
  } else if (name == "powell") {
    expected = 53750;
  } else if (name == "broyden-tridiagonal") {
    expected = 1011;
  } else if (name == "trigonometric") {
    expected = 8.32083e-5;  // six digits in the table
    rel_tol = 1e-5;
  } else if (name == "discrete-boundary-value") {
    expected = 1.29383e-9;
    rel_tol = 1e-5;
  } else if (name == "quadratic") {
    // 1/2 sum_{j<n} r^j with r = kappa^{1/(n-1)}: a geometric series.
    const double r = std::pow(dlbfgs::ProblemParams().condition, 1.0 / (n - 1));
    expected = 0.5 * (std::pow(r, static_cast<double>(n)) - 1) / (r - 1);
    rel_tol = 1e-10;
  } else {
    FAIL() << "no reference value for " << name;
  }
  const Partition part = MakePartition(MPI_COMM_WORLD, n);
  std::unique_ptr<Problem> problem = MakeProblem(name, part);
  VectorXd x0_local(part.local_size());
  problem->StartingPoint(x0_local);
  const Evaluation at_x0 = Evaluate(*problem, part, Gather(part, x0_local));
  EXPECT_NEAR(at_x0.f, expected, rel_tol * expected);
  EXPECT_TRUE(at_x0.g.allFinite());
}

// Every evaluation is collective: ranks that own nothing must still take part, and a
// problem built on a single-unit partition must not hang or touch out-of-range memory.
TEST_P(ProblemTest, RanksOwningNothingTakePart) {
  const Index n = std::max(info().min_n, info().granularity);
  const Partition part = MakePartition(MPI_COMM_WORLD, n);
  std::unique_ptr<Problem> problem = MakeProblem(GetParam(), part);
  VectorXd x_local(part.local_size());
  problem->StartingPoint(x_local);
  VectorXd g_local(part.local_size());
  for (int repeat = 0; repeat < 3; ++repeat) {
    const double share = problem->EvaluateLocal(x_local, g_local);
    if (part.local_size() == 0) {
      EXPECT_EQ(share, 0.0);
    }
    double f = 0;
    MPI_Allreduce(&share, &f, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    EXPECT_TRUE(std::isfinite(f));
  }
}

INSTANTIATE_TEST_SUITE_P(AllBuiltins, ProblemTest,
                         ::testing::Values("rosenbrock", "powell", "broyden-tridiagonal",
                                           "trigonometric", "discrete-boundary-value", "quadratic"),
                         TestName);

TEST(ProblemRegistryTest, ListsTheSixProblemsInOrder) {
  const std::vector<std::string> names = {
      "rosenbrock", "powell", "broyden-tridiagonal", "trigonometric", "discrete-boundary-value",
      "quadratic"};
  const std::vector<ProblemInfo>& problems = dlbfgs::BuiltinProblems();
  ASSERT_EQ(problems.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const ProblemInfo& p = problems[i];
    EXPECT_EQ(p.name, names[i]);
    EXPECT_FALSE(p.description.empty());
    EXPECT_FALSE(p.start.empty());
    EXPECT_FALSE(p.optimum.empty());
    EXPECT_EQ(p.f_star, 0.0);
    EXPECT_EQ(FindProblem(p.name).name, p.name);
  }
  EXPECT_EQ(FindProblem("rosenbrock").granularity, 2);
  EXPECT_EQ(FindProblem("rosenbrock").min_n, 2);
  EXPECT_EQ(FindProblem("powell").granularity, 4);
  EXPECT_EQ(FindProblem("powell").min_n, 4);
  EXPECT_TRUE(FindProblem("broyden-tridiagonal").has_local_minimum);
  EXPECT_TRUE(FindProblem("trigonometric").has_local_minimum);
  EXPECT_FALSE(FindProblem("quadratic").has_local_minimum);
}

/// The message of the std::invalid_argument that `f` throws ("" if it throws none).
template <class F>
std::string InvalidArgumentMessage(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(ProblemRegistryTest, UnknownNameIsRejectedWithTheValidNames) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 8);
  for (const std::string& message :
       {InvalidArgumentMessage([&] { MakeProblem("no-such-problem", part); }),
        InvalidArgumentMessage([&] { FindProblem("no-such-problem"); })}) {
    EXPECT_NE(message.find("no-such-problem"), std::string::npos) << message;
    for (const ProblemInfo& p : dlbfgs::BuiltinProblems()) {
      EXPECT_NE(message.find(p.name), std::string::npos) << message;
    }
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(ProblemRegistryTest, BadSizesAndGranularitiesAreRejected) {
  struct BadCase {
    std::string name;
    Index n;
    Index granularity;
    std::string expected;  // part of the message
  };
  const std::vector<BadCase> cases = {
      {"rosenbrock", 0, 2, "n must be >= 2"},
      {"rosenbrock", 3, 1, "multiple of 2"},
      {"rosenbrock", 4, 1, "granularity"},
      {"powell", 2, 2, "n must be >= 4"},
      {"powell", 6, 2, "multiple of 4"},
      {"powell", 8, 2, "granularity"},
      {"broyden-tridiagonal", 0, 1, "n must be >= 1"},
      {"trigonometric", 0, 1, "n must be >= 1"},
      {"discrete-boundary-value", 0, 1, "n must be >= 1"},
      {"quadratic", 0, 1, "n must be >= 1"},
  };
  for (const BadCase& c : cases) {
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, c.n, c.granularity);
    const std::string message = InvalidArgumentMessage([&] { MakeProblem(c.name, part); });
    EXPECT_NE(message.find(c.name), std::string::npos) << c.name << " n=" << c.n << ": " << message;
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << c.name << " n=" << c.n << ": " << message;
  }
  // A coarser partition than needed is fine.
  EXPECT_NO_THROW(MakeProblem("rosenbrock", Partition::Uniform(MPI_COMM_WORLD, 8, 4)));
  EXPECT_NO_THROW(MakeProblem("broyden-tridiagonal", Partition::Uniform(MPI_COMM_WORLD, 9, 3)));
}

TEST(ProblemRegistryTest, QuadraticRejectsBadConditionNumbers) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 8);
  for (double condition : {0.5, 0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity()}) {
    dlbfgs::ProblemParams params;
    params.condition = condition;
    const std::string message =
        InvalidArgumentMessage([&] { MakeProblem("quadratic", part, params); });
    EXPECT_NE(message.find("condition"), std::string::npos) << condition << ": " << message;
  }
  dlbfgs::ProblemParams params;
  params.condition = 1;  // the identity: f = 1/2 ||x - 1||^2
  std::unique_ptr<Problem> problem = MakeProblem("quadratic", part, params);
  const Evaluation at_zero = Evaluate(*problem, part, VectorXd::Zero(8));
  EXPECT_DOUBLE_EQ(at_zero.f, 4.0);
  EXPECT_EQ(at_zero.g, VectorXd::Constant(8, -1.0));
}

}  // namespace
