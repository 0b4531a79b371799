// LbfgsOptions::trial_products: which trials of a line search carry the fused direction's
// products with the stored pairs. An accepted trial without them gets them from one extra pass
// and one extra allreduce, summed in the same blocked order: the run is bitwise the default's.
// Here: bitwise iterates in both history precisions and in the three trial geometries, the exact
// allreduce counts, and checkpoint/resume across modes. The allocation check is in
// allocation_test.cpp, the CLI flag in cli_options_test.cpp.

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Core>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::HistoryPrecision;
using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::Partition;
using dlbfgs::TrialProducts;
using dlbfgs::test_support::TempDir;

// One iterate as the callback saw it: the evaluations spent so far and the pairs stored.
struct Step {
  int evaluations;
  int history_count;
};

struct Solved {
  LbfgsResult result;
  Eigen::VectorXd x;  // this rank's block
  std::vector<Step> steps;
};

enum class Bounds { kNone, kBox, kL1 };

Solved Solve(const std::string& name, Eigen::Index n, LbfgsOptions o,
             Bounds bounds = Bounds::kNone) {
  const Partition part =
      Partition::Uniform(MPI_COMM_WORLD, n, dlbfgs::FindProblem(name).granularity);
  auto problem = dlbfgs::MakeProblem(name, part);
  Solved run;
  run.x.resize(part.local_size());
  problem->StartingPoint(run.x);
  std::vector<Step>* steps = &run.steps;
  o.callback = [steps](const dlbfgs::IterationSummary& s) {
    steps->push_back({s.evaluations, s.history_count});
    return dlbfgs::CallbackResult::kContinue;
  };
  if (bounds == Bounds::kL1) o.l1_weight = 0.1;
  if (bounds == Bounds::kBox) {
    // rosenbrock's minimiser is x = 1: an upper bound of 0.9 holds every variable there.
    const Eigen::VectorXd lower = Eigen::VectorXd::Constant(part.local_size(), -2.0);
    const Eigen::VectorXd upper = Eigen::VectorXd::Constant(part.local_size(), 0.9);
    run.result = dlbfgs::Minimize(*problem, part, run.x, o, lower, upper);
  } else {
    run.result = dlbfgs::Minimize(*problem, part, run.x, o);
  }
  return run;
}

// The iterations whose products an extra allreduce must sum: those whose search began with a
// stored pair and accepted a trial that did not carry them (not the first, for kFirstTrial).
int ExpectedExtra(const Solved& run, TrialProducts mode) {
  int extra = 0;
  for (size_t k = 0; k + 1 < run.steps.size(); ++k) {
    const bool later_trial = run.steps[k + 1].evaluations - run.steps[k].evaluations > 1;
    const bool needed = run.steps[k].history_count > 0;
    if (mode == TrialProducts::kFirstTrial) extra += needed && later_trial ? 1 : 0;
    if (mode == TrialProducts::kAfterSearch) extra += needed ? 1 : 0;
  }
  return extra;
}

void ExpectBitwiseEqual(const Solved& a, const Solved& b) {
  EXPECT_EQ(a.result.reason, b.result.reason);
  EXPECT_EQ(a.result.iterations, b.result.iterations);
  EXPECT_EQ(a.result.evaluations, b.result.evaluations);
  EXPECT_EQ(a.result.history_resets, b.result.history_resets);
  EXPECT_EQ(a.result.skipped_updates, b.result.skipped_updates);
  EXPECT_EQ(a.result.f, b.result.f);  // bitwise
  EXPECT_EQ(a.result.grad_norm, b.result.grad_norm);
  EXPECT_EQ(a.result.optimality, b.result.optimality);
  EXPECT_TRUE((a.x.array() == b.x.array()).all()) << "x differs on this rank";
}

LbfgsOptions With(TrialProducts mode, HistoryPrecision precision) {
  LbfgsOptions o;
  o.trial_products = mode;
  o.history_precision = precision;
  return o;
}

struct Case {
  const char* problem;
  Eigen::Index n;
  Bounds bounds;
  int refresh;  // gram_refresh_interval
};

// n = 40000: more than one kernel block (8192 rows) per rank at 1-4 ranks, so that the order in
// which the blocks' sums add matters (trigonometric: rosenbrock's vectors repeat with period 2,
// so its block sums are equal and add alike in any order). trigonometric at n = 200 has searches
// of 3 trials; the refresh case sends a refresh block in first trials without products
// (kAfterSearch); the L1 (orthant) and box geometries see other gradients.
const Case kCases[] = {
    {"rosenbrock", 1000, Bounds::kNone, 0},     {"trigonometric", 200, Bounds::kNone, 0},
    {"powell", 400, Bounds::kNone, 0},          {"rosenbrock", 40002, Bounds::kNone, 0},
    {"trigonometric", 40000, Bounds::kNone, 0}, {"rosenbrock", 1000, Bounds::kNone, 3},
    {"rosenbrock", 1000, Bounds::kL1, 0},       {"rosenbrock", 1000, Bounds::kBox, 0}};

