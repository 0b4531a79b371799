// Properties of Minimize() that a plausible bug would break and that the other tests do not
// pin down: each test asserts a value (a count, a bound, an exact message, a bitwise state), not
// only a reason, and each fails on the bug named in its comment. Collective on MPI_COMM_WORLD
// (run at 1-4 ranks).

#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Sparse>
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::CallbackResult;
using dlbfgs::IterationSummary;
using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::Partition;
using dlbfgs::TerminationReason;
using dlbfgs::test_support::GatherToAll;
using dlbfgs::test_support::IdenticalOnAllRanks;
using dlbfgs::test_support::TempDir;
using dlbfgs::test_support::WorldRank;
using dlbfgs::test_support::WorldSize;
using Eigen::Index;
using Eigen::VectorXd;

// A value in [0, 1) from (seed, global index), so that no two entries are alike (splitmix64).
double Hash01(std::uint64_t seed, Index i) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(i) + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

double Dot(const Eigen::Ref<const VectorXd>& a, const Eigen::Ref<const VectorXd>& b,
           MPI_Comm comm = MPI_COMM_WORLD) {
  double v = a.dot(b);
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, comm);
  return v;
}

int SumOverRanks(int v) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  return v;
}

double MaxAbsOverRanks(const VectorXd& v) {
  return dlbfgs::test_support::MaxOverRanks(v.size() > 0 ? v.cwiseAbs().maxCoeff() : 0.0);
}

// Every field of the outcome that must be identical on every rank.
void ExpectSameOutcomeOnEveryRank(const LbfgsResult& r) {
  EXPECT_TRUE(IdenticalOnAllRanks(static_cast<double>(r.reason)));
  EXPECT_TRUE(IdenticalOnAllRanks(r.f));
  EXPECT_TRUE(IdenticalOnAllRanks(r.iterations));
  EXPECT_TRUE(IdenticalOnAllRanks(r.evaluations));
  EXPECT_TRUE(IdenticalOnAllRanks(static_cast<double>(r.message.size())));
}

// ---------------------------------------------------------------------------------------------
// The curvature safeguard.

// f = sum_i w_i (x_i^4 / 4 - x_i^2 / 2): a double well in every coordinate, concave for
// |x_i| < 1/sqrt(3), with minimisers x_i = +-1. Weights w_i in [1, 3) by global index.
class DoubleWell : public dlbfgs::Objective {
 public:
  explicit DoubleWell(const Partition& part) : w_(part.local_size()) {
    for (Index k = 0; k < w_.size(); ++k) w_[k] = 1 + 2 * Hash01(1, part.offset() + k);
  }
  double EvaluateLocal(const Eigen::Ref<const VectorXd>& x, Eigen::Ref<VectorXd> g) override {
    const Eigen::ArrayXd a = x.array();
    g = (w_.array() * (a * a * a - a)).matrix();
    return (w_.array() * (0.25 * a.square().square() - 0.5 * a.square())).sum();
  }

 private:
  VectorXd w_;
};

// With an Armijo-only backtracking search nothing keeps s'y > 0 on a non-convex function: the
// solver must skip exactly the pairs with s'y <= curvature_eps y'y (Nocedal & Wright, Section
// 7.2), recomputed here from the iterates the callback sees, and store every other one.
// Kills: the safeguard disabled (skipped_updates stays 0, the history grows on a skipped pair),
// or a pair skipped by another rule.
TEST(SuiteStrengthTest, CurvatureSafeguardSkipsExactlyThePairsWithoutPositiveCurvature) {
  // From x_i in [0.05, 0.25], inside the concave region: a few early pairs lack curvature.
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 100);
  DoubleWell obj(part);
  VectorXd x(part.local_size());
  for (Index k = 0; k < x.size(); ++k) x[k] = 0.05 + 0.2 * Hash01(2, part.offset() + k);
  LbfgsOptions o;
  o.line_search = dlbfgs::LineSearchType::kBacktracking;
  o.backtracking_wolfe = false;
  o.history_size = 4;
  o.grad_tol = 1e-8;
  VectorXd x_prev, g_prev;
  int count_prev = 0;
  int without_curvature = 0;  // iterations whose pair has s'y <= eps y'y, as computed here
  int mismatches = 0;
  o.callback = [&](const IterationSummary& s) {
    if (s.iteration > 0) {
      const VectorXd sv = s.x() - x_prev, yv = s.g() - g_prev;
      const double sy = Dot(sv, yv), yy = Dot(yv, yv);
      const bool kept = sy > o.curvature_eps * yy && yy > 0;
      without_curvature += kept ? 0 : 1;
      const int expected = kept ? std::min(count_prev + 1, o.history_size) : count_prev;
      if (s.history_count != expected) ++mismatches;
    }
    x_prev = s.x();
    g_prev = s.g();
    count_prev = s.history_count;
    return CallbackResult::kContinue;
  };
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  EXPECT_TRUE(r.Converged()) << r.message;
  EXPECT_GT(without_curvature, 0) << "the test no longer exercises the safeguard";
  EXPECT_EQ(r.skipped_updates, without_curvature);
  // With the safeguard every stored pair has s'y > 0, H stays positive definite and every
  // direction is a descent direction: nothing resets the history, so its count is predictable.
  EXPECT_EQ(r.history_resets, 0);
  EXPECT_EQ(mismatches, 0) << "a pair was stored or dropped against the s'y rule";
  // A local minimiser: every |x_i| = 1.
  EXPECT_LE(MaxAbsOverRanks((x.array().abs() - 1).matrix()), 1e-6);
  ExpectSameOutcomeOnEveryRank(r);
}

// ---------------------------------------------------------------------------------------------
// Failed line searches.

