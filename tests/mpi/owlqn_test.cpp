// OWL-QN (L1 regularisation): optimality checked independently of the solver, from the returned
// x and a fresh gradient, on separable quadratics with a known sparse solution and on built-in
// problems, at every rank count; the pitfalls of public OWL-QN implementations; one allreduce
// per evaluation.

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Core>
#include <cmath>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "mpi_test_helpers.hpp"
#include "payload.hpp"
#include "separable_quadratic.hpp"
#include "trial_geometry.hpp"

namespace {

using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::Partition;
using dlbfgs::TerminationReason;
using dlbfgs::test_support::MaxOverRanks;
using dlbfgs::test_support::WorldSize;

// f(x) = sum_i a_i (x_i - c_i)^2 / 2 with a_i in [1, 4] and c_i in [-3, 3], deterministic in the
// global index. With lambda_i |x_i| added, x*_i = sign(c_i) max(|c_i| - lambda_i / a_i, 0) (soft
// thresholding). |c_i| - lambda / a_i stays 0.05 away from 0 for lambda = 1, so that the
// support is not borderline.
class SeparableQuadratic final : public dlbfgs::test_support::SeparableQuadratic {
 public:
  using dlbfgs::test_support::SeparableQuadratic::SeparableQuadratic;
  double C(Eigen::Index i) const override { return Threshold(i); }
  static double Threshold(Eigen::Index i) {
    double c = 3 * std::sin(1.3 * i + 0.1);
    const double gap = std::fabs(c) - 1 / A(i);  // distance to the threshold for lambda = 1
    if (std::fabs(gap) < 0.05) c += c > 0 ? 0.1 : -0.1;
    return c;
  }
};

double SoftThreshold(double c, double t) {
  return c > 0 ? std::max(c - t, 0.0) : std::min(c + t, 0.0);
}

// Largest violation, over all coordinates and ranks, of the optimality conditions of
// F = f + sum lambda_i |x_i| at x, from a fresh gradient: |g_i + lambda_i sign(x_i)| where
// x_i != 0, and max(|g_i| - lambda_i, 0) where x_i = 0 (the minimum-norm subgradient).
double KktResidual(dlbfgs::Objective& obj, const Partition& part, const Eigen::VectorXd& x,
                   const Eigen::VectorXd& lambda) {
  Eigen::VectorXd g(x.size());
  obj.EvaluateLocal(x, g);
  double worst = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double r = x[i] != 0 ? std::fabs(g[i] + lambda[i] * (x[i] > 0 ? 1 : -1))
                               : std::max(std::fabs(g[i]) - lambda[i], 0.0);
    worst = std::max(worst, r);
  }
  return MaxOverRanks(worst, part.comm());
}

// grad_tol 1e-6: an Armijo search sees a decrease only above the rounding of F (F ~ 1e3 here),
// and a step of a pseudo-gradient of norm 1e-7 decreases F by about 1e-14.
LbfgsOptions L1Options(double lambda) {
  LbfgsOptions o;
  o.l1_weight = lambda;
  o.grad_tol = 1e-6;
  return o;
}

// The same problem on this rank alone: the reference for the iteration count across ranks.
template <typename Make>
LbfgsResult SolveOnOneRank(Make make, Eigen::Index n, const LbfgsOptions& o, Eigen::VectorXd x0) {
  const Partition self = Partition::Uniform(MPI_COMM_SELF, n);
  auto obj = make(self);
  return dlbfgs::Minimize(*obj, self, x0, o);
}

