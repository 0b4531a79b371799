#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::test_support::ExpectSameOnAllRanks;
using dlbfgs::test_support::WorldRank;
using dlbfgs::test_support::WorldSize;

using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::Partition;
using dlbfgs::TerminationReason;
using dlbfgs::TwoLoopType;

// f(x) = 1/2 sum_i c_i (x_i - 1)^2 + q (sum_i x_i)^2 / 2: a coupled quadratic (the global sum
// is an allreduce inside the objective) with minimiser x* = 1 only when q = 0; for q > 0 the
// minimiser is x_i = 1 - q S / c_i with S = sum x*, known in closed form below.
class CoupledQuadratic : public dlbfgs::Objective {
 public:
  CoupledQuadratic(const Partition& part, double condition, double q = 0) : part_(part), q_(q) {
    c_.resize(part.local_size());
    const Eigen::Index n = part.global_size();
    for (Eigen::Index k = 0; k < c_.size(); ++k) {
      const double t = n > 1 ? double(part.offset() + k) / double(n - 1) : 0.0;
      c_[k] = std::pow(condition, t);
    }
  }
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    ++calls;
    double sum = x.sum();
    MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_DOUBLE, MPI_SUM, part_.comm());
    const Eigen::ArrayXd r = x.array() - 1;
    g = (c_.array() * r + q_ * sum).matrix();
    const double share = 0.5 * (c_.array() * r * r).sum();
    return share + (part_.rank() == 0 ? 0.5 * q_ * sum * sum : 0.0);
  }
  // x*: c_i (x_i - 1) + q S = 0 => x_i = 1 - q S / c_i, S = n - q S sum(1/c) => S = n / (1 + q
  // sum(1/c)).
  Eigen::VectorXd Minimizer() const {
    double inv = (1.0 / c_.array()).sum();
    MPI_Allreduce(MPI_IN_PLACE, &inv, 1, MPI_DOUBLE, MPI_SUM, part_.comm());
    const double s = part_.global_size() / (1 + q_ * inv);
    return (1 - q_ * s / c_.array()).matrix();
  }
  int calls = 0;

 private:
  const Partition& part_;
  double q_;
  Eigen::VectorXd c_;
};

double GlobalMaxAbs(const Eigen::VectorXd& v) {
  double m = v.size() ? v.cwiseAbs().maxCoeff() : 0.0;
  MPI_Allreduce(MPI_IN_PLACE, &m, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return m;
}

void ExpectSameOutcomeOnAllRanks(const LbfgsResult& r) {
  ExpectSameOnAllRanks(static_cast<double>(r.reason), "reason");
  ExpectSameOnAllRanks(r.f, "f");
  ExpectSameOnAllRanks(r.iterations, "iterations");
  ExpectSameOnAllRanks(r.evaluations, "evaluations");
  ExpectSameOnAllRanks(static_cast<double>(r.message.size()), "message length");
}

TEST(MinimizeTest, ReachesTheKnownMinimumOfACoupledQuadratic) {
  for (TwoLoopType variant : {TwoLoopType::kFused, TwoLoopType::kClassic}) {
    for (Eigen::Index n : {1, 2, 3, 50, 301}) {
      const Partition part = Partition::Uniform(MPI_COMM_WORLD, n);
      // Coupling q = 1/n^2 keeps f* = O(1), so that ||g|| = 1e-7 is resolvable in f
      // (sqrt(eps f* lambda_max) ~ 1e-7 is the limit of any line search working on f values).
      CoupledQuadratic obj(part, 100.0, 1.0 / double(n * n));
      Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
      LbfgsOptions o;
      o.two_loop = variant;
      o.grad_tol = 1e-6;
      const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
      ASSERT_TRUE(r.Converged()) << r.message;
      EXPECT_EQ(r.reason, TerminationReason::kGradientTolerance);
      EXPECT_LE(r.grad_norm, 1e-6);
      // ||x - x*|| <= ||g|| / lambda_min with lambda_min >= 1.
      EXPECT_LE(GlobalMaxAbs(x - obj.Minimizer()), 1e-6) << "n = " << n;
      ExpectSameOutcomeOnAllRanks(r);
    }
  }
}

TEST(MinimizeTest, FusedUsesOneAllreducePerEvaluationPlusOneAtStart) {
  for (int m : {1, 5, 10, 20}) {
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, 200);
    CoupledQuadratic obj(part, 1e3);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
    LbfgsOptions o;
    o.history_size = m;
    o.grad_tol = 1e-8;
    const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
    ASSERT_TRUE(r.Converged()) << r.message;
    EXPECT_GT(r.iterations, m) << "the history must fill up for the count to mean something";
    EXPECT_EQ(r.comm.allreduce_calls, r.evaluations + 1) << "m = " << m;
    EXPECT_EQ(obj.calls, r.evaluations);
  }
}