// f = sum_i c_i (sqrt(1 + e_i^2) - 1), e = x - 1, c_i in [0.2, 1.4] by global index (the
// pseudo-Huber function, written as e^2 / (sqrt(1 + e^2) + 1) so that it does not cancel near
// e = 0). Its curvature c / (1 + e^2)^(3/2) vanishes far from x* = 1: pairs from the flat region
// promise too little curvature, and the quasi-Newton step overshoots. The curvature never
// exceeds 1.4 < 2 (1 - c1), so a steepest-descent step of length min(1, ||g||) always satisfies
// the Armijo condition: f(x - t g) - f(x) <= -t ||g||^2 + 0.7 t^2 ||g||^2 <= -c1 t ||g||^2.
class PseudoHuber : public dlbfgs::Objective {
 public:
  explicit PseudoHuber(const Partition& part) : c_(part.local_size()) {
    for (Index k = 0; k < c_.size(); ++k) c_[k] = 0.2 + 1.2 * Hash01(3, part.offset() + k);
  }
  double EvaluateLocal(const Eigen::Ref<const VectorXd>& x, Eigen::Ref<VectorXd> g) override {
    const Eigen::ArrayXd e = x.array() - 1;
    const Eigen::ArrayXd r = (1 + e.square()).sqrt();
    g = (c_.array() * e / r).matrix();
    return (c_.array() * e.square() / (r + 1)).sum();
  }

 private:
  VectorXd c_;
};

// One evaluation per line search: a quasi-Newton trial that fails the Armijo condition is a
// failed search, and only the retry along -g (with the history cleared) lets the run go on.
// Kills: the "retry along -g after a failed line search" path removed (the run then stops with
// kLineSearchFailed at the first overshoot).
TEST(SuiteStrengthTest, RetryAlongSteepestDescentRescuesAFailedQuasiNewtonSearch) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 10);
  PseudoHuber obj(part);
  VectorXd x = VectorXd::Constant(part.local_size(), -3.0);
  LbfgsOptions o;
  o.line_search = dlbfgs::LineSearchType::kBacktracking;
  o.max_line_search_evaluations = 1;
  o.grad_tol = 1e-8;
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  EXPECT_EQ(r.reason, TerminationReason::kGradientTolerance) << r.message;
  EXPECT_GT(r.history_resets, 0) << "no quasi-Newton search failed: the test proves nothing";
  EXPECT_LE(r.grad_norm, 1e-8);
  EXPECT_LE(MaxAbsOverRanks((x.array() - 1).matrix()), 1e-7);
  ExpectSameOutcomeOnEveryRank(r);
}

// f = 1/2 sum_i c_i (x_i - 1)^2 with c_i in [1, 100], whose reported gradient has the wrong sign
// on every fifth entry (global index): along the quasi-Newton direction the reported slope says
// descent while f rises, and along -g as well once those entries dominate. The run must try the
// quasi-Newton direction, then -g with the history cleared, and only then give up. The objective
// records, for every trial point x_t after the last accepted iterate x_k, whether x_t - x_k is
// parallel to -g_k (the gradient the solver saw at x_k).
class WrongSlope : public dlbfgs::Objective {
 public:
  explicit WrongSlope(const Partition& part) : part_(part), c_(part.local_size()) {
    for (Index k = 0; k < c_.size(); ++k) c_[k] = 1 + 99 * Hash01(4, part.offset() + k);
  }
  double EvaluateLocal(const Eigen::Ref<const VectorXd>& x, Eigen::Ref<VectorXd> g) override {
    const VectorXd e = x.array() - 1;
    g = c_.cwiseProduct(e);
    for (Index k = 0; k < g.size(); ++k) {
      if ((part_.offset() + k) % 5 == 0) g[k] = -g[k];
    }
    if (x_k.size() == x.size()) {
      // Collective (every rank takes this branch alike). Parallel up to the rounding of
      // x_k + alpha d, which dominates at the tiny steps that a failing search ends with.
      const VectorXd step = x - x_k;
      const double sg = Dot(step, g_k), gg = Dot(g_k, g_k);
      const VectorXd off = step - (sg / gg) * g_k;
      const double slack =
          1e-9 * std::sqrt(Dot(step, step)) + 1e-14 * (1 + std::sqrt(Dot(x_k, x_k)));
      along_minus_g.push_back(sg < 0 && std::sqrt(Dot(off, off)) <= slack);
    }
    return 0.5 * c_.cwiseProduct(e).dot(e);
  }
  VectorXd x_k, g_k;                // the last accepted iterate and its reported gradient
  std::vector<bool> along_minus_g;  // per trial since x_k

 private:
  const Partition& part_;
  VectorXd c_;
};

// Kills: the retry path removed (the last search is the quasi-Newton one), and a retry that
// keeps the history (its direction is not -g).
TEST(SuiteStrengthTest, FailedSearchIsRetriedOnceAlongSteepestDescentBeforeGivingUp) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 40);
  WrongSlope obj(part);
  VectorXd x = VectorXd::Zero(part.local_size());
  LbfgsOptions o;
  int accepted_with_history = 0;
  o.callback = [&](const IterationSummary& s) {
    obj.x_k = s.x();
    obj.g_k = s.g();
    obj.along_minus_g.clear();
    accepted_with_history = s.history_count;
    return CallbackResult::kContinue;
  };
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  EXPECT_EQ(r.reason, TerminationReason::kLineSearchFailed) << r.message;
  EXPECT_EQ(r.message.rfind("no acceptable step along steepest descent after " +
                                std::to_string(o.max_line_search_evaluations) + " evaluations",
                            0),
            0u)
      << r.message;
  ASSERT_GT(accepted_with_history, 0) << "the last search had no history: nothing to retry";
  EXPECT_GE(r.history_resets, 1);
  // After the last accepted iterate: a failed search along the quasi-Newton direction, then a
  // whole failed search along -g.
  const std::vector<bool>& along = obj.along_minus_g;
  const int budget = o.max_line_search_evaluations;
  ASSERT_GT(static_cast<int>(along.size()), budget);
  EXPECT_FALSE(along.front()) << "the first search was not along the quasi-Newton direction";
  EXPECT_EQ(std::count(along.end() - budget, along.end(), true), budget)
      << "the last search was not along -g";
  ExpectSameOutcomeOnEveryRank(r);
}

// ---------------------------------------------------------------------------------------------
// Limits and tolerances: the value each one promises, not only its reason.

// f = 1/2 sum_i c_i (x_i - 1)^2, c_i = condition^(i / (n - 1)), counting its calls.
class Quadratic : public dlbfgs::Objective {
 public:
  Quadratic(const Partition& part, double condition) : c_(part.local_size()) {
    const double n = static_cast<double>(part.global_size());
    for (Index k = 0; k < c_.size(); ++k) {
      c_[k] = std::pow(condition, static_cast<double>(part.offset() + k) / (n - 1));
    }
  }
  double EvaluateLocal(const Eigen::Ref<const VectorXd>& x, Eigen::Ref<VectorXd> g) override {
    ++calls;
    const VectorXd e = x.array() - 1;
    g = c_.cwiseProduct(e);
    return 0.5 * g.dot(e);
  }
  int calls = 0;

