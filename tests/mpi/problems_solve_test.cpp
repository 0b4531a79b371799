// Every built-in problem solved from its standard start: the known optimum (or a documented
// local minimum) is reached, every rank returns the same result, and the distributed solve
// matches a serial solve of the same problem. Collective on MPI_COMM_WORLD (run at 1-4 ranks).

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Core>
#include <cmath>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "dlbfgs/minimize.hpp"
#include "dlbfgs/options.hpp"
#include "dlbfgs/partition.hpp"
#include "dlbfgs/problems.hpp"
#include "dlbfgs/result.hpp"

namespace {

using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::Partition;
using dlbfgs::Problem;
using Eigen::Index;
using Eigen::VectorXd;

struct SolveCase {
  std::string label;    // test name suffix
  std::string problem;  // built-in name
  Index n;
  double grad_tol;
  double condition;  // quadratic only
  double f_tol;      // accept f - f* <= f_tol ...
  double local_f;    // ... or |f - local_f| <= 1e-3 |local_f| (0: no documented local minimum)
  double x_tol;      // ||x - x*||_2 <= x_tol where x* is known
  // True: the distributed solve follows the serial one (iterations within 2, f to 1e-6
  // relative). False where the problem is so ill-conditioned that the rounding differences of
  // the reductions change the path (the discrete boundary value problem at n = 20, the
  // quadratic with condition 1e4): then both solves need only reach the optimum.
  bool same_path;
};

// Names the case in gtest's failure messages instead of dumping its bytes.
void PrintTo(const SolveCase& c, std::ostream* os) { *os << c.label; }

// Tolerances follow from ||g|| <= grad_tol near a minimiser with Hessian H: ||x - x*|| is about
// ||H^-1 g|| <= grad_tol / lambda_min(H) and f - f* about g'H^-1 g / 2 <= grad_tol^2 / (2
// lambda_min), with a margin of 10-100 for the approximations. Powell's Hessian is singular at
// x* = 0 (f is quartic there), so its error scales like grad_tol^(1/3) and f like grad_tol^(4/3).
const std::vector<SolveCase>& Cases() {
  static const std::vector<SolveCase> cases = {
      // Rosenbrock: lambda_min of each 2x2 block at x* = 1 is about 0.4.
      {"rosenbrock_1000", "rosenbrock", 1000, 1e-6, 0, 1e-10, 0, 1e-4, true},
      {"powell_100", "powell", 100, 1e-6, 0, 1e-8, 0, 1e-2, true},
      {"broyden_tridiagonal_100", "broyden-tridiagonal", 100, 1e-6, 0, 1e-10, 0, 0, true},
      // At n = 1000 L-BFGS stops at the documented local minimum f ~ 0.712528.
      {"broyden_tridiagonal_1000", "broyden-tridiagonal", 1000, 1e-6, 0, 1e-10, 0.712528, 0, true},
      // Documented local minimum at n = 100: f ~ 1.84e-6.
      {"trigonometric_100", "trigonometric", 100, 1e-6, 0, 1e-10, 1.84e-6, 0, true},
      // lambda_min(2 J'J) is about 2 (pi^2 h^2)^2 ~ 1e-2 at n = 10.
      {"discrete_boundary_value_10", "discrete-boundary-value", 10, 1e-7, 0, 1e-12, 0, 0, true},
      {"discrete_boundary_value_20", "discrete-boundary-value", 20, 1e-6, 0, 1e-10, 0, 0, false},
      // lambda_min = 1: ||x - 1|| <= grad_tol and f <= grad_tol^2 / 2.
      {"quadratic_1000_condition_1e2", "quadratic", 1000, 1e-6, 1e2, 5e-13, 0, 1e-6, true},
      {"quadratic_1000_condition_1e4", "quadratic", 1000, 1e-6, 1e4, 5e-13, 0, 1e-6, false},
  };
  return cases;
}

struct Solve {
  LbfgsResult result;
  double x_error = -1;  // ||x - x*||_2, or -1 when x* is not known
};

/// Solves the case from the standard start on `comm`. Collective on comm.
Solve SolveOn(MPI_Comm comm, const SolveCase& c) {
  const Partition part = Partition::Uniform(comm, c.n, dlbfgs::FindProblem(c.problem).granularity);
  dlbfgs::ProblemParams params;
  if (c.condition > 0) params.condition = c.condition;
  std::unique_ptr<Problem> problem = dlbfgs::MakeProblem(c.problem, part, params);
  VectorXd x(part.local_size());
  problem->StartingPoint(x);
  LbfgsOptions options;
  options.grad_tol = c.grad_tol;
  options.max_iterations = 10000;
  Solve s;
  s.result = dlbfgs::Minimize(*problem, part, x, options);
  VectorXd x_star(part.local_size());
  if (problem->KnownMinimizer(x_star)) {
    const double local = (x - x_star).squaredNorm();
    double total = 0;
    MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, comm);
    s.x_error = std::sqrt(total);
  }
  return s;
}

/// The minimum and maximum of `value` over the ranks of MPI_COMM_WORLD. Collective.
std::pair<double, double> MinMax(double value) {
  double lo = 0;
  double hi = 0;
  MPI_Allreduce(&value, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&value, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return {lo, hi};
}

class ProblemSolveTest : public ::testing::TestWithParam<SolveCase> {};

TEST_P(ProblemSolveTest, ReachesOptimumIdenticallyOnEveryRankAndAsSerial) {
  const SolveCase& c = GetParam();
  const Solve world = SolveOn(MPI_COMM_WORLD, c);
  const LbfgsResult& r = world.result;

  // The known optimum, or the documented local minimum.
  EXPECT_TRUE(r.Converged()) << dlbfgs::ToString(r.reason) << ": " << r.message;
  EXPECT_LE(r.grad_norm, c.grad_tol);
  const double f_star = dlbfgs::FindProblem(c.problem).f_star;
  const bool at_global = r.f - f_star <= c.f_tol;
  const bool at_local = c.local_f > 0 && std::abs(r.f - c.local_f) <= 1e-3 * c.local_f;
  EXPECT_TRUE(at_global || at_local) << "f = " << r.f;
  if (world.x_error >= 0) {
    EXPECT_LE(world.x_error, c.x_tol);
  }

  // Every rank returns the same result (they take identical decisions on identical scalars).
  const auto iterations = MinMax(r.iterations);
  const auto evaluations = MinMax(r.evaluations);
  const auto f = MinMax(r.f);
  const auto reason = MinMax(static_cast<int>(r.reason));
  EXPECT_EQ(iterations.first, iterations.second);
  EXPECT_EQ(evaluations.first, evaluations.second);
  EXPECT_EQ(f.first, f.second);
  EXPECT_EQ(reason.first, reason.second);

  // The same answer as a serial solve: the reductions sum in another order, so only rounding
  // differs; where the problem is well enough conditioned the path is the same.
  const Solve serial = SolveOn(MPI_COMM_SELF, c);
  const LbfgsResult& s = serial.result;
  EXPECT_EQ(s.reason, r.reason);
  if (c.same_path) {
    EXPECT_NEAR(r.iterations, s.iterations, 2);
    EXPECT_NEAR(r.f, s.f, 1e-6 * std::abs(s.f) + 1e-3 * c.grad_tol * c.grad_tol);
  } else {
    EXPECT_NEAR(r.f, s.f, c.f_tol);
  }
}

INSTANTIATE_TEST_SUITE_P(AllBuiltins, ProblemSolveTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<SolveCase>& param) {
                           return param.param.label;
                         });

}  // namespace