TEST(OwlqnTest, SeparableQuadraticReachesTheSoftThresholdedSolution) {
  const Eigen::Index n = 1000;
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, n);
  SeparableQuadratic obj(part);
  const LbfgsOptions o = L1Options(1.0);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());  // every x_i starts at 0
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  ASSERT_TRUE(r.Converged()) << r.message << " after " << r.iterations << " iterations, optimality "
                             << r.optimality;
  EXPECT_EQ(r.line_search, "backtracking");
  double err = 0, l1 = 0;
  long long nonzeros = 0, expected_nonzeros = 0;
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    const Eigen::Index i = part.offset() + k;
    const double want =
        SoftThreshold(SeparableQuadratic::Threshold(i), 1.0 / SeparableQuadratic::A(i));
    err = std::max(err, std::fabs(x[k] - want));
    l1 += std::fabs(x[k]);
    nonzeros += x[k] != 0;
    expected_nonzeros += want != 0;
  }
  MPI_Allreduce(MPI_IN_PLACE, &nonzeros, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &expected_nonzeros, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &l1, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_LE(MaxOverRanks(err), 1e-6);
  EXPECT_EQ(nonzeros, expected_nonzeros) << "the exact zeros of the solution";
  EXPECT_GT(expected_nonzeros, n / 10);
  EXPECT_GT(n - expected_nonzeros, 20) << "the solution has zeros";
  EXPECT_EQ(r.nonzeros, nonzeros);
  EXPECT_NEAR(r.l1_norm, l1, 1e-12 * l1);
  EXPECT_NEAR(r.l1_penalty, l1, 1e-12 * l1);  // every weight is 1 with l1_weight = 1
  EXPECT_LE(r.optimality, o.grad_tol);
  EXPECT_LE(KktResidual(obj, part, x, Eigen::VectorXd::Constant(x.size(), 1.0)), 1e-6);
  const LbfgsResult one =
      SolveOnOneRank([](const Partition& p) { return std::make_unique<SeparableQuadratic>(p); }, n,
                     o, Eigen::VectorXd::Zero(n));
  EXPECT_NEAR(r.iterations, one.iterations, 2) << "iterations on " << WorldSize() << " rank(s)";
}

TEST(OwlqnTest, PerVariableWeightsWithZerosLeaveThoseVariablesUnpenalised) {
  const Eigen::Index n = 301;
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, n);
  SeparableQuadratic obj(part);
  Eigen::VectorXd w(part.local_size());
  for (Eigen::Index k = 0; k < w.size(); ++k) {
    const Eigen::Index i = part.offset() + k;
    w[k] = i % 3 == 0 ? 0.0 : 0.5 * (1 + i % 2);  // 0, 0.5 or 1
  }
  const LbfgsOptions o = L1Options(2.0);
  Eigen::VectorXd x = Eigen::VectorXd::Constant(part.local_size(), 0.5);
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o, w);
  ASSERT_TRUE(r.Converged()) << r.message << " after " << r.iterations << " iterations, optimality "
                             << r.optimality;
  double err = 0;
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    const Eigen::Index i = part.offset() + k;
    const double lambda = 2.0 * w[k];
    err = std::max(err, std::fabs(x[k] - SoftThreshold(SeparableQuadratic::Threshold(i),
                                                       lambda / SeparableQuadratic::A(i))));
    if (w[k] == 0) {
      EXPECT_NEAR(x[k], SeparableQuadratic::Threshold(i), 1e-6) << "unpenalised x[" << i << "]";
    }
  }
  EXPECT_LE(MaxOverRanks(err), 1e-6);
  EXPECT_LE(KktResidual(obj, part, x, 2.0 * w), 1e-6);
}