TEST(MinimizeTest, ClassicAddsTwoPerStoredPairPlusOnePerIteration) {
  const int m = 4;
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 100);
  CoupledQuadratic obj(part, 1e3);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  LbfgsOptions o;
  o.history_size = m;
  o.two_loop = TwoLoopType::kClassic;
  // The pairs stored when each direction is computed: the summary's history_count.
  std::vector<int> counts;
  o.callback = [&](const dlbfgs::IterationSummary& s) {
    counts.push_back(s.history_count);
    return dlbfgs::CallbackResult::kContinue;
  };
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  ASSERT_TRUE(r.Converged()) << r.message;
  ASSERT_EQ(r.history_resets, 0);
  long long expected = 1 + r.evaluations;
  for (size_t k = 0; k + 1 < counts.size(); ++k) expected += counts[k] > 0 ? 2 * counts[k] + 1 : 0;
  EXPECT_EQ(r.comm.allreduce_calls, expected);
}

// Runs fused and classic on the same coupled quadratic, recording f and ||g|| per iteration.
struct PathPair {
  std::vector<double> f[2], gnorm[2];
  LbfgsResult r[2];
};

PathPair RunBothVariants(double condition, int m, double grad_tol) {
  PathPair out;
  for (int v = 0; v < 2; ++v) {
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, 120);
    CoupledQuadratic obj(part, condition, 1.0 / (120.0 * 120.0));
    Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
    LbfgsOptions o;
    o.history_size = m;
    o.grad_tol = grad_tol;
    o.max_iterations = 5000;
    o.two_loop = v == 0 ? TwoLoopType::kFused : TwoLoopType::kClassic;
    o.callback = [&out, v](const dlbfgs::IterationSummary& s) {
      out.f[v].push_back(s.f);
      out.gnorm[v].push_back(s.grad_norm);
      return dlbfgs::CallbackResult::kContinue;
    };
    out.r[v] = dlbfgs::Minimize(obj, part, x, o);
  }
  return out;
}

TEST(MinimizeTest, FusedAndClassicFollowTheSamePathWhenWellConditioned) {
  for (double condition : {10.0, 100.0}) {
    const PathPair p = RunBothVariants(condition, 5, 1e-6);
    ASSERT_TRUE(p.r[0].Converged()) << p.r[0].message;
    ASSERT_TRUE(p.r[1].Converged()) << p.r[1].message;
    EXPECT_EQ(p.r[0].iterations, p.r[1].iterations) << "condition " << condition;
    EXPECT_EQ(p.r[0].evaluations, p.r[1].evaluations);
    ASSERT_EQ(p.f[0].size(), p.f[1].size());
    ASSERT_GT(p.f[0].size(), 10u);
    // Same iterates up to rounding: f to 1e-10 relative, g to 1e-9 of its initial size (late
    // gradients are differences of O(1) terms, so their relative accuracy degrades as they shrink).
    for (size_t k = 0; k < p.f[0].size(); ++k) {
      EXPECT_NEAR(p.f[0][k], p.f[1][k], 1e-10 * std::fabs(p.f[1][k])) << "iteration " << k;
      EXPECT_NEAR(p.gnorm[0][k], p.gnorm[1][k], 1e-9 * p.gnorm[1][0]) << "iteration " << k;
    }
  }
}

TEST(MinimizeTest, FusedAndClassicNeedAlikeIterationCountsWhenIllConditioned) {
  // Over hundreds of iterations at condition 1e4 rounding differences grow until the paths part;
  // what must stay is the convergence rate.
  const PathPair p = RunBothVariants(1e4, 5, 1e-5);
  ASSERT_TRUE(p.r[0].Converged()) << p.r[0].message;
  ASSERT_TRUE(p.r[1].Converged()) << p.r[1].message;
  EXPECT_NEAR(p.r[0].iterations, p.r[1].iterations, 0.1 * p.r[1].iterations);
  for (size_t k = 0; k < 50; ++k) {
    EXPECT_NEAR(p.f[0][k], p.f[1][k], 1e-10 * std::fabs(p.f[1][k])) << "iteration " << k;
  }
}

