// Bounds l <= x <= u (projected L-BFGS, the box geometry): optimality checked independently of
// the solver, from the returned x and a fresh gradient (KKT: zero gradient on the free variables,
// the right sign on the active bounds), on separable quadratics with a known clipped solution and
// on built-in problems whose optimum the box cuts off, at every rank count; the degenerate cases
// (l = u, an infeasible start, infinite bounds only, every variable active); a resumed run; one
// allreduce per evaluation; bad bounds; a resume with other bounds refused.

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "io/manifest.hpp"
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

constexpr double kInf = std::numeric_limits<double>::infinity();

// The shared separable quadratic with c_i in [-3, 3] (+ shift): with bounds,
// x*_i = clamp(c_i, l_i, u_i).
class SeparableQuadratic final : public dlbfgs::test_support::SeparableQuadratic {
 public:
  explicit SeparableQuadratic(const Partition& part, double shift = 0)
      : dlbfgs::test_support::SeparableQuadratic(part), shift_(shift) {}
  double C(Eigen::Index i) const override { return shift_ + 3 * std::sin(1.3 * i + 0.1); }

 private:
  double shift_;
};

// A mix of bounds by global index: [-1, 1], [0, inf), (-inf, 0.5], l = u = 0.25, none.
void MixedBounds(const Partition& part, Eigen::VectorXd& l, Eigen::VectorXd& u) {
  l.resize(part.local_size());
  u.resize(part.local_size());
  for (Eigen::Index k = 0; k < l.size(); ++k) {
    switch ((part.offset() + k) % 5) {
      case 0:
        l[k] = -1, u[k] = 1;
        break;
      case 1:
        l[k] = 0, u[k] = kInf;
        break;
      case 2:
        l[k] = -kInf, u[k] = 0.5;
        break;
      case 3:
        l[k] = u[k] = 0.25;
        break;
      default:
        l[k] = -kInf, u[k] = kInf;
    }
  }
}

// Largest violation, over all coordinates and ranks, of the KKT conditions of min f on the box
// at x, from a fresh gradient: |g_i| where l_i < x_i < u_i, max(-g_i, 0) at a lower bound,
// max(g_i, 0) at an upper bound (0 where l_i = u_i); +inf where x leaves the box.
double KktResidual(dlbfgs::Objective& obj, const Partition& part, const Eigen::VectorXd& x,
                   const Eigen::VectorXd& l, const Eigen::VectorXd& u, long long* active) {
  Eigen::VectorXd g(x.size());
  obj.EvaluateLocal(x, g);
  double worst = 0;
  long long on_bound = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    double r = 0;
    if (!(x[i] >= l[i] && x[i] <= u[i])) {
      r = kInf;
    } else if (l[i] == u[i]) {
      r = 0;
    } else if (x[i] == l[i]) {
      r = std::max(-g[i], 0.0);
    } else if (x[i] == u[i]) {
      r = std::max(g[i], 0.0);
    } else {
      r = std::fabs(g[i]);
    }
    on_bound += x[i] == l[i] || x[i] == u[i];
    worst = std::max(worst, r);
  }
  MPI_Allreduce(MPI_IN_PLACE, &on_bound, 1, MPI_LONG_LONG, MPI_SUM, part.comm());
  if (active != nullptr) *active = on_bound;
  return MaxOverRanks(worst, part.comm());
}

LbfgsOptions BoxOptions() {
  LbfgsOptions o;
  o.grad_tol = 1e-8;
  return o;
}