// Built-in problems with an L1 term, from their standard start: the KKT conditions hold at the
// returned x, F decreases at every iteration (the L1 term belongs to the reference value,
// breeze #697), and the iteration count matches the one-rank run within 2.
TEST(OwlqnTest, BuiltinProblemsWithL1SatisfyTheKktConditions) {
  struct Case {
    const char* name;
    Eigen::Index n;
    double lambda;
  };
  for (const Case c : {Case{"rosenbrock", 100, 0.1}, Case{"quadratic", 200, 0.05},
                       Case{"broyden-tridiagonal", 100, 0.1}, Case{"powell", 100, 0.01}}) {
    SCOPED_TRACE(c.name);
    const Partition part =
        Partition::Uniform(MPI_COMM_WORLD, c.n, dlbfgs::FindProblem(c.name).granularity);
    dlbfgs::ProblemParams params;
    params.condition = 100;  // quadratic: rounding that differs with the rank count stays small
    auto problem = dlbfgs::MakeProblem(c.name, part, params);
    Eigen::VectorXd x(part.local_size());
    problem->StartingPoint(x);
    LbfgsOptions o = L1Options(c.lambda);
    o.grad_tol = 1e-5;  // the default: the F of these problems is larger
    o.max_iterations = 5000;
    std::vector<double> fs;
    o.callback = [&fs](const dlbfgs::IterationSummary& s) {
      fs.push_back(s.f);
      return dlbfgs::CallbackResult::kContinue;
    };
    const LbfgsResult r = dlbfgs::Minimize(*problem, part, x, o);
    ASSERT_TRUE(r.Converged()) << r.message << " after " << r.iterations
                               << " iterations, optimality " << r.optimality;
    // Non-increasing, up to the rounding allowance of the approximate Wolfe test (1e-10 |F|).
    for (std::size_t k = 1; k < fs.size(); ++k) {
      ASSERT_LE(fs[k], fs[k - 1] + 1e-10 * std::fabs(fs[k - 1])) << "iteration " << k;
    }
    EXPECT_EQ(fs.back(), r.f);
    EXPECT_LE(KktResidual(*problem, part, x, Eigen::VectorXd::Constant(x.size(), c.lambda)), 1e-5);
    // F as reported is f + lambda ||x||_1 at the returned x.
    Eigen::VectorXd g(x.size());
    double f = problem->EvaluateLocal(x, g) + c.lambda * x.lpNorm<1>();
    MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    EXPECT_NEAR(r.f, f, 1e-12 * std::max(1.0, std::fabs(f)));
    Eigen::VectorXd x1(c.n);
    const Partition self =
        Partition::Uniform(MPI_COMM_SELF, c.n, dlbfgs::FindProblem(c.name).granularity);
    auto serial = dlbfgs::MakeProblem(c.name, self, params);
    serial->StartingPoint(x1);
    LbfgsOptions o1 = o;
    o1.callback = nullptr;
    const LbfgsResult one = dlbfgs::Minimize(*serial, self, x1, o1);
    EXPECT_NEAR(r.iterations, one.iterations, 2);
  }
}

// The orthant geometry coordinate by coordinate (Andrew & Gao 2007, Section 3), against values
// worked out by hand: the pseudo-gradient, the sign projection of d, the projected trial point
// and the partial sums it adds to the payload (the model term uses the actual displacement).
TEST(OwlqnTest, OrthantGeometryFormsTheProjectedTrialAndItsSums) {
  using namespace dlbfgs::internal;
  const double w[6] = {1, 1, 1, 1, 1, 0};  // the last variable is unpenalised
  auto geometry = MakeOrthantGeometry(6, 0.5, w);
  // x: positive, negative, zero with |g| <= lambda, zero with g < -lambda, zero with g > lambda,
  // and the unpenalised one.
  Eigen::VectorXd x(6), g(6);
  x << 1, -2, 0, 0, 0, 3;
  g << 0.25, 0.25, 0.25, -2, 2, -1;
  geometry->Restore(x, g);
  const Eigen::VectorXd v = geometry->Gradient(g);
  Eigen::VectorXd want_v(6);
  want_v << 0.75, -0.25, 0, -1.5, 1.5, -1;
  EXPECT_EQ(v, want_v) << v.transpose();
  // d: every coordinate in the descent cone but the first two (d_i v_i >= 0), and the last
  // (unpenalised: never projected).
  Eigen::VectorXd d(6);
  d << 2, -1, 4, 3, -3, -1;
  geometry->ProjectDirection(v, d);
  Eigen::VectorXd want_d(6);
  want_d << 0, 0, 0, 3, -3, -1;
  EXPECT_EQ(d, want_d) << d.transpose();
  // A step that keeps the orthants: alpha = 0.5.
  d << -4, 1, 0, 3, -3, -1;  // the first two cross zero at alpha > 0.25 and > 2
  Eigen::VectorXd xt(6);
  double block[kOrthantSize] = {};
  geometry->FormTrial(x, v, d, 0.5, xt, block);
  // The path's slope at x_t: v_t'd over the coordinates that move (not x_0, held at 0).
  Eigen::VectorXd gt(6);
  gt << 1, 1, 1, 1, 1, 1;
  const Eigen::VectorXd vt = geometry->TrialGradient(xt, gt, d, block);
  Eigen::VectorXd want_xt(6);
  want_xt << 0, -1.5, 0, 1.5, -1.5, 2.5;  // x_0 would become -1: clipped to 0
  EXPECT_EQ(xt, want_xt) << xt.transpose();
  EXPECT_DOUBLE_EQ(block[kPenalty], 0.5 * (0 + 1.5 + 0 + 1.5 + 1.5));
  EXPECT_DOUBLE_EQ(block[kL1Norm], 0 + 1.5 + 0 + 1.5 + 1.5 + 2.5);
  EXPECT_EQ(block[kNonzeros], 4);
  // v'(x_t - x) with the clipped displacement -1 of x_0, not alpha d_0 = -2.
  EXPECT_DOUBLE_EQ(block[kModel], 0.75 * -1 + -0.25 * 0.5 + 0 + -1.5 * 1.5 + 1.5 * -1.5 - 1 * -0.5);
  EXPECT_DOUBLE_EQ(block[kMovedSq], 1 + 0.25 + 0 + 2.25 + 2.25 + 0.25);
  EXPECT_DOUBLE_EQ(geometry->Phi(10, block), 10 + block[kPenalty]);
  Eigen::VectorXd want_vt(6);  // x_t = (0, -1.5, 0, 1.5, -1.5, 2.5), g_t = 1, lambda = 0.5
  want_vt << 0.5, 0.5, 0.5, 1.5, 0.5, 1;
  EXPECT_EQ(vt, want_vt) << vt.transpose();
  EXPECT_DOUBLE_EQ(block[kSmoothGradSq], 6);
  EXPECT_DOUBLE_EQ(block[kPathSlope], 0.5 * 1 + 1.5 * 3 + 0.5 * -3 + 1 * -1);
}