TEST(MinimizeTest, GramRefreshReproducesTheSameRun) {
  LbfgsResult r[2];
  for (int v = 0; v < 2; ++v) {
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, 150);
    CoupledQuadratic obj(part, 1e3, 1.0 / (150.0 * 150.0));  // f* = O(1)
    Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
    LbfgsOptions o;
    o.history_size = 6;
    o.grad_tol = 1e-6;
    o.gram_refresh_interval = v == 0 ? 0 : 3;
    r[v] = dlbfgs::Minimize(obj, part, x, o);
    ASSERT_TRUE(r[v].Converged()) << r[v].message;
  }
  EXPECT_EQ(r[0].gram_refreshes, 0);
  EXPECT_EQ(r[1].gram_refreshes, r[1].iterations / 3 - (r[1].iterations % 3 == 0 ? 1 : 0));
  EXPECT_EQ(r[0].iterations, r[1].iterations);
  EXPECT_NEAR(r[0].f, r[1].f, 1e-12 * (1 + std::fabs(r[0].f)));
  // The refresh rides in evaluations: still one allreduce per evaluation.
  EXPECT_EQ(r[1].comm.allreduce_calls, r[1].evaluations + 1);
}

TEST(MinimizeTest, FailedGramCheckResetsTheHistoryAndStillConverges) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 100);
  CoupledQuadratic obj(part, 100.0);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  LbfgsOptions o;
  o.gram_check_tol = 0;  // any rounding difference counts as a failed check
  o.max_iterations = 5000;
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  EXPECT_TRUE(r.Converged()) << r.message;
  EXPECT_GT(r.history_resets, 0);
  ExpectSameOutcomeOnAllRanks(r);
}

TEST(MinimizeTest, ObjectiveThatThrowsOnOneRankStopsEveryRank) {
  for (int when : {1, 5}) {  // at the start point, and mid-run
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, 40);
    const int bad = part.size() - 1;
    struct Throwing : CoupledQuadratic {
      Throwing(const Partition& p, int when, int bad)
          : CoupledQuadratic(p, 10), when_(when), bad_(bad), rank_(p.rank()) {}
      double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                           Eigen::Ref<Eigen::VectorXd> g) override {
        const double f = CoupledQuadratic::EvaluateLocal(x, g);  // communicate first
        if (calls == when_ && rank_ == bad_) throw std::runtime_error("disk on fire");
        return f;
      }
      int when_, bad_, rank_;
    } obj(part, when, bad);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
    const LbfgsResult r = dlbfgs::Minimize(obj, part, x, LbfgsOptions());
    EXPECT_EQ(r.reason, TerminationReason::kObjectiveError);
    EXPECT_FALSE(r.Converged());
    EXPECT_NE(r.message.find("rank " + std::to_string(bad)), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("disk on fire"), std::string::npos) << r.message;
    EXPECT_EQ(r.evaluations, when);
    ExpectSameOnAllRanks(r.evaluations, "evaluations");
    ExpectSameOnAllRanks(static_cast<double>(r.message.size()), "message");
    if (when > 1) {
      // The returned x is the last accepted iterate, whose f the result reports.
      Eigen::VectorXd g(part.local_size());
      double f = obj.CoupledQuadratic::EvaluateLocal(x, g);
      MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      EXPECT_NEAR(f, r.f, 1e-14 * std::fabs(r.f));
    }
  }
}

TEST(MinimizeTest, CallbackThatThrowsOnOneRankStopsEveryRank) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 30);
  CoupledQuadratic obj(part, 100);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  LbfgsOptions o;
  const int bad = part.size() - 1;
  o.callback = [&](const dlbfgs::IterationSummary& s) {
    if (s.iteration == 2 && part.rank() == bad) throw std::runtime_error("monitor failed");
    return dlbfgs::CallbackResult::kContinue;
  };
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  EXPECT_EQ(r.reason, TerminationReason::kObjectiveError);
  EXPECT_EQ(r.iterations, 2);
  EXPECT_NE(r.message.find("rank " + std::to_string(bad)), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("monitor failed"), std::string::npos) << r.message;
  ExpectSameOutcomeOnAllRanks(r);
}