TEST(BoundsTest, SeparableQuadraticReachesTheClippedSolution) {
  // n = 3 at 4 ranks leaves a rank without elements.
  for (const Eigen::Index n : {Eigen::Index{3}, Eigen::Index{1000}}) {
    for (const auto two_loop : {dlbfgs::TwoLoopType::kFused, dlbfgs::TwoLoopType::kClassic}) {
      SCOPED_TRACE("n = " + std::to_string(n) + ", " + dlbfgs::ToString(two_loop));
      const Partition part = Partition::Uniform(MPI_COMM_WORLD, n);
      SeparableQuadratic obj(part);
      Eigen::VectorXd l, u;
      MixedBounds(part, l, u);
      // An infeasible start: every x_i = 5 (above most upper bounds).
      Eigen::VectorXd x = Eigen::VectorXd::Constant(part.local_size(), 5.0);
      LbfgsOptions o = BoxOptions();
      o.two_loop = two_loop;
      const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o, l, u);
      ASSERT_TRUE(r.Converged()) << r.message << " after " << r.iterations << " iterations";
      EXPECT_EQ(r.line_search, "backtracking");
      EXPECT_LE(r.optimality, o.grad_tol);
      double err = 0;
      long long clipped = 0;
      for (Eigen::Index k = 0; k < x.size(); ++k) {
        const double want = std::clamp(obj.C(part.offset() + k), l[k], u[k]);
        err = std::max(err, std::fabs(x[k] - want));
        clipped += want == l[k] || want == u[k];
      }
      MPI_Allreduce(MPI_IN_PLACE, &clipped, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
      EXPECT_LE(MaxOverRanks(err), 1e-8);
      EXPECT_EQ(r.active_bounds, clipped) << "the variables on a bound";
      if (n == 1000) {
        EXPECT_GT(clipped, n / 5) << "some bounds are active";
        EXPECT_LT(clipped, n - n / 10) << "some are not";
      }
      if (two_loop == dlbfgs::TwoLoopType::kFused) {
        EXPECT_EQ(r.comm.allreduce_calls, r.evaluations + 1) << "one per evaluation, one at start";
      }
    }
  }
}

// Rosenbrock, Powell, Broyden tridiagonal and the quadratic with boxes that cut off their
// unconstrained optimum: KKT at the returned x from a fresh gradient, some bounds active, f
// non-increasing, the iteration count of the one-rank run within 2, one allreduce per evaluation.
TEST(BoundsTest, BuiltinProblemsWithBoxesSatisfyTheKktConditions) {
  struct Case {
    const char* name;
    Eigen::Index n;
    double lower, upper;
  };
  for (const Case c : {Case{"rosenbrock", 100, -2, 0.5}, Case{"quadratic", 200, -kInf, -0.5},
                       Case{"broyden-tridiagonal", 100, -0.5, kInf}, Case{"powell", 100, 0.1, 2}}) {
    SCOPED_TRACE(c.name);
    const Eigen::Index granularity = dlbfgs::FindProblem(c.name).granularity;
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, c.n, granularity);
    dlbfgs::ProblemParams params;
    params.condition = 100;
    auto problem = dlbfgs::MakeProblem(c.name, part, params);
    Eigen::VectorXd x(part.local_size());
    problem->StartingPoint(x);
    const Eigen::VectorXd l = Eigen::VectorXd::Constant(x.size(), c.lower);
    const Eigen::VectorXd u = Eigen::VectorXd::Constant(x.size(), c.upper);
    LbfgsOptions o;
    o.grad_tol = 1e-6;
    o.max_iterations = 5000;
    std::vector<double> fs;
    o.callback = [&fs](const dlbfgs::IterationSummary& s) {
      fs.push_back(s.f);
      return dlbfgs::CallbackResult::kContinue;
    };
    const LbfgsResult r = dlbfgs::Minimize(*problem, part, x, o, l, u);
    ASSERT_TRUE(r.Converged()) << r.message << " after " << r.iterations
                               << " iterations, optimality " << r.optimality;
    for (std::size_t k = 1; k < fs.size(); ++k) {
      ASSERT_LE(fs[k], fs[k - 1] + 1e-12 * std::fabs(fs[k - 1])) << "iteration " << k;
    }
    long long active = 0;
    EXPECT_LE(KktResidual(*problem, part, x, l, u, &active), 1e-5);
    EXPECT_GT(active, 0) << "the box cuts off the unconstrained optimum";
    EXPECT_EQ(r.active_bounds, active);
    EXPECT_EQ(r.comm.allreduce_calls, r.evaluations + 1);
    const Partition self = Partition::Uniform(MPI_COMM_SELF, c.n, granularity);
    auto serial = dlbfgs::MakeProblem(c.name, self, params);
    Eigen::VectorXd x1(c.n);
    serial->StartingPoint(x1);
    LbfgsOptions o1 = o;
    o1.callback = nullptr;
    const LbfgsResult one =
        dlbfgs::Minimize(*serial, self, x1, o1, Eigen::VectorXd::Constant(c.n, c.lower),
                         Eigen::VectorXd::Constant(c.n, c.upper));
    EXPECT_NEAR(r.iterations, one.iterations, 2);
  }
}