// Kills: an extra pass that sums in another order than the trial pass (f differs in its last
// bits), that reads the wrong gradient or pair (other iterates), or that is skipped (the history
// keeps the previous iterate's products: other iterates).
TEST(TrialProductsTest, IteratesAreBitwiseThoseOfEveryTrial) {
  for (const Case& c : kCases)
    for (auto precision : {HistoryPrecision::kFloat64, HistoryPrecision::kFloat32}) {
      LbfgsOptions base = With(TrialProducts::kEveryTrial, precision);
      base.gram_refresh_interval = c.refresh;
      const Solved every = Solve(c.problem, c.n, base, c.bounds);
      ASSERT_TRUE(every.result.Converged()) << c.problem << ": " << every.result.message;
      EXPECT_EQ(every.result.product_allreduces, 0);
      for (auto mode : {TrialProducts::kFirstTrial, TrialProducts::kAfterSearch}) {
        SCOPED_TRACE(testing::Message()
                     << c.problem << " n = " << c.n << " bounds " << static_cast<int>(c.bounds)
                     << " refresh " << c.refresh << " " << dlbfgs::ToString(precision) << " "
                     << dlbfgs::ToString(mode));
        LbfgsOptions o = base;
        o.trial_products = mode;
        const Solved run = Solve(c.problem, c.n, o, c.bounds);
        ExpectBitwiseEqual(every, run);
        EXPECT_GT(run.result.product_allreduces, 0);
      }
    }
}

// The exact count: one allreduce per evaluation, one for the start-up check, and one per
// iteration whose accepted trial did not carry the products while the history held a pair.
// Kills: a skipped extra allreduce, one spent when the accepted trial carried them, or one spent
// on an empty history.
TEST(TrialProductsTest, AllreduceCountsAreEvaluationsPlusOnePlusTheExtraOnes) {
  for (const char* problem : {"rosenbrock", "trigonometric"})
    for (auto precision : {HistoryPrecision::kFloat64, HistoryPrecision::kFloat32})
      for (auto mode :
           {TrialProducts::kEveryTrial, TrialProducts::kFirstTrial, TrialProducts::kAfterSearch}) {
        SCOPED_TRACE(testing::Message() << problem << " " << dlbfgs::ToString(precision) << " "
                                        << dlbfgs::ToString(mode));
        LbfgsOptions o = With(mode, precision);
        o.history_size = 4;
        const Solved run = Solve(problem, 200, o);
        ASSERT_TRUE(run.result.Converged()) << run.result.message;
        ASSERT_EQ(run.result.history_resets, 0);
        const int extra = ExpectedExtra(run, mode);
        if (mode != TrialProducts::kEveryTrial) {
          // The problem has iterations whose accepted trial is a later one.
          EXPECT_GT(extra, 0);
          EXPECT_LT(extra, run.result.iterations);
        }
        EXPECT_EQ(run.result.product_allreduces, extra);
        EXPECT_EQ(run.result.comm.allreduce_calls, run.result.evaluations + 1 + extra);
      }
}

// Classic forms no such products: the option changes nothing there, not even the counts.
TEST(TrialProductsTest, ClassicIgnoresTheOption) {
  LbfgsOptions o = With(TrialProducts::kEveryTrial, HistoryPrecision::kFloat64);
  o.two_loop = dlbfgs::TwoLoopType::kClassic;
  const Solved every = Solve("rosenbrock", 200, o);
  o.trial_products = TrialProducts::kFirstTrial;
  const Solved first = Solve("rosenbrock", 200, o);
  ExpectBitwiseEqual(every, first);
  EXPECT_EQ(first.result.product_allreduces, 0);
  EXPECT_EQ(first.result.comm.allreduce_calls, every.result.comm.allreduce_calls);
}

// The option is not an algorithm option: a run checkpointed in one mode resumes in another, and
// both continue bitwise as the uninterrupted run. Kills: a checkpoint that loses the products
// of the last accepted step, or a fingerprint that refuses the other mode.
TEST(TrialProductsTest, ResumeIsBitwiseInEveryMode) {
  for (auto precision : {HistoryPrecision::kFloat64, HistoryPrecision::kFloat32})
    for (auto resume_mode :
         {TrialProducts::kFirstTrial, TrialProducts::kAfterSearch, TrialProducts::kEveryTrial}) {
      SCOPED_TRACE(testing::Message()
                   << dlbfgs::ToString(precision) << " resumed " << dlbfgs::ToString(resume_mode));
      TempDir dir;
      LbfgsOptions o = With(TrialProducts::kFirstTrial, precision);
      o.history_size = 5;
      const Solved whole = Solve("trigonometric", 200, o);
      ASSERT_TRUE(whole.result.Converged()) << whole.result.message;
      ASSERT_GT(whole.result.iterations, 20);

      LbfgsOptions first = o;
      first.checkpoint_dir = dir.path();
      first.checkpoint_every = 4;
      first.max_iterations = 13;
      const Solved part1 = Solve("trigonometric", 200, first);
      ASSERT_EQ(part1.result.iterations, 13);

      LbfgsOptions second = o;
      second.trial_products = resume_mode;
      second.resume_dir = dir.path();
      const Solved part2 = Solve("trigonometric", 200, second);
      ASSERT_TRUE(part2.result.resumed);
      ExpectBitwiseEqual(whole, part2);
      // This call's own: its evaluations, the start-up check, the resume's two and the extra.
      EXPECT_EQ(part2.result.comm.allreduce_calls, part2.result.evaluations -
                                                       part2.result.resumed_evaluations + 3 +
                                                       part2.result.product_allreduces);
    }
}

}  // namespace