 private:
  VectorXd c_;
};

// Kills: an evaluation limit that is off by any amount, in the line search (Evaluate) or in the
// stopping test (which Evaluate would otherwise mask: the classic two-loop would then spend its
// 2m + 1 reductions on a direction that is never used), and a limit that spends one more
// evaluation than it reports.
TEST(SuiteStrengthTest, MaxEvaluationsStopsAfterExactlyThatManyEvaluations) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 50);
  for (auto variant : {dlbfgs::TwoLoopType::kFused, dlbfgs::TwoLoopType::kClassic}) {
    for (int limit = 1; limit <= 40; ++limit) {
      SCOPED_TRACE(testing::Message()
                   << dlbfgs::ToString(variant) << ", max_evaluations = " << limit);
      Quadratic obj(part, 1e4);
      VectorXd x = VectorXd::Zero(part.local_size());
      LbfgsOptions o;
      o.two_loop = variant;
      o.grad_tol = 1e-12;
      o.max_evaluations = limit;
      // The classic two-loop's reductions for the direction computed after each iterate: none
      // after the last one when the limit was reached exactly there.
      long long classic_reductions = 0;
      int last_evaluations = 0, last_pairs = 0;
      o.callback = [&](const IterationSummary& s) {
        classic_reductions += last_pairs > 0 ? 2 * last_pairs + 1 : 0;
        last_evaluations = s.evaluations;
        last_pairs = s.history_count;
        return CallbackResult::kContinue;
      };
      const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
      EXPECT_EQ(r.reason, TerminationReason::kMaxEvaluations) << r.message;
      EXPECT_EQ(r.evaluations, limit);
      EXPECT_EQ(obj.calls, limit);
      EXPECT_EQ(r.message, "reached max_evaluations = " + std::to_string(limit));
      ASSERT_EQ(r.history_resets, 0);
      if (last_evaluations < limit) classic_reductions += last_pairs > 0 ? 2 * last_pairs + 1 : 0;
      const bool classic = variant == dlbfgs::TwoLoopType::kClassic;
      EXPECT_EQ(r.comm.allreduce_calls, 1 + limit + (classic ? classic_reductions : 0));
      // The returned x is the iterate the result describes.
      VectorXd g(part.local_size());
      double f = obj.EvaluateLocal(x, g);
      MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      EXPECT_EQ(f, r.f);
    }
  }
}

// f = sum_i a_i (x_i - log x_i), a_i in [1, 4) growing with the global index: the minimiser is
// x = 1 and f is NaN wherever some x_i < 0 (std::log). From x = 10 the gradient is nearly flat, so
// the first quasi-Newton step, scaled by s'y / y'y ~ 100, lands far in the negative orthant, on
// the ranks that own the large a_i first. The objective counts its own non-finite returns.
class LogBarrier : public dlbfgs::Objective {
 public:
  explicit LogBarrier(const Partition& part) : a_(part.local_size()) {
    const double n = static_cast<double>(part.global_size());
    for (Index k = 0; k < a_.size(); ++k)
      a_[k] = 1 + 3 * static_cast<double>(part.offset() + k) / n;
  }
  double EvaluateLocal(const Eigen::Ref<const VectorXd>& x, Eigen::Ref<VectorXd> g) override {
    g = a_.array() * (1 - 1 / x.array());
    const double f = (a_.array() * (x.array() - x.array().log())).sum();
    if (!std::isfinite(f)) ++non_finite;
    return f;
  }
  int non_finite = 0;

 private:
  VectorXd a_;
};

// Kills: a non-finite share accepted or ignored (the run would leave the domain or stop), and a
// test that passes without ever meeting a NaN.
TEST(SuiteStrengthTest, NonFiniteTrialsAreRejectedAndTheRunConverges) {
  for (auto ls : {dlbfgs::LineSearchType::kMoreThuente, dlbfgs::LineSearchType::kBacktracking}) {
    SCOPED_TRACE(dlbfgs::ToString(ls));
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, 12);
    LogBarrier obj(part);
    VectorXd x = VectorXd::Constant(part.local_size(), 10.0);
    LbfgsOptions o;
    o.line_search = ls;
    o.grad_tol = 1e-9;
    const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
    EXPECT_GT(SumOverRanks(obj.non_finite), 0) << "no trial met the NaN region";
    EXPECT_EQ(r.reason, TerminationReason::kGradientTolerance) << r.message;
    EXPECT_TRUE(std::isfinite(r.f));
    EXPECT_LE(MaxAbsOverRanks((x.array() - 1).matrix()), 1e-8);
    ExpectSameOutcomeOnEveryRank(r);
  }
}

// Kills: a relative test against the wrong reference (||g0||^2, the current ||g||, grad_tol) or
// applied one iteration late or early.
TEST(SuiteStrengthTest, GradRelTolStopsAtTheFirstIterateBelowItsFractionOfTheFirstGradient) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 60);
  for (double rel : {1e-1, 1e-3, 1e-6}) {
    SCOPED_TRACE(testing::Message() << "grad_rel_tol = " << rel);
    Quadratic obj(part, 1e3);
    VectorXd x = VectorXd::Zero(part.local_size());
    LbfgsOptions o;
    o.grad_tol = 0;
    o.grad_rel_tol = rel;
    std::vector<double> gnorm;
    o.callback = [&](const IterationSummary& s) {
      gnorm.push_back(s.grad_norm);
      return CallbackResult::kContinue;
    };
    // ||g0|| computed here, at the start point, not by the solver.
    VectorXd g0(part.local_size());
    obj.EvaluateLocal(x, g0);
    const double g0_norm = std::sqrt(Dot(g0, g0));
    const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
    ASSERT_EQ(r.reason, TerminationReason::kRelativeGradientTolerance) << r.message;
    ASSERT_EQ(static_cast<int>(gnorm.size()), r.iterations + 1);
    EXPECT_NEAR(gnorm[0], g0_norm, 1e-13 * g0_norm);  // summed in another order
    EXPECT_LE(r.grad_norm, rel * g0_norm);
    EXPECT_EQ(r.grad_norm, gnorm.back());
    for (int k = 0; k < r.iterations; ++k) EXPECT_GT(gnorm[k], rel * g0_norm) << "iteration " << k;
  }
}

