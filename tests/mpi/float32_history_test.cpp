// The float32 history (LbfgsOptions::history_precision = kFloat32): S and Y stored in single
// precision, every product and the direction in double. The solver's answers, its exact
// allreduce counts and the Gram refresh's bitwise reproduction of a run, on the built-in problems
// at their default tolerances. The Gram-vs-stored-vectors check is in two_loop_test.cpp, the
// checkpoint in checkpoint_test.cpp, the allocation check in allocation_test.cpp.

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::HistoryPrecision;
using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::Partition;
using dlbfgs::TerminationReason;
using dlbfgs::test_support::WorldRank;

struct Case {
  const char* problem;
  Eigen::Index n;
};

// The sizes of scripts/compare_builds.py, and rosenbrock at n = 100002 (more than two kernel
// blocks of 8192 rows per rank at 1-4 ranks), at the default options (grad_tol 1e-5, m = 10,
// quadratic condition 1e4).
const Case kCases[] = {{"rosenbrock", 1000},   {"powell", 400},        {"broyden-tridiagonal", 500},
                       {"trigonometric", 200}, {"rosenbrock", 100002}, {"quadratic", 500}};

LbfgsResult Solve(const std::string& name, Eigen::Index n, LbfgsOptions o,
                  std::vector<int>* counts = nullptr) {
  const Partition part =
      Partition::Uniform(MPI_COMM_WORLD, n, dlbfgs::FindProblem(name).granularity);
  auto problem = dlbfgs::MakeProblem(name, part);
  Eigen::VectorXd x(part.local_size());
  problem->StartingPoint(x);
  if (counts != nullptr) {
    o.callback = [counts](const dlbfgs::IterationSummary& s) {
      counts->push_back(s.history_count);
      return dlbfgs::CallbackResult::kContinue;
    };
  }
  return dlbfgs::Minimize(*problem, part, x, o);
}

LbfgsOptions WithPrecision(HistoryPrecision p) {
  LbfgsOptions o;
  o.history_precision = p;
  return o;
}

// Kills: a float32 path that loses the stored pairs (far more iterations), and a precision option
// that is ignored (the float32 run is then the float64 run, bit for bit).
TEST(Float32HistoryTest, IterationCountsWithinTenPercentOfFloat64OnTheBuiltinProblems) {
  int differ = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.problem);
    const LbfgsResult r64 = Solve(c.problem, c.n, WithPrecision(HistoryPrecision::kFloat64));
    const LbfgsResult r32 = Solve(c.problem, c.n, WithPrecision(HistoryPrecision::kFloat32));
    if (WorldRank() == 0) {
      std::printf("%-22s n = %5lld: float64 %4d iterations, float32 %4d (%+.1f%%)\n", c.problem,
                  static_cast<long long>(c.n), r64.iterations, r32.iterations,
                  100.0 * (r32.iterations - r64.iterations) / r64.iterations);
    }
    ASSERT_EQ(r64.reason, TerminationReason::kGradientTolerance) << r64.message;
    EXPECT_EQ(r32.reason, TerminationReason::kGradientTolerance) << r32.message;
    EXPECT_LE(r32.grad_norm, LbfgsOptions().grad_tol);
    EXPECT_LE(std::abs(r32.iterations - r64.iterations), 0.1 * r64.iterations)
        << r64.iterations << " vs " << r32.iterations;
    differ += r32.f != r64.f ? 1 : 0;
  }
  EXPECT_GT(differ, 0) << "every float32 run is bitwise the float64 run";
}

// The case that float32 hurts: the discrete boundary value problem, condition ~ n^4, where s and y
// lose digits in single precision (README, "float32 history"). It still reaches the tolerance;
// iterations grow (+28% at n = 300), bounded here by 1.5x.
TEST(Float32HistoryTest, DiscreteBoundaryValueStillReachesTheTolerance) {
  const LbfgsResult r64 =
      Solve("discrete-boundary-value", 300, WithPrecision(HistoryPrecision::kFloat64));
  const LbfgsResult r32 =
      Solve("discrete-boundary-value", 300, WithPrecision(HistoryPrecision::kFloat32));
  if (WorldRank() == 0) {
    std::printf("discrete-boundary-value n = 300: float64 %d iterations, float32 %d\n",
                r64.iterations, r32.iterations);
  }
  ASSERT_EQ(r64.reason, TerminationReason::kGradientTolerance) << r64.message;
  EXPECT_EQ(r32.reason, TerminationReason::kGradientTolerance) << r32.message;
  EXPECT_LE(r32.grad_norm, LbfgsOptions().grad_tol);
  EXPECT_LE(r32.iterations, 1.5 * r64.iterations);
}

// Fused: one allreduce per evaluation plus the start-up check, as in float64; classic: 2 per
// stored pair plus one per direction on top. Kills: a float32 path that reduces on its own.
TEST(Float32HistoryTest, AllreduceCountsAreExactlyThoseOfFloat64) {
  for (auto variant : {dlbfgs::TwoLoopType::kFused, dlbfgs::TwoLoopType::kClassic}) {
    LbfgsOptions o = WithPrecision(HistoryPrecision::kFloat32);
    o.two_loop = variant;
    o.history_size = 4;
    std::vector<int> counts;
    const LbfgsResult r = Solve("rosenbrock", 200, o, &counts);
    ASSERT_TRUE(r.Converged()) << r.message;
    ASSERT_EQ(r.history_resets, 0);
    long long expected = 1 + r.evaluations;
    if (variant == dlbfgs::TwoLoopType::kClassic) {
      for (size_t k = 0; k + 1 < counts.size(); ++k) {
        expected += counts[k] > 0 ? 2 * counts[k] + 1 : 0;
      }
    }
    EXPECT_EQ(r.comm.allreduce_calls, expected) << dlbfgs::ToString(variant);
  }
}

// The refresh recomputes the Gram matrix from the stored floats, widened: it must reproduce bit
// for bit the entries that the trial passes formed from the rounded pairs, so a run with a
// refresh every 3 iterations is the run without. Kills: products of the candidate pair formed
// before rounding (the refresh then changes the path).
TEST(Float32HistoryTest, GramRefreshReproducesTheSameRunBitwise) {
  // n = 100002: more than two kernel blocks (8192 rows) per rank at 1-4 ranks, so the trial pass's
  // widened copy of the rounded pair is used block after block.
  for (const Case& c :
       {Case{"rosenbrock", 200}, Case{"trigonometric", 200}, Case{"rosenbrock", 100002}}) {
    LbfgsResult r[2];
    for (int v = 0; v < 2; ++v) {
      LbfgsOptions o = WithPrecision(HistoryPrecision::kFloat32);
      o.gram_refresh_interval = v == 0 ? 0 : 3;
      r[v] = Solve(c.problem, c.n, o);
    }
    SCOPED_TRACE(c.problem + (" " + std::to_string(c.n)));
    EXPECT_TRUE(r[0].Converged()) << r[0].message;
    EXPECT_GT(r[1].gram_refreshes, 3);
    EXPECT_EQ(r[0].history_resets, r[1].history_resets);
    EXPECT_EQ(r[0].iterations, r[1].iterations);
    EXPECT_EQ(r[0].evaluations, r[1].evaluations);
    EXPECT_EQ(r[0].f, r[1].f);  // bitwise
    EXPECT_EQ(r[1].comm.allreduce_calls, r[1].evaluations + 1);
  }
}

}  // namespace