// Rosenbrock with x >= 1.5: every x_{2i-1} is held at 1.5 from the first iterate on, and what
// remains is n/2 independent 1-D quadratics in x_{2i}. The gradient change of the held variables
// must stay out of the pairs (y_i = 0 where d_i = 0): with it, y'y is inflated by the held
// coordinates, the scale s'y / y'y shrinks every step, and the run takes over 100 iterations.
TEST(BoundsTest, HeldVariablesStayOutOfThePairs) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 1000, 2);
  auto problem = dlbfgs::MakeProblem("rosenbrock", part);
  Eigen::VectorXd x(part.local_size());
  problem->StartingPoint(x);
  const Eigen::VectorXd l = Eigen::VectorXd::Constant(x.size(), 1.5);
  const Eigen::VectorXd u = Eigen::VectorXd::Constant(x.size(), kInf);
  const LbfgsResult r = dlbfgs::Minimize(*problem, part, x, LbfgsOptions(), l, u);
  ASSERT_TRUE(r.Converged()) << r.message;
  EXPECT_LE(r.iterations, 10);
  EXPECT_EQ(r.active_bounds, 500);
  EXPECT_LE(KktResidual(*problem, part, x, l, u, nullptr), 1e-5);
}

// A run with bounds stopped at a checkpoint and resumed (with the same bounds) is bitwise the
// uninterrupted run: the held masks and the free gradient are rebuilt from x and g, and the
// scalars of the projected-gradient restart direction come from the manifest (a checkpoint at
// iteration 0, whose history is empty, resumes along that direction). A two-sided box that cuts
// off the optimum of x_{2i-1} (0.8 < 1) and that the start leaves (x_{2i-1} = -1.2 < 0).
TEST(BoundsTest, ResumedRunIsBitwiseTheUninterruptedRun) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 200, 2);
  auto problem = dlbfgs::MakeProblem("rosenbrock", part);
  Eigen::VectorXd x0(part.local_size());
  problem->StartingPoint(x0);
  const Eigen::VectorXd l = Eigen::VectorXd::Constant(x0.size(), 0);
  const Eigen::VectorXd u = Eigen::VectorXd::Constant(x0.size(), 0.8);
  LbfgsOptions o;
  Eigen::VectorXd x_whole = x0;
  const LbfgsResult whole = dlbfgs::Minimize(*problem, part, x_whole, o, l, u);
  ASSERT_TRUE(whole.Converged()) << whole.message;
  ASSERT_GT(whole.iterations, 12);
  for (const int stop : {0, 9}) {
    SCOPED_TRACE("checkpoint at iteration " + std::to_string(stop));
    dlbfgs::test_support::TempDir dir;
    LbfgsOptions first = o;
    first.checkpoint_dir = dir.path();
    first.max_iterations = stop;
    Eigen::VectorXd x = x0;
    const LbfgsResult part1 = dlbfgs::Minimize(*problem, part, x, first, l, u);
    EXPECT_EQ(part1.reason, TerminationReason::kMaxIterations);
    LbfgsOptions second = o;
    second.resume_dir = dir.path();
    const LbfgsResult part2 = dlbfgs::Minimize(*problem, part, x, second, l, u);
    EXPECT_TRUE(part2.resumed);
    EXPECT_EQ(part2.iterations, whole.iterations);
    EXPECT_EQ(part2.evaluations, whole.evaluations);
    EXPECT_EQ(part2.f, whole.f);
    EXPECT_EQ(part2.optimality, whole.optimality);
    EXPECT_EQ(part2.active_bounds, whole.active_bounds);
    EXPECT_EQ(MaxOverRanks(x.size() > 0 ? (x - x_whole).cwiseAbs().maxCoeff() : 0.0), 0.0);
  }
}