// Where F is large (F = 5e5 here) the decrease of a step near the optimum is below F's rounding:
// Armijo on F values alone stalls at ||pseudo-gradient|| ~ 2e-4 and ends in line_search_failed.
// The approximate Wolfe test on the path's slope carries the run to the default grad_tol, with
// the known support: x_i = max(1 - 10 / a_i, 0), a_i = 100^(i / (n - 1)), non-zero for i > (n-1)/2.
TEST(OwlqnTest, ReachesTheDefaultToleranceWhereFsRoundingHidesTheDecrease) {
  const Eigen::Index n = 100000;
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, n);
  dlbfgs::ProblemParams params;
  params.condition = 100;
  auto problem = dlbfgs::MakeProblem("quadratic", part, params);
  Eigen::VectorXd x(part.local_size());
  problem->StartingPoint(x);
  LbfgsOptions o;
  o.l1_weight = 10;
  const LbfgsResult r = dlbfgs::Minimize(*problem, part, x, o);
  ASSERT_TRUE(r.Converged()) << r.message << " at optimality " << r.optimality;
  EXPECT_EQ(r.nonzeros, n / 2);
  EXPECT_LE(KktResidual(*problem, part, x, Eigen::VectorXd::Constant(x.size(), 10.0)), 1e-5);
  EXPECT_LT(r.evaluations, 2 * r.iterations) << "no long searches in the rounding regime";
}

TEST(OwlqnTest, ZeroL1WeightIsBitwiseThePlainRun) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 200, 2);
  auto problem = dlbfgs::MakeProblem("rosenbrock", part);  // granularity 2
  Eigen::VectorXd a(part.local_size()), b(part.local_size());
  problem->StartingPoint(a);
  b = a;
  const LbfgsResult plain = dlbfgs::Minimize(*problem, part, a, LbfgsOptions());
  LbfgsOptions o;
  o.l1_weight = 0;
  const LbfgsResult zero =
      dlbfgs::Minimize(*problem, part, b, o, Eigen::VectorXd::Ones(part.local_size()));
  EXPECT_EQ(plain.f, zero.f);
  EXPECT_EQ(plain.iterations, zero.iterations);
  EXPECT_EQ(plain.evaluations, zero.evaluations);
  EXPECT_EQ(MaxOverRanks((a - b).cwiseAbs().maxCoeff()), 0.0);
  EXPECT_EQ(zero.nonzeros, -1);
  EXPECT_EQ(zero.line_search, "more-thuente");
}