// Kills: the f ring read at the wrong distance (past - 1, past + 1), the decrease not relative
// to max(1, |f|), or a test applied before `past` iterations exist.
TEST(SuiteStrengthTest, FRelTolStopsAtTheFirstSmallDecreaseOverPastIterations) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 60);
  for (int past : {1, 3, 7}) {
    for (double tol : {1e-2, 1e-5}) {
      SCOPED_TRACE(testing::Message() << "past = " << past << ", f_rel_tol = " << tol);
      Quadratic obj(part, 1e4);
      VectorXd x = VectorXd::Zero(part.local_size());
      LbfgsOptions o;
      o.grad_tol = 0;
      o.f_rel_tol = tol;
      o.past = past;
      std::vector<double> f;
      o.callback = [&](const IterationSummary& s) {
        f.push_back(s.f);
        return CallbackResult::kContinue;
      };
      const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
      ASSERT_EQ(r.reason, TerminationReason::kFunctionTolerance) << r.message;
      ASSERT_EQ(static_cast<int>(f.size()), r.iterations + 1);
      auto decrease = [&](int k) { return (f[k - past] - f[k]) / std::max(1.0, std::fabs(f[k])); };
      EXPECT_GE(r.iterations, past);
      EXPECT_LE(decrease(r.iterations), tol);
      for (int k = past; k < r.iterations; ++k) EXPECT_GT(decrease(k), tol) << "iteration " << k;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Stop signals.

// Raises `signal` on the ranks in `raisers` at iteration 4, with the library's handlers
// installed, and restores the default handlers and the stop flag afterwards.
LbfgsResult RunAndRaise(int signal, const std::vector<int>& raisers, double* f_at_raise) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 40);
  Quadratic obj(part, 1e3);
  VectorXd x = VectorXd::Zero(part.local_size());
  LbfgsOptions o;
  o.grad_tol = 1e-12;
  const bool raiser = std::find(raisers.begin(), raisers.end(), part.rank()) != raisers.end();
  o.callback = [&](const IterationSummary& s) {
    if (s.iteration == 4) {
      *f_at_raise = s.f;
      if (raiser) std::raise(signal);
    }
    return CallbackResult::kContinue;
  };
  dlbfgs::InstallStopSignalHandlers();
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  dlbfgs::ClearStopRequest();
  return r;
}

// Kills: a stop signal honoured only from rank 0 (or only where the solver's rank matches), a
// signal named wrongly, and a stop that is not taken at the next iteration boundary.
TEST(SuiteStrengthTest, StopSignalOnTheLastRankOnlyStopsEveryRankAndNamesIt) {
  const int last = WorldSize() - 1;
  for (int signal : {SIGTERM, SIGINT}) {
    const std::string name = signal == SIGTERM ? "SIGTERM" : "SIGINT";
    SCOPED_TRACE(name);
    double f_at_raise = 0;
    const LbfgsResult r = RunAndRaise(signal, {last}, &f_at_raise);
    EXPECT_EQ(r.reason, TerminationReason::kInterrupted) << r.message;
    EXPECT_EQ(r.message, "stop requested by " + name + " on rank " + std::to_string(last));
    EXPECT_EQ(r.iterations, 4);
    EXPECT_EQ(r.f, f_at_raise);
    EXPECT_FALSE(dlbfgs::StopRequested());
    ExpectSameOutcomeOnEveryRank(r);
  }
}

// Kills: the lowest signalled rank or the count of the others named wrongly.
TEST(SuiteStrengthTest, StopSignalOnSeveralRanksNamesTheLowestAndCountsTheOthers) {
  if (WorldSize() < 3) GTEST_SKIP() << "needs three ranks";
  const int last = WorldSize() - 1;
  double f_at_raise = 0;
  const LbfgsResult r = RunAndRaise(SIGINT, {1, last}, &f_at_raise);
  EXPECT_EQ(r.reason, TerminationReason::kInterrupted) << r.message;
  EXPECT_EQ(r.message, "stop requested by SIGINT on rank 1 (and 1 other rank(s))");
  EXPECT_EQ(r.iterations, 4);
  ExpectSameOutcomeOnEveryRank(r);
}

// ---------------------------------------------------------------------------------------------
// Checkpoints.

// Extended Rosenbrock (pairs never straddle ranks: granularity 2) from a start perturbed by a
// hash of the index, so that no two pairs follow the same path and a re-partitioned vector whose
// blocks land in the wrong place changes the run.
class Rosenbrock : public dlbfgs::Objective {
 public:
  double EvaluateLocal(const Eigen::Ref<const VectorXd>& x, Eigen::Ref<VectorXd> g) override {
    double f = 0;
    for (Index i = 0; i + 1 < x.size(); i += 2) {
      const double t1 = 1 - x[i];
      const double t2 = 10 * (x[i + 1] - x[i] * x[i]);
      g[i + 1] = 20 * t2;
      g[i] = -2 * (x[i] * g[i + 1] + t1);
      f += t1 * t1 + t2 * t2;
    }
    return f;
  }
};

constexpr Index kRosenbrockN = 64;

VectorXd RosenbrockStart(const Partition& part) {
  VectorXd x(part.local_size());
  for (Index k = 0; k < x.size(); ++k) {
    const Index i = part.offset() + k;
    x[k] = (i % 2 == 0 ? -1.2 : 1.0) + 0.2 * Hash01(5, i);
  }
  return x;
}

LbfgsOptions RosenbrockOptions() {
  LbfgsOptions o;
  o.history_size = 5;
  o.grad_tol = 1e-9;
  return o;
}

// One run on `comm`: the result, the gathered x, and f, ||g|| and the gathered x per iteration.
struct Trace {
  LbfgsResult result;
  VectorXd x;
  std::vector<double> f, gnorm;
  std::vector<VectorXd> xs;
};