// The text of a file (every rank may read it after a barrier).
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Rewrites the manifest of the checkpoint in dir as format 5 wrote it (before bounds were
// recorded): without the lines of the keys format 6 added, with a fresh checksum. Rank 0 writes;
// collective (a barrier).
void DowngradeToFormat5(const std::string& dir) {
  if (dlbfgs::test_support::WorldRank() == 0) {
    std::string latest = ReadFile(dir + "/LATEST");
    latest.erase(latest.find('\n'));
    const std::string path = dir + "/" + latest + "/manifest";
    std::istringstream in(ReadFile(path));
    std::string body, line;
    while (std::getline(in, line)) {
      const std::string key = line.substr(0, line.find(' '));
      if (key == "checksum" || key == "end" || key == "bounds" || key == "descent_slope" ||
          key == "unclipped_sq") {
        continue;
      }
      body += (key == "format" ? std::string("format dlbfgs-checkpoint-5") : line) + "\n";
    }
    std::ofstream(path, std::ios::trunc | std::ios::binary)
        << body << dlbfgs::internal::ChecksumLine(body) << "end\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

// A checkpoint records a checksum of its bounds: a resume with other bounds (one element on the
// last rank is enough), with bounds from a run without, or without bounds from a run with, is
// refused with the same message on every rank. The same bounds resume on another partition (the
// checksum does not depend on it); bounds of +-inf only are no bounds. A checkpoint of format 5
// (which did not record its bounds) loads into a run without bounds, bitwise, and is refused by
// a run with bounds.
TEST(BoundsTest, ResumeWithOtherBoundsIsRefusedOnEveryRank) {
  const Eigen::Index n = 200;
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, n, 2);
  const bool last = part.rank() == part.size() - 1;
  auto problem = dlbfgs::MakeProblem("rosenbrock", part);
  Eigen::VectorXd x0(part.local_size());
  problem->StartingPoint(x0);
  const Eigen::VectorXd l = Eigen::VectorXd::Constant(x0.size(), 0);
  const Eigen::VectorXd u = Eigen::VectorXd::Constant(x0.size(), 0.8);
  const Eigen::VectorXd none_l = Eigen::VectorXd::Constant(x0.size(), -kInf);
  const Eigen::VectorXd none_u = Eigen::VectorXd::Constant(x0.size(), kInf);
  LbfgsOptions first;
  first.max_iterations = 5;
  // Resumes from dir with bounds (l, u), or none when `bounded` is false; "" when it resumed,
  // else the error.
  auto resume = [&](const std::string& dir, const Partition& p, const Eigen::VectorXd* lo,
                    const Eigen::VectorXd* up) -> std::string {
    auto obj = dlbfgs::MakeProblem("rosenbrock", p);
    Eigen::VectorXd x(p.local_size());
    obj->StartingPoint(x);
    LbfgsOptions o;
    o.resume_dir = dir;
    try {
      const LbfgsResult r = lo == nullptr ? dlbfgs::Minimize(*obj, p, x, o)
                                          : dlbfgs::Minimize(*obj, p, x, o, *lo, *up);
      EXPECT_TRUE(r.resumed);
      return "";
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
  };
  auto expect_refused = [&](const std::string& error, const std::string& text) {
    EXPECT_NE(error.find(text), std::string::npos) << "'" << error << "'";
    EXPECT_EQ(error.find('\n'), std::string::npos) << "one line";
    dlbfgs::test_support::ExpectSameOnAllRanks(static_cast<double>(error.size()), "the error");
  };

  dlbfgs::test_support::TempDir boxed;
  first.checkpoint_dir = boxed.path();
  {
    Eigen::VectorXd x = x0;
    dlbfgs::Minimize(*problem, part, x, first, l, u);
  }
  Eigen::VectorXd other_u = u;
  if (last) other_u[other_u.size() - 1] = 0.7;
  expect_refused(resume(boxed.path(), part, &l, &other_u), "was written with other bounds");
  expect_refused(resume(boxed.path(), part, nullptr, nullptr), "was written with bounds");
  expect_refused(resume(boxed.path(), part, &none_l, &none_u), "was written with bounds");
  // Another partition of the same bounds: blocks of 4 move the rank boundaries.
  const Partition other = Partition::Uniform(MPI_COMM_WORLD, n, 4);
  const Eigen::VectorXd l4 = Eigen::VectorXd::Constant(other.local_size(), 0);
  const Eigen::VectorXd u4 = Eigen::VectorXd::Constant(other.local_size(), 0.8);
  EXPECT_EQ(resume(boxed.path(), other, &l4, &u4), "");
  EXPECT_EQ(resume(boxed.path(), part, &l, &u), "");

  dlbfgs::test_support::TempDir plain;
  first.checkpoint_dir = plain.path();
  Eigen::VectorXd x_plain = x0;
  dlbfgs::Minimize(*problem, part, x_plain, first);
  expect_refused(resume(plain.path(), part, &l, &u), "was written without bounds");
  EXPECT_EQ(resume(plain.path(), part, &none_l, &none_u), "");

  // Format 5: an unbounded run resumes bitwise; a bounded one is refused.
  LbfgsOptions o;
  Eigen::VectorXd x_whole = x0;
  const LbfgsResult whole = dlbfgs::Minimize(*problem, part, x_whole, o);
  DowngradeToFormat5(plain.path());
  expect_refused(resume(plain.path(), part, &l, &u), "does not record its bounds");
  o.resume_dir = plain.path();
  Eigen::VectorXd x = x0;
  const LbfgsResult resumed = dlbfgs::Minimize(*problem, part, x, o);
  EXPECT_TRUE(resumed.resumed);
  EXPECT_EQ(resumed.iterations, whole.iterations);
  EXPECT_EQ(resumed.evaluations, whole.evaluations);
  EXPECT_EQ(resumed.f, whole.f);
  EXPECT_EQ(MaxOverRanks(x.size() > 0 ? (x - x_whole).cwiseAbs().maxCoeff() : 0.0), 0.0);
}

// f = sum k x_i^4 / 4 - a_i x_i (a = 10 at even i, 3 at odd i), steep enough that the first
// trial fails the Armijo test; records the points it is evaluated at.
class SteepQuartic final : public dlbfgs::Objective {
 public:
  explicit SteepQuartic(const Partition& part) : part_(part) {}
  static constexpr double kK = 1e4;
  double A(Eigen::Index global) const { return global % 2 == 0 ? 10 : 3; }
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    points.emplace_back(x);
    double f = 0;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const double a = A(part_.offset() + i);
      f += kK * std::pow(x[i], 4) / 4 - a * x[i];
      g[i] = kK * std::pow(x[i], 3) - a;
    }
    return f;
  }
  std::vector<Eigen::VectorXd> points;

 private:
  const Partition& part_;
};

// The first search of a run with bounds goes along the projected gradient d = P(x0 - g0) - x0
// with phi'(0) = g0'd (not -||g0||^2): x0 = 0 and x_i <= 1 at even i, so d = (1, 3, 1, 3, ...)
// (the even coordinates clipped, the odd ones not), the first trial is alpha1 = 1/||d~||, d~ the
// odd coordinates, it fails the Armijo test, and the second is the cubic's step through phi(0),
// phi'(0) = g0'd = -19 n/2, phi(alpha1), phi'(alpha1), computed here independently.
TEST(BoundsTest, FirstSearchBacktracksAlongTheProjectedGradientWithItsSlope) {
  const Eigen::Index n = 8;
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, n, 2);
  SteepQuartic obj(part);
  Eigen::VectorXd l = Eigen::VectorXd::Constant(part.local_size(), -kInf);
  Eigen::VectorXd u = Eigen::VectorXd::Constant(part.local_size(), kInf);
  for (Eigen::Index i = 0; i < u.size(); ++i) {
    if ((part.offset() + i) % 2 == 0) u[i] = 1;
  }
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  LbfgsOptions o;
  o.max_iterations = 1;
  dlbfgs::Minimize(obj, part, x, o, l, u);
  ASSERT_GE(obj.points.size(), 3u);
  const double half = static_cast<double>(n / 2);
  const double k = SteepQuartic::kK;
  const double alpha1 = 1 / (3 * std::sqrt(half));
  // Per pair (even, odd): x = alpha (1, 3); phi and its slope along d = (1, 3).
  auto phi = [&](double a) {
    return half * (k * std::pow(a, 4) / 4 - 10 * a + k * std::pow(3 * a, 4) / 4 - 9 * a);
  };
  auto dphi = [&](double a) {
    return half * ((k * std::pow(a, 3) - 10) + 3 * (k * std::pow(3 * a, 3) - 3));
  };
  const double phi0 = 0, dphi0 = -19 * half, phi1 = phi(alpha1), dphi1 = dphi(alpha1);
  ASSERT_GT(phi1, phi0) << "the first trial fails the Armijo test";
  const double d1 = dphi0 + dphi1 - 3 * (phi1 - phi0) / alpha1;
  const double d2 = std::sqrt(d1 * d1 - dphi0 * dphi1);
  const double alpha2 = std::clamp(alpha1 - alpha1 * (dphi1 + d2 - d1) / (dphi1 - dphi0 + 2 * d2),
                                   0.1 * alpha1, 0.5 * alpha1);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double d = (part.offset() + i) % 2 == 0 ? 1 : 3;
    EXPECT_DOUBLE_EQ(obj.points[1][i], alpha1 * d) << "first trial, x[" << i << "]";
    EXPECT_NEAR(obj.points[2][i], alpha2 * d, 1e-12) << "second trial, x[" << i << "]";
  }
}

