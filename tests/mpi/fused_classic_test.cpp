#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"

namespace {

struct Path {
  std::vector<double> f, gnorm, step;
  dlbfgs::LbfgsResult result;
};

Path Solve(const std::string& name, Eigen::Index n, dlbfgs::TwoLoopType variant, double grad_tol) {
  const dlbfgs::ProblemInfo& info = dlbfgs::FindProblem(name);
  const auto part = dlbfgs::Partition::Uniform(MPI_COMM_WORLD, n, info.granularity);
  dlbfgs::ProblemParams params;
  params.condition = 100;
  auto problem = dlbfgs::MakeProblem(name, part, params);
  Eigen::VectorXd x(part.local_size());
  problem->StartingPoint(x);
  Path path;
  dlbfgs::LbfgsOptions o;
  o.two_loop = variant;
  o.grad_tol = grad_tol;
  o.max_iterations = 3000;
  o.callback = [&path](const dlbfgs::IterationSummary& s) {
    path.f.push_back(s.f);
    path.gnorm.push_back(s.grad_norm);
    path.step.push_back(s.step);
    return dlbfgs::CallbackResult::kContinue;
  };
  path.result = dlbfgs::Minimize(*problem, part, x, o);
  return path;
}

// The fused direction is the classic one up to rounding, so both variants take the same steps:
// f, ||g|| and the accepted step agree to 1e-10 relative while the gradient is well above the
// level where rounding dominates, and well-conditioned problems need the same iteration count.
TEST(FusedClassicTest, SameIteratesOnBuiltinProblems) {
  struct Case {
    const char* name;
    Eigen::Index n;
    double grad_tol;
    bool same_count;
    double f_tol;  // relative agreement of f per iteration
  };
  // discrete-boundary-value has condition ~1e5 at n = 12 and f ~ 1e-9: its rounding grows faster.
  const Case cases[] = {{"rosenbrock", 100, 1e-6, true, 1e-10},
                        {"powell", 40, 1e-6, false, 1e-10},
                        {"broyden-tridiagonal", 60, 1e-7, true, 1e-10},
                        {"trigonometric", 50, 1e-9, true, 1e-10},
                        {"quadratic", 90, 1e-8, true, 1e-10},
                        {"discrete-boundary-value", 12, 1e-9, false, 1e-8}};
  for (const Case& c : cases) {
    const Path fused = Solve(c.name, c.n, dlbfgs::TwoLoopType::kFused, c.grad_tol);
    const Path classic = Solve(c.name, c.n, dlbfgs::TwoLoopType::kClassic, c.grad_tol);
    ASSERT_TRUE(fused.result.Converged()) << c.name << ": " << fused.result.message;
    ASSERT_TRUE(classic.result.Converged()) << c.name << ": " << classic.result.message;
    if (c.same_count) {
      EXPECT_EQ(fused.result.iterations, classic.result.iterations) << c.name;
    }
    const size_t common = std::min(fused.f.size(), classic.f.size());
    size_t compared = 0;
    for (size_t k = 0; k < common && classic.gnorm[k] > 1e-3 * classic.gnorm[0]; ++k, ++compared) {
      EXPECT_NEAR(fused.f[k], classic.f[k], c.f_tol * std::fabs(classic.f[k]))
          << c.name << " it " << k;
      EXPECT_NEAR(fused.gnorm[k], classic.gnorm[k], 1e-10 * classic.gnorm[0])
          << c.name << " it " << k;
      EXPECT_NEAR(fused.step[k], classic.step[k], 1e-8 * std::fabs(classic.step[k]))
          << c.name << " it " << k;
    }
    EXPECT_GE(compared, 5u) << c.name;
  }
}

}  // namespace