Trace SolveRosenbrock(MPI_Comm comm, LbfgsOptions o, bool keep_iterates = false) {
  const Partition part = Partition::Uniform(comm, kRosenbrockN, 2);
  Rosenbrock obj;
  VectorXd x = RosenbrockStart(part);
  Trace t;
  o.callback = [&](const IterationSummary& s) {
    // Indexed by iteration: a resumed run starts at the checkpoint's.
    const std::size_t k = static_cast<std::size_t>(s.iteration);
    t.f.resize(k + 1, std::numeric_limits<double>::quiet_NaN());
    t.gnorm.resize(k + 1, std::numeric_limits<double>::quiet_NaN());
    t.f[k] = s.f;
    t.gnorm[k] = s.grad_norm;
    if (keep_iterates) {
      t.xs.resize(k + 1);
      t.xs[k] = GatherToAll(part, s.x());
    }
    return CallbackResult::kContinue;
  };
  t.result = dlbfgs::Minimize(obj, part, x, o);
  t.x = GatherToAll(part, x);
  return t;
}

// Written by one rank, resumed by all: the saved state comes back bitwise, and the continued run
// follows the serial uninterrupted one, which needs every saved vector (x, g, and the s and y
// history) in its right place. Kills: the y history (or s, or g) lost or zeroed when the vectors
// are re-partitioned, and a block copied to the wrong offset.
TEST(SuiteStrengthTest, ResumeOnMoreRanksRestoresTheStateAndFollowsTheSerialRun) {
  constexpr int kAt = 12;      // the checkpoint's iteration
  constexpr int kFollow = 14;  // iterations compared after it
  const Trace serial = SolveRosenbrock(MPI_COMM_SELF, RosenbrockOptions(), true);
  ASSERT_TRUE(serial.result.Converged()) << serial.result.message;
  ASSERT_GT(serial.result.iterations, kAt + kFollow);

  TempDir dir;
  LbfgsOptions write = RosenbrockOptions();
  write.checkpoint_dir = dir.path();
  write.max_iterations = kAt;
  if (WorldRank() == 0) {
    const Trace written = SolveRosenbrock(MPI_COMM_SELF, write);
    EXPECT_EQ(written.result.checkpoints, 1);
  }
  MPI_Barrier(MPI_COMM_WORLD);

  // Resumed and stopped at once: exactly what was saved.
  LbfgsOptions stop = RosenbrockOptions();
  stop.resume_dir = dir.path();
  stop.max_iterations = kAt;
  const Trace restored = SolveRosenbrock(MPI_COMM_WORLD, stop);
  EXPECT_TRUE(restored.result.resumed);
  EXPECT_EQ(restored.result.iterations, kAt);
  EXPECT_EQ(restored.result.f, serial.f[kAt]);
  EXPECT_EQ(restored.result.grad_norm, serial.gnorm[kAt]);
  EXPECT_TRUE((restored.x.array() == serial.xs[kAt].array()).all()) << "x differs";

  // Continued: the serial run's path (the reductions sum in another order, nothing else).
  LbfgsOptions go_on = RosenbrockOptions();
  go_on.resume_dir = dir.path();
  go_on.max_iterations = kAt + kFollow;
  const Trace continued = SolveRosenbrock(MPI_COMM_WORLD, go_on);
  ASSERT_EQ(continued.result.iterations, kAt + kFollow) << continued.result.message;
  for (int k = kAt; k <= kAt + kFollow; ++k) {
    EXPECT_NEAR(continued.f[k], serial.f[k], 1e-10 * std::fabs(serial.f[k])) << "iteration " << k;
  }
  EXPECT_LE((continued.x - serial.xs[kAt + kFollow]).cwiseAbs().maxCoeff(), 1e-8);
  ExpectSameOutcomeOnEveryRank(continued.result);
}

// Stops at kAt with a checkpoint, resumes, and compares with the uninterrupted run bitwise.
void ExpectBitwiseResume(const LbfgsOptions& o, int at) {
  const Trace whole = SolveRosenbrock(MPI_COMM_WORLD, o);
  ASSERT_GT(whole.result.iterations, at + o.past + 2) << whole.result.message;
  TempDir dir;
  LbfgsOptions first = o;
  first.checkpoint_dir = dir.path();
  first.max_iterations = at;
  const Trace part1 = SolveRosenbrock(MPI_COMM_WORLD, first);
  ASSERT_EQ(part1.result.iterations, at);
  LbfgsOptions second = o;
  second.resume_dir = dir.path();
  const Trace part2 = SolveRosenbrock(MPI_COMM_WORLD, second);
  EXPECT_TRUE(part2.result.resumed);
  EXPECT_EQ(part2.result.reason, whole.result.reason) << part2.result.message;
  EXPECT_EQ(part2.result.message, whole.result.message);
  EXPECT_EQ(part2.result.iterations, whole.result.iterations);
  EXPECT_EQ(part2.result.evaluations, whole.result.evaluations);
  EXPECT_EQ(part2.result.f, whole.result.f);
  EXPECT_EQ(part2.result.grad_norm, whole.result.grad_norm);
  EXPECT_EQ(part2.result.skipped_updates, whole.result.skipped_updates);
  EXPECT_EQ(part2.result.history_resets, whole.result.history_resets);
  EXPECT_EQ(part2.result.gram_refreshes, whole.result.gram_refreshes);
  EXPECT_TRUE((part2.x.array() == whole.x.array()).all()) << "x differs from the whole run";
}

// The relative tests read state from before the checkpoint: f of the last `past` iterates and
// ||g0||. Kills: the f ring (past_f) or g0_norm not saved or not restored.
TEST(SuiteStrengthTest, BitwiseResumeKeepsTheStateOfTheRelativeTests) {
  {
    SCOPED_TRACE("f_rel_tol over past = 4");
    LbfgsOptions o = RosenbrockOptions();
    o.grad_tol = 0;
    o.f_rel_tol = 1e-7;
    o.past = 4;
    const Trace whole = SolveRosenbrock(MPI_COMM_WORLD, o);
    ASSERT_EQ(whole.result.reason, TerminationReason::kFunctionTolerance) << whole.result.message;
    ExpectBitwiseResume(o, whole.result.iterations / 2);
  }
  {
    SCOPED_TRACE("grad_rel_tol");
    LbfgsOptions o = RosenbrockOptions();
    o.grad_tol = 0;
    o.grad_rel_tol = 1e-7;
    const Trace whole = SolveRosenbrock(MPI_COMM_WORLD, o);
    ASSERT_EQ(whole.result.reason, TerminationReason::kRelativeGradientTolerance)
        << whole.result.message;
    ExpectBitwiseResume(o, whole.result.iterations / 2);
  }
}