TEST(BoundsTest, InfiniteBoundsOnlyAreBitwiseTheUnconstrainedRun) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 200, 2);
  auto problem = dlbfgs::MakeProblem("rosenbrock", part);
  Eigen::VectorXd x0(part.local_size());
  problem->StartingPoint(x0);
  Eigen::VectorXd x_plain = x0, x_box = x0;
  const LbfgsOptions o;
  const LbfgsResult plain = dlbfgs::Minimize(*problem, part, x_plain, o);
  const LbfgsResult box =
      dlbfgs::Minimize(*problem, part, x_box, o, Eigen::VectorXd::Constant(x0.size(), -kInf),
                       Eigen::VectorXd::Constant(x0.size(), kInf));
  ASSERT_TRUE(plain.Converged()) << plain.message;
  EXPECT_EQ(box.f, plain.f);
  EXPECT_EQ(box.optimality, plain.optimality);
  EXPECT_EQ(box.iterations, plain.iterations);
  EXPECT_EQ(box.evaluations, plain.evaluations);
  EXPECT_EQ(box.line_search, plain.line_search);
  EXPECT_EQ(box.active_bounds, -1);
  EXPECT_EQ(MaxOverRanks(x_box.size() > 0 ? (x_box - x_plain).cwiseAbs().maxCoeff() : 0.0), 0.0);
}