TEST(MinimizeTest, WorkspaceThatCannotBeAllocatedOnOneRankStopsEveryRank) {
  const int size = WorldSize();
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 1'000'000LL * size);
  CoupledQuadratic obj(part, 10);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  const int victim = size - 1;
  // The victim's address space may grow by 32 MiB only; the workspace needs about 216 MiB.
  struct rlimit saved;
  getrlimit(RLIMIT_AS, &saved);
  if (part.rank() == victim) {
    long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    struct rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(pages) * sysconf(_SC_PAGESIZE) + (32u << 20);
    setrlimit(RLIMIT_AS, &tight);
  }
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, LbfgsOptions());
  setrlimit(RLIMIT_AS, &saved);
  EXPECT_EQ(r.reason, TerminationReason::kOutOfMemory) << r.message;
  EXPECT_NE(r.message.find("rank " + std::to_string(victim)), std::string::npos) << r.message;
  EXPECT_EQ(r.evaluations, 0);
  EXPECT_EQ(obj.calls, 0);
  ExpectSameOutcomeOnAllRanks(r);
}

TEST(MinimizeTest, NonFiniteEverywhereButTheStartEndsWithTheStartPoint) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 9);
  struct Spike : dlbfgs::Objective {
    double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                         Eigen::Ref<Eigen::VectorXd> g) override {
      g.setOnes();
      double moved = x.size() > 0 ? (x.array() - 2).abs().maxCoeff() : 0.0;
      MPI_Allreduce(MPI_IN_PLACE, &moved, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      return moved > 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0;
    }
  } obj;
  Eigen::VectorXd x = Eigen::VectorXd::Constant(part.local_size(), 2.0);
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, LbfgsOptions());
  EXPECT_EQ(r.reason, TerminationReason::kNonFiniteValue) << r.message;
  EXPECT_EQ(r.iterations, 0);
  EXPECT_GT(r.evaluations, 2);
  EXPECT_EQ(GlobalMaxAbs(x - Eigen::VectorXd::Constant(part.local_size(), 2.0)), 0.0);
  EXPECT_EQ(r.f, part.size() * 1.0);
  ExpectSameOutcomeOnAllRanks(r);
}

TEST(MinimizeTest, NonFiniteStartIsAnImmediateError) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 10);
  struct NanAtStart : dlbfgs::Objective {
    int rank;
    double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                         Eigen::Ref<Eigen::VectorXd> g) override {
      g = x;
      return rank == 0 ? std::numeric_limits<double>::quiet_NaN() : 0.0;
    }
  } obj;
  obj.rank = part.rank();
  Eigen::VectorXd x = Eigen::VectorXd::Ones(part.local_size());
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, LbfgsOptions());
  EXPECT_EQ(r.reason, TerminationReason::kNonFiniteValue);
  EXPECT_EQ(r.evaluations, 1);
  EXPECT_EQ(GlobalMaxAbs(x - Eigen::VectorXd::Ones(part.local_size())), 0.0);
}

TEST(MinimizeTest, NonFiniteRegionShrinksTheStep) {
  // f = sum (x_i - 3)^2 defined only where every x_i <= 2 (NaN on the rank that sees a
  // violation): the solver must stay inside and converge to the boundary-free... minimiser of
  // the restricted problem is not smooth, so use a large start domain: NaN beyond x_i > 5 with
  // x* = 3 inside, starting from 0 with a first step that overshoots.
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 12);
  struct Domain : dlbfgs::Objective {
    double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                         Eigen::Ref<Eigen::VectorXd> g) override {
      g = 2 * (x.array() - 3).matrix();
      if (x.size() > 0 && x.maxCoeff() > 5) return std::numeric_limits<double>::quiet_NaN();
      return (x.array() - 3).square().sum();
    }
  } obj;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  LbfgsOptions o;
  o.line_search = dlbfgs::LineSearchType::kMoreThuente;
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  EXPECT_TRUE(r.Converged()) << r.message;
  EXPECT_LE(GlobalMaxAbs(x - Eigen::VectorXd::Constant(part.local_size(), 3)), 1e-5);
}

TEST(MinimizeTest, BadOptionsThrowOnEveryRankNamingTheField) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 10);
  CoupledQuadratic obj(part, 10);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  LbfgsOptions o;
  o.history_size = -1;
  try {
    dlbfgs::Minimize(obj, part, x, o);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("history_size"), std::string::npos) << e.what();
  }
  o = LbfgsOptions();
  o.c2 = 1e-5;
  EXPECT_THROW(dlbfgs::Minimize(obj, part, x, o), std::invalid_argument);
  Eigen::VectorXd wrong = Eigen::VectorXd::Zero(part.local_size() + 1);
  EXPECT_THROW(dlbfgs::Minimize(obj, part, wrong, LbfgsOptions()), std::invalid_argument);
  EXPECT_EQ(obj.calls, 0);
}