// A checkpoint taken at an iteration that scheduled a Gram refresh (every 3) carries the pending
// refresh. Kills: refresh_pending or gram_refreshes not saved or not restored.
TEST(SuiteStrengthTest, BitwiseResumeKeepsAPendingGramRefresh) {
  LbfgsOptions o = RosenbrockOptions();
  o.gram_refresh_interval = 3;
  ExpectBitwiseResume(o, 12);
}

// ---------------------------------------------------------------------------------------------
// Option ranges.

// ValidateOptions names the first offending field as "LbfgsOptions.<field> = <value>: must be
// <condition>"; a valid value at either end of a range gives "". Every double field is also tried
// with NaN and infinity. Kills: a bound that is off by one or inclusive where it must be
// exclusive, a field not validated, and NaN slipping through a `<` comparison.
TEST(SuiteStrengthTest, ValidateOptionsChecksTheRangeOfEveryField) {
  struct Case {
    const char* field;
    std::function<void(LbfgsOptions&)> set;
    bool valid;
  };
  double special = 0;  // NaN, then +inf, then -inf: read by the last cases
  const std::vector<Case> cases = {
      {"history_size", [&](LbfgsOptions& o) { o.history_size = -1; }, false},
      {"history_size", [&](LbfgsOptions& o) { o.history_size = 0; }, true},  // steepest descent
      {"history_size", [&](LbfgsOptions& o) { o.history_size = 1000; }, true},
      {"history_size", [&](LbfgsOptions& o) { o.history_size = 1001; }, false},
      {"history_precision",
       [&](LbfgsOptions& o) { o.history_precision = static_cast<dlbfgs::HistoryPrecision>(2); },
       false},
      {"history_precision",
       [&](LbfgsOptions& o) { o.history_precision = dlbfgs::HistoryPrecision::kFloat32; }, true},
      {"grad_tol", [&](LbfgsOptions& o) { o.grad_tol = 0; }, true},
      {"grad_tol", [&](LbfgsOptions& o) { o.grad_tol = -1e-300; }, false},
      {"grad_rel_tol", [&](LbfgsOptions& o) { o.grad_rel_tol = 0; }, true},
      {"grad_rel_tol", [&](LbfgsOptions& o) { o.grad_rel_tol = -1e-300; }, false},
      {"f_rel_tol", [&](LbfgsOptions& o) { o.f_rel_tol = 0; }, true},
      {"f_rel_tol", [&](LbfgsOptions& o) { o.f_rel_tol = -1e-300; }, false},
      {"past", [&](LbfgsOptions& o) { o.past = -1; }, false},
      {"past", [&](LbfgsOptions& o) { o.past = 0; }, true},
      {"past", [&](LbfgsOptions& o) { o.past = 1000; }, true},
      {"past", [&](LbfgsOptions& o) { o.past = 1001; }, false},
      {"max_iterations", [&](LbfgsOptions& o) { o.max_iterations = -1; }, false},
      {"max_iterations", [&](LbfgsOptions& o) { o.max_iterations = 0; }, true},
      {"max_evaluations", [&](LbfgsOptions& o) { o.max_evaluations = -1; }, false},
      {"max_evaluations", [&](LbfgsOptions& o) { o.max_evaluations = 0; }, true},
      {"two_loop", [&](LbfgsOptions& o) { o.two_loop = static_cast<dlbfgs::TwoLoopType>(2); },
       false},
      {"two_loop", [&](LbfgsOptions& o) { o.two_loop = dlbfgs::TwoLoopType::kClassic; }, true},
      {"line_search",
       [&](LbfgsOptions& o) { o.line_search = static_cast<dlbfgs::LineSearchType>(-1); }, false},
      {"line_search",
       [&](LbfgsOptions& o) { o.line_search = dlbfgs::LineSearchType::kBacktracking; }, true},
      {"c1", [&](LbfgsOptions& o) { o.c1 = 0; }, false},
      {"c1", [&](LbfgsOptions& o) { o.c1 = 1e-300; }, true},
      {"c1", [&](LbfgsOptions& o) { o.c1 = 0.4999; }, true},
      {"c1", [&](LbfgsOptions& o) { o.c1 = 0.5; }, false},
      {"c2", [&](LbfgsOptions& o) { o.c2 = 1e-4; }, false},  // == c1
      {"c2", [&](LbfgsOptions& o) { o.c2 = 1.0001e-4; }, true},
      {"c2", [&](LbfgsOptions& o) { o.c2 = 0.9999; }, true},
      {"c2", [&](LbfgsOptions& o) { o.c2 = 1; }, false},
      {"max_line_search_evaluations", [&](LbfgsOptions& o) { o.max_line_search_evaluations = 0; },
       false},
      {"max_line_search_evaluations", [&](LbfgsOptions& o) { o.max_line_search_evaluations = 1; },
       true},
      {"max_line_search_evaluations",
       [&](LbfgsOptions& o) { o.max_line_search_evaluations = 1000; }, true},
      {"max_line_search_evaluations",
       [&](LbfgsOptions& o) { o.max_line_search_evaluations = 1001; }, false},
      {"min_step", [&](LbfgsOptions& o) { o.min_step = 0; }, false},
      {"min_step", [&](LbfgsOptions& o) { o.min_step = -1; }, false},
      {"min_step", [&](LbfgsOptions& o) { o.min_step = 1e-300; }, true},
      {"max_step", [&](LbfgsOptions& o) { o.max_step = 1e-20; }, false},  // == min_step
      {"max_step", [&](LbfgsOptions& o) { o.max_step = 2e-20; }, true},
      {"max_step", [&](LbfgsOptions& o) { o.max_step = 1e300; }, true},
      {"curvature_eps", [&](LbfgsOptions& o) { o.curvature_eps = 0; }, true},
      {"curvature_eps", [&](LbfgsOptions& o) { o.curvature_eps = -1e-300; }, false},
      {"gram_refresh_interval", [&](LbfgsOptions& o) { o.gram_refresh_interval = -1; }, false},
      {"gram_refresh_interval", [&](LbfgsOptions& o) { o.gram_refresh_interval = 0; }, true},
      {"gram_check_tol", [&](LbfgsOptions& o) { o.gram_check_tol = 0; }, true},
      {"gram_check_tol", [&](LbfgsOptions& o) { o.gram_check_tol = -1e-300; }, false},
      {"trial_products",
       [&](LbfgsOptions& o) { o.trial_products = static_cast<dlbfgs::TrialProducts>(3); }, false},
      {"trial_products",
       [&](LbfgsOptions& o) { o.trial_products = dlbfgs::TrialProducts::kAfterSearch; }, true},
      {"checkpoint_every", [&](LbfgsOptions& o) { o.checkpoint_every = -1; }, false},
      {"checkpoint_every", [&](LbfgsOptions& o) { o.checkpoint_every = 0; }, true},
      // checkpoint_every > 0 needs a checkpoint_dir.
      {"checkpoint_every", [&](LbfgsOptions& o) { o.checkpoint_every = 1; }, false},
      {"existing_checkpoint",
       [&](LbfgsOptions& o) { o.existing_checkpoint = static_cast<dlbfgs::ExistingCheckpoint>(3); },
       false},
      {"existing_checkpoint",
       [&](LbfgsOptions& o) { o.existing_checkpoint = dlbfgs::ExistingCheckpoint::kOverwrite; },
       true},
      // Every double field, at NaN and at +-infinity.
      {"grad_tol", [&](LbfgsOptions& o) { o.grad_tol = special; }, false},
      {"grad_rel_tol", [&](LbfgsOptions& o) { o.grad_rel_tol = special; }, false},
      {"f_rel_tol", [&](LbfgsOptions& o) { o.f_rel_tol = special; }, false},
      {"c1", [&](LbfgsOptions& o) { o.c1 = special; }, false},
      {"c2", [&](LbfgsOptions& o) { o.c2 = special; }, false},
      {"min_step", [&](LbfgsOptions& o) { o.min_step = special; }, false},
      {"max_step", [&](LbfgsOptions& o) { o.max_step = special; }, false},
      {"curvature_eps", [&](LbfgsOptions& o) { o.curvature_eps = special; }, false},
      {"gram_check_tol", [&](LbfgsOptions& o) { o.gram_check_tol = special; }, false},
      {"l1_weight", [&](LbfgsOptions& o) { o.l1_weight = special; }, false},
      {"l1_weight", [&](LbfgsOptions& o) { o.l1_weight = -1e-300; }, false},
      {"l1_weight", [&](LbfgsOptions& o) { o.l1_weight = 0.5; }, true},
      // OWL-QN's line search is Armijo only.
      {"backtracking_wolfe",
       [&](LbfgsOptions& o) {
         o.l1_weight = 0.5;
         o.backtracking_wolfe = true;
       },
       false},
  };
  EXPECT_EQ(dlbfgs::ValidateOptions(LbfgsOptions()), "") << "the defaults are valid";
  for (const double value :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    special = value;
    for (const Case& c : cases) {
      SCOPED_TRACE(testing::Message() << c.field << " (special value " << special << ")");
      LbfgsOptions o;
      c.set(o);
      const std::string m = dlbfgs::ValidateOptions(o);
      if (c.valid) {
        EXPECT_EQ(m, "");
      } else {
        EXPECT_EQ(m.rfind("LbfgsOptions." + std::string(c.field) + " = ", 0), 0u) << m;
        EXPECT_NE(m.find(": must be "), std::string::npos) << m;
      }
    }
  }
  LbfgsOptions o;
  o.checkpoint_dir = "/tmp/any";
  o.checkpoint_every = 1;
  EXPECT_EQ(dlbfgs::ValidateOptions(o), "") << "checkpoint_every > 0 with a directory is valid";
}