TEST(BoundsTest, EveryVariableActive) {
  const Eigen::Index n = 101;
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, n);
  SeparableQuadratic obj(part, 10);  // every c_i in [7, 13], above u = 1
  const Eigen::VectorXd l = Eigen::VectorXd::Constant(part.local_size(), -1);
  const Eigen::VectorXd u = Eigen::VectorXd::Constant(part.local_size(), 1);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, BoxOptions(), l, u);
  ASSERT_TRUE(r.Converged()) << r.message;
  EXPECT_EQ(r.active_bounds, n);
  EXPECT_EQ(r.optimality, 0);
  EXPECT_EQ(MaxOverRanks(x.size() > 0 ? (x - u).cwiseAbs().maxCoeff() : 0.0), 0.0);
  EXPECT_GT(r.grad_norm, 1) << "the gradient itself is not zero";
  // P(x0 - g0) puts every variable on u: the first step, 1 (no coordinate of the projected-
  // gradient direction is left unclipped), lands on the solution.
  EXPECT_EQ(r.evaluations, 2);
  // The same from x0 = 0.2 onto u = 0.9, where 0.2 + (0.9 - 0.2) rounds to 0.8999999999999999:
  // the step that reaches the bound must land on it, not an ulp inside (counted free).
  const Eigen::VectorXd u9 = Eigen::VectorXd::Constant(part.local_size(), 0.9);
  Eigen::VectorXd z = Eigen::VectorXd::Constant(part.local_size(), 0.2);
  const LbfgsResult r9 = dlbfgs::Minimize(obj, part, z, BoxOptions(), l, u9);
  ASSERT_TRUE(r9.Converged()) << r9.message;
  EXPECT_EQ(r9.active_bounds, n);
  EXPECT_EQ(r9.evaluations, 2);
  EXPECT_EQ(MaxOverRanks(z.size() > 0 ? (z - u9).cwiseAbs().maxCoeff() : 0.0), 0.0);
  // l = u everywhere: the projected start is the solution.
  Eigen::VectorXd y = Eigen::VectorXd::Zero(part.local_size());
  const LbfgsResult fixed = dlbfgs::Minimize(obj, part, y, BoxOptions(), u, u);
  ASSERT_TRUE(fixed.Converged()) << fixed.message;
  EXPECT_EQ(fixed.iterations, 0);
  EXPECT_EQ(fixed.evaluations, 1);
  EXPECT_EQ(fixed.active_bounds, n);
  EXPECT_EQ(MaxOverRanks(y.size() > 0 ? (y - u).cwiseAbs().maxCoeff() : 0.0), 0.0);
}