TEST(OwlqnTest, OneAllreducePerEvaluationWithL1) {
  for (const auto two_loop : {dlbfgs::TwoLoopType::kFused}) {
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, 500);
    SeparableQuadratic obj(part);
    LbfgsOptions o = L1Options(0.5);
    o.two_loop = two_loop;
    Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
    const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
    ASSERT_TRUE(r.Converged()) << r.message << " after " << r.iterations
                               << " iterations, optimality " << r.optimality;
    EXPECT_EQ(r.comm.allreduce_calls, r.evaluations + 1) << "one per evaluation, one at start";
  }
}

// The backtracking search keeps the best point: a search that fails leaves x at the last
// accepted iterate, so F never increases, even with one trial per search (breeze #746).
TEST(OwlqnTest, FailedSearchesNeverReturnAWorsePoint) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 100, 2);
  auto problem = dlbfgs::MakeProblem("rosenbrock", part);
  Eigen::VectorXd x(part.local_size());
  problem->StartingPoint(x);
  LbfgsOptions o = L1Options(0.1);
  o.grad_tol = 1e-4;
  o.max_line_search_evaluations = 1;
  o.max_iterations = 200;
  double best = std::numeric_limits<double>::infinity();
  bool increased = false;
  o.callback = [&](const dlbfgs::IterationSummary& s) {
    increased = increased || s.f > best + 1e-10 * std::fabs(best);  // the rounding allowance
    best = std::min(best, s.f);
    return dlbfgs::CallbackResult::kContinue;
  };
  const LbfgsResult r = dlbfgs::Minimize(*problem, part, x, o);
  EXPECT_FALSE(increased);
  EXPECT_LE(r.f, best + 1e-10 * std::fabs(best)) << dlbfgs::ToString(r.reason) << ": " << r.message;
  Eigen::VectorXd g(x.size());
  double f = problem->EvaluateLocal(x, g) + 0.1 * x.lpNorm<1>();
  MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_NEAR(r.f, f, 1e-12 * std::max(1.0, std::fabs(f))) << "the returned x is the reported one";
}

// f(x) = 1e-30 sum x_i at x_i = 1e10: the pseudo-gradient is 2e-30 per coordinate, so every
// step is below the resolution of x and the trial point equals x. Armijo holds with equality
// there; accepting it would loop until max_iterations (rust-lbfgs #13). The run must end at once
// with a clear reason.
class TinySlope : public dlbfgs::Objective {
 public:
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    g.setConstant(1e-30);
    return 1e-30 * x.sum();
  }
};

TEST(OwlqnTest, AStepThatMovesNoCoordinateEndsTheRunCleanly) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 10);
  TinySlope obj;
  LbfgsOptions o;
  o.l1_weight = 1e-30;
  o.grad_tol = 0;
  o.max_iterations = 100;
  Eigen::VectorXd x = Eigen::VectorXd::Constant(part.local_size(), 1e10);
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  EXPECT_EQ(r.reason, TerminationReason::kNoDescentDirection) << r.message;
  EXPECT_EQ(r.iterations, 0);
  EXPECT_NE(r.message.find("no coordinate can move"), std::string::npos) << r.message;
}

TEST(OwlqnTest, BadWeightsThrowOnEveryRank) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 12);
  SeparableQuadratic obj(part);
  LbfgsOptions o = L1Options(1.0);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  Eigen::VectorXd w = Eigen::VectorXd::Ones(part.local_size());
  if (part.rank() == part.size() - 1 && w.size() > 0) w[0] = -1;
  try {
    dlbfgs::Minimize(obj, part, x, o, w);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("must be >= 0 and finite"), std::string::npos) << e.what();
  }
  Eigen::VectorXd short_w = Eigen::VectorXd::Ones(part.local_size() + 1);
  EXPECT_THROW(dlbfgs::Minimize(obj, part, x, o, short_w), std::invalid_argument);
  o.l1_weight = -1;
  EXPECT_THROW(dlbfgs::Minimize(obj, part, x, o), std::invalid_argument);
}

}  // namespace