TEST(MinimizeTest, OptionsThatDifferBetweenRanksThrowOnEveryRank) {
  if (WorldSize() < 2) GTEST_SKIP() << "needs two ranks";
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 10);
  CoupledQuadratic obj(part, 10);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  LbfgsOptions o;
  if (WorldRank() == 1) o.grad_tol = 1e-7;
  EXPECT_THROW(dlbfgs::Minimize(obj, part, x, o), std::invalid_argument);
  // One rank invalid, the others valid: still every rank throws.
  o = LbfgsOptions();
  if (WorldRank() == 0) o.max_iterations = -1;
  EXPECT_THROW(dlbfgs::Minimize(obj, part, x, o), std::invalid_argument);
  // x of the wrong size on one rank only.
  Eigen::VectorXd y = Eigen::VectorXd::Zero(part.local_size() + (WorldRank() == 1 ? 1 : 0));
  EXPECT_THROW(dlbfgs::Minimize(obj, part, y, LbfgsOptions()), std::invalid_argument);
  EXPECT_EQ(obj.calls, 0);
}

TEST(MinimizeTest, CallbackStopOnOneRankStopsEveryRank) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 60);
  CoupledQuadratic obj(part, 1e3);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  LbfgsOptions o;
  const int voter = part.size() - 1;
  double f_at_stop = 0;
  o.callback = [&](const dlbfgs::IterationSummary& s) {
    if (s.iteration == 3) f_at_stop = s.f;
    return s.iteration == 3 && part.rank() == voter ? dlbfgs::CallbackResult::kStop
                                                    : dlbfgs::CallbackResult::kContinue;
  };
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  EXPECT_EQ(r.reason, TerminationReason::kUserRequested);
  EXPECT_EQ(r.iterations, 3);
  EXPECT_EQ(r.f, f_at_stop);
  ExpectSameOutcomeOnAllRanks(r);
}

TEST(MinimizeTest, LimitsAndTolerancesStopWithTheirReasons) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 80);
  auto run = [&](LbfgsOptions o) {
    CoupledQuadratic obj(part, 1e4);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
    const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
    ExpectSameOutcomeOnAllRanks(r);
    return r;
  };
  LbfgsOptions o;
  o.max_iterations = 7;
  LbfgsResult r = run(o);
  EXPECT_EQ(r.reason, TerminationReason::kMaxIterations);
  EXPECT_EQ(r.iterations, 7);

  o = LbfgsOptions();
  o.max_evaluations = 9;
  r = run(o);
  EXPECT_EQ(r.reason, TerminationReason::kMaxEvaluations);
  EXPECT_LE(r.evaluations, 9);

  o = LbfgsOptions();
  o.grad_tol = 0;
  o.grad_rel_tol = 1e-3;
  r = run(o);
  EXPECT_EQ(r.reason, TerminationReason::kRelativeGradientTolerance);

  o = LbfgsOptions();
  o.grad_tol = 0;
  o.f_rel_tol = 1e-3;
  o.past = 2;
  r = run(o);
  EXPECT_EQ(r.reason, TerminationReason::kFunctionTolerance);
  EXPECT_TRUE(r.Converged());

  o = LbfgsOptions();
  o.max_iterations = 0;
  r = run(o);
  EXPECT_EQ(r.reason, TerminationReason::kMaxIterations);
  EXPECT_EQ(r.evaluations, 1);
}

TEST(MinimizeTest, BothLineSearchesConvergeWithTheSameOutcomeOnEveryRank) {
  for (auto ls : {dlbfgs::LineSearchType::kMoreThuente, dlbfgs::LineSearchType::kBacktracking}) {
    for (bool wolfe : {false, true}) {
      const Partition part = Partition::Uniform(MPI_COMM_WORLD, 64);
      CoupledQuadratic obj(part, 1e3, 1.0 / (64.0 * 64.0));  // f* = O(1): 1e-6 resolvable
      Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
      LbfgsOptions o;
      o.line_search = ls;
      o.backtracking_wolfe = wolfe;
      o.grad_tol = 1e-6;
      const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
      EXPECT_TRUE(r.Converged()) << r.message;
      EXPECT_LE(GlobalMaxAbs(x - obj.Minimizer()), 1e-6);
      ExpectSameOutcomeOnAllRanks(r);
    }
  }
}

}  // namespace