// The box geometry coordinate by coordinate, against values worked out by hand: the held
// variables, the projection of d, the projected trial point and its partial sums.
TEST(BoundsTest, BoxGeometryFormsTheProjectedTrialAndItsSums) {
  using namespace dlbfgs::internal;
  // Bounds: [0, 1], [0, 1], [0, 1], [0, 1], [2, 2], (-inf, inf).
  const double l[6] = {0, 0, 0, 0, 2, -kInf};
  const double u[6] = {1, 1, 1, 1, 2, kInf};
  auto geometry = MakeBoxGeometry(6, l, u);
  // x: at l with g > 0 (held), at l with g < 0 (free), at u with g < 0 (held), inside, fixed
  // (held whatever g), unbounded.
  Eigen::VectorXd x(6), g(6);
  x << 0, 0, 1, 0.5, 2, 3;
  g << 1, -1, -2, 0.5, -3, 4;
  geometry->Restore(x, g);
  const Eigen::VectorXd v = geometry->Gradient(g);
  Eigen::VectorXd want_v(6);
  want_v << 0, -1, 0, 0.5, 0, 4;
  EXPECT_EQ(v, want_v) << v.transpose();
  Eigen::VectorXd d(6);
  d << -1, 2, 1, -1, 1, -2;
  geometry->ProjectDirection(v, d);
  Eigen::VectorXd want_d(6);
  want_d << 0, 2, 0, -1, 0, -2;
  EXPECT_EQ(d, want_d) << d.transpose();
  // alpha = 1: x + d = (0, 2, 1, -0.5, 2, 1), clipped to (0, 1, 1, 0, 2, 1).
  Eigen::VectorXd xt(6);
  double block[kBoxSize] = {};
  geometry->FormTrial(x, v, d, 1.0, xt, block);
  Eigen::VectorXd want_xt(6);
  want_xt << 0, 1, 1, 0, 2, 1;
  EXPECT_EQ(xt, want_xt) << xt.transpose();
  // v'(x_t - x) = -1 * 1 + 0.5 * (-0.5) + 4 * (-2) = -9.25; moved 1 + 0.25 + 4.
  EXPECT_DOUBLE_EQ(block[kBoxModel], -9.25);
  EXPECT_DOUBLE_EQ(block[kBoxMovedSq], 5.25);
  EXPECT_DOUBLE_EQ(geometry->Model(block), -9.25);
  EXPECT_TRUE(geometry->Moved(block));
  Eigen::VectorXd gt(6);
  gt << 1, -1, 1, 2, 5, 0.5;
  const Eigen::VectorXd& vt = geometry->TrialGradient(xt, gt, d, block);
  // Held at x_t: 0 (l, g > 0), 1 (u, g < 0), 3 (l, g > 0), 4 (fixed); 2 is at u with g > 0: free.
  Eigen::VectorXd want_vt(6);
  want_vt << 0, 0, 1, 0, 0, 0.5;
  EXPECT_EQ(vt, want_vt) << vt.transpose();
  // Path slope: coordinates 1 (at u, d > 0) and 3 (at l, d < 0) are clipped; 5 moves: 0.5 * -2.
  EXPECT_DOUBLE_EQ(block[kBoxPathSlope], -1.0);
  EXPECT_DOUBLE_EQ(geometry->Slope(123.0, block), -1.0);
  EXPECT_DOUBLE_EQ(block[kBoxGradSq], gt.squaredNorm());
  // P(x_t - g_t) - x_t = (0, 0, -1, 0, 0, -0.5).
  EXPECT_DOUBLE_EQ(block[kBoxProjGradSq], 1.25);
  EXPECT_EQ(block[kBoxActive], 5);
  // g_t'(P(x_t - g_t) - x_t) = 1 * -1 + 0.5 * -0.5; g_t,i^2 where x_t,i - g_t,i is inside: i =
  // 2, 5.
  EXPECT_DOUBLE_EQ(block[kBoxDescentSlope], -1.25);
  EXPECT_DOUBLE_EQ(block[kBoxUnclippedSq], 1.25);
  // An empty history's direction: P(x - v) - x = (0, 1, 0, -0.5, 0, -4) at x.
  Eigen::VectorXd sd(6);
  ASSERT_TRUE(geometry->SteepestDescent(x, v, sd));
  Eigen::VectorXd want_sd(6);
  want_sd << 0, 1, 0, -0.5, 0, -4;
  EXPECT_EQ(sd, want_sd) << sd.transpose();
  // The start point: alpha = 0 projects x into the box.
  Eigen::VectorXd outside(6);
  outside << -1, 5, 0.5, 1, 0, 7;
  geometry->FormTrial(outside, Eigen::VectorXd::Zero(6), d, 0.0, xt, block);
  want_xt << 0, 1, 0.5, 1, 2, 7;
  EXPECT_EQ(xt, want_xt) << xt.transpose();
}