// ---------------------------------------------------------------------------------------------
// The documented local minima, checked independently of the solver.

// Reference values: /work/shared/reference/problems.md, after Moré, Garbow & Hillstrom 1981,
// problems 30 and 26 ("for n >= 1000 L-BFGS may stop at a local minimum f ~ 0.712528";
// trigonometric: "local minimum ~1.84e-6 at n=100"). `tol` is half a unit in the last digit
// given there.
struct LocalMinimum {
  const char* problem;
  Index n;
  double f;
  double tol;
  double grad_tol;  // the tightest the solver resolves from f values (sqrt(eps f lambda_max))
};
constexpr LocalMinimum kBroydenLocal = {"broyden-tridiagonal", 1000, 0.712528, 0.5e-6, 1e-7};
constexpr LocalMinimum kTrigonometricLocal = {"trigonometric", 100, 1.84e-6, 0.005e-6, 1e-10};

// Broyden tridiagonal (MGH 30) written out from its definition, serially: F_i = (3 - 2 x_i) x_i
// - x_{i-1} - 2 x_{i+1} + 1 with x_0 = x_{n+1} = 0, f = sum F_i^2. J is tridiagonal (3 - 4 x_i on
// the diagonal, -1 below, -2 above), grad f = 2 J'F and, since d2F_i/dx_i^2 = -4 is the only
// second derivative, the Hessian is 2 J'J - 8 diag(F) (pentadiagonal: sparse).
struct BroydenByDefinition {
  explicit BroydenByDefinition(const VectorXd& x) {
    const Index n = x.size();
    F.resize(n);
    std::vector<Eigen::Triplet<double>> entries;
    for (Index i = 0; i < n; ++i) {
      const double prev = i > 0 ? x[i - 1] : 0, next = i + 1 < n ? x[i + 1] : 0;
      F[i] = (3 - 2 * x[i]) * x[i] - prev - 2 * next + 1;
      entries.emplace_back(i, i, 3 - 4 * x[i]);
      if (i > 0) entries.emplace_back(i, i - 1, -1.0);
      if (i + 1 < n) entries.emplace_back(i, i + 1, -2.0);
    }
    Eigen::SparseMatrix<double> J(n, n);
    J.setFromTriplets(entries.begin(), entries.end());
    f = F.squaredNorm();
    g = 2 * (J.transpose() * F);
    Eigen::SparseMatrix<double> D(n, n);
    D.setIdentity();
    H = 2 * Eigen::SparseMatrix<double>(J.transpose() * J) - 8 * (D * F.asDiagonal());
  }
  // A Cholesky factorisation exists exactly when H is positive definite.
  bool PositiveDefinite() const {
    return Eigen::SimplicialLLT<Eigen::SparseMatrix<double>>(H).info() == Eigen::Success;
  }
  VectorXd Solve(const VectorXd& b) const {
    return Eigen::SimplicialLLT<Eigen::SparseMatrix<double>>(H).solve(b);
  }
  VectorXd F, g;
  Eigen::SparseMatrix<double> H;
  double f = 0;
};