TEST(BoundsTest, BadBoundsThrowOnEveryRank) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 12);
  SeparableQuadratic obj(part);
  const LbfgsOptions o = BoxOptions();
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(part.local_size());
  const Eigen::VectorXd one = Eigen::VectorXd::Ones(part.local_size());
  const bool last = part.rank() == part.size() - 1;
  auto expect_error = [&](const Eigen::VectorXd& l, const Eigen::VectorXd& u,
                          const LbfgsOptions& opt, const std::string& text) {
    try {
      dlbfgs::Minimize(obj, part, x, opt, l, u);
      ADD_FAILURE() << "no exception for " << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  Eigen::VectorXd bad = zero;
  if (last) bad[0] = 2;  // above the upper bound 1 on the last rank only
  expect_error(bad, one, o, "is above its upper bound");
  bad = zero;
  if (last) bad[0] = std::nan("");
  expect_error(bad, one, o, "is nan");
  bad = one;
  if (last) bad[0] = std::nan("");
  expect_error(zero, bad, o, "the upper bound of x[");
  bad = Eigen::VectorXd::Constant(part.local_size(), kInf);
  expect_error(bad, bad, o, "no finite x satisfies them");
  expect_error(Eigen::VectorXd::Zero(part.local_size() + (last ? 1 : 0)), one, o,
               "the lower bounds have");
  LbfgsOptions l1 = o;
  l1.l1_weight = 0.1;
  expect_error(zero, one, l1, "together with bounds is not supported");
}

}  // namespace