// Trigonometric (MGH 26) from its definition: F_i = n - sum_j cos x_j + i (1 - cos x_i) -
// sin x_i (1-based i). dF_i/dx_j = sin x_j + [i = j] (i sin x_i - cos x_i), and the second
// derivatives are d2F_i/dx_j^2 = cos x_j + [i = j] (i cos x_i + sin x_i), none off the diagonal,
// so the Hessian is 2 J'J + 2 diag(cos x_j sum_i F_i + F_j (j cos x_j + sin x_j)) (dense).
// n - sum cos x_j cancels: F is good to about n eps / |F| ~ 1e-10 relative here.
struct TrigonometricByDefinition {
  explicit TrigonometricByDefinition(const VectorXd& x) {
    const Index n = x.size();
    const double cos_sum = x.array().cos().sum();
    F.resize(n);
    Eigen::MatrixXd J(n, n);
    for (Index i = 0; i < n; ++i) {
      const double k = static_cast<double>(i + 1);
      F[i] = static_cast<double>(n) - cos_sum + k * (1 - std::cos(x[i])) - std::sin(x[i]);
      for (Index j = 0; j < n; ++j) J(i, j) = std::sin(x[j]);
      J(i, i) += k * std::sin(x[i]) - std::cos(x[i]);
    }
    f = F.squaredNorm();
    g = 2 * J.transpose() * F;
    Eigen::MatrixXd dense = 2 * J.transpose() * J;
    const double f_sum = F.sum();
    for (Index j = 0; j < n; ++j) {
      const double k = static_cast<double>(j + 1);
      dense(j, j) += 2 * (std::cos(x[j]) * f_sum + F[j] * (k * std::cos(x[j]) + std::sin(x[j])));
    }
    H = dense.sparseView();
  }
  bool PositiveDefinite() const {
    return Eigen::LLT<Eigen::MatrixXd>(Eigen::MatrixXd(H)).info() == Eigen::Success;
  }
  VectorXd Solve(const VectorXd& b) const {
    return Eigen::LLT<Eigen::MatrixXd>(Eigen::MatrixXd(H)).solve(b);
  }
  VectorXd F, g;
  Eigen::SparseMatrix<double> H;
  double f = 0;
};

// Central differences of the problem's own gradient along v: H v to O(h^2). Collective.
VectorXd HessianTimes(dlbfgs::Problem& problem, const Partition& part, const VectorXd& x,
                      const VectorXd& v, double h) {
  const VectorXd xl = x.segment(part.offset(), part.local_size());
  const VectorXd vl = v.segment(part.offset(), part.local_size());
  VectorXd gp(part.local_size()), gm(part.local_size());
  problem.EvaluateLocal(xl + h * vl, gp);
  problem.EvaluateLocal(xl - h * vl, gm);
  return GatherToAll(part, (gp - gm) / (2 * h));
}

// Solves from the standard start, then checks the point by the problem's definition alone: a
// few Newton steps on the definition's gradient and Hessian reach a point x* with a vanishing
// gradient within about ||g|| / lambda_min of the solver's x (the solver stopped next to it), the
// Hessian there is positive definite (a strict local minimum, Nocedal & Wright
// Thm. 2.4), central differences of the program's gradient show the same positive curvature
// along random directions, and f(x*) is the reference value, well above f* = 0.
template <class ByDefinition>
void ExpectDocumentedLocalMinimum(const LocalMinimum& c) {
  SCOPED_TRACE(c.problem);
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, c.n);
  const std::unique_ptr<dlbfgs::Problem> problem = dlbfgs::MakeProblem(c.problem, part);
  VectorXd x_local(part.local_size());
  problem->StartingPoint(x_local);
  LbfgsOptions o;
  o.grad_tol = c.grad_tol;
  o.max_iterations = 10000;
  const LbfgsResult r = dlbfgs::Minimize(*problem, part, x_local, o);
  ASSERT_EQ(r.reason, TerminationReason::kGradientTolerance) << r.message;
  const VectorXd x = GatherToAll(part, x_local);

  const ByDefinition at_x(x);
  EXPECT_NEAR(r.f, at_x.f, 1e-8 * at_x.f);
  EXPECT_LE(at_x.g.norm(), 10 * c.grad_tol) << "the definition's gradient is not small at x";
  VectorXd x_star = x;
  for (int step = 0; step < 4; ++step) {
    const ByDefinition d(x_star);
    x_star -= d.Solve(d.g);
  }
  const ByDefinition at_star(x_star);
  // Newton converges quadratically, down to the rounding of the definition's gradient.
  EXPECT_LE(at_star.g.norm(), std::max(0.05 * at_x.g.norm(), 1e-11)) << "Newton stalled";
  EXPECT_LE((x_star - x).norm(), 100 * c.grad_tol) << "the solver's x is not next to x*";
  EXPECT_TRUE(at_star.PositiveDefinite()) << "not a strict local minimum";
  EXPECT_NEAR(at_star.f, c.f, c.tol) << "not the documented local minimum";
  EXPECT_GT(at_star.f, 0.5 * c.f) << "the global minimum f* = 0, not the local one";

  for (std::uint64_t seed = 10; seed < 14; ++seed) {
    VectorXd v(c.n);
    for (Index i = 0; i < c.n; ++i) v[i] = 2 * Hash01(seed, i) - 1;
    v.normalize();
    const double curvature = v.dot(at_star.H * v);
    const double fd = v.dot(HessianTimes(*problem, part, x_star, v, 1e-5));
    EXPECT_GT(curvature, 0) << "direction " << seed;
    EXPECT_NEAR(fd, curvature, 1e-6 * (1 + std::fabs(curvature))) << "direction " << seed;
  }
}

TEST(SuiteStrengthTest, BroydenTridiagonalAt1000StopsAtTheDocumentedLocalMinimum) {
  ExpectDocumentedLocalMinimum<BroydenByDefinition>(kBroydenLocal);
}

TEST(SuiteStrengthTest, TrigonometricAt100StopsAtTheDocumentedLocalMinimum) {
  ExpectDocumentedLocalMinimum<TrigonometricByDefinition>(kTrigonometricLocal);
}

}  // namespace
