#include "line_search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

namespace {

using dlbfgs::LbfgsOptions;
using dlbfgs::LineSearchType;
using dlbfgs::internal::LineSearchStatus;
using dlbfgs::internal::PhiSample;

constexpr double kPi = 3.14159265358979323846;

// phi and phi' given as one function of alpha.
class Phi final : public dlbfgs::internal::PhiFunction {
 public:
  explicit Phi(std::function<void(double, double&, double&)> f) : f_(std::move(f)) {}
  PhiSample Evaluate(double alpha) override {
    PhiSample s;
    s.alpha = alpha;
    f_(alpha, s.phi, s.dphi);
    if (!std::isfinite(s.phi)) s.phi = std::numeric_limits<double>::infinity();
    ++calls;
    return s;
  }
  PhiSample At(double alpha) { return Evaluate(alpha); }
  int calls = 0;

 private:
  std::function<void(double, double&, double&)> f_;
};

// The six test functions of More & Thuente (1994), Table 1 / Section 5.
Phi MoreThuenteFunction(int which) {
  switch (which) {
    case 1:
      return Phi([](double a, double& f, double& g) {
        const double b = 2;
        f = -a / (a * a + b);
        g = (a * a - b) / ((a * a + b) * (a * a + b));
      });
    case 2:
      return Phi([](double a, double& f, double& g) {
        const double t = a + 0.004;
        f = std::pow(t, 5) - 2 * std::pow(t, 4);
        g = 5 * std::pow(t, 4) - 8 * std::pow(t, 3);
      });
    case 3:
      return Phi([](double a, double& f, double& g) {
        const double b = 0.01, l = 39;
        double f0, g0;
        if (a <= 1 - b) {
          f0 = 1 - a;
          g0 = -1;
        } else if (a >= 1 + b) {
          f0 = a - 1;
          g0 = 1;
        } else {
          f0 = (a - 1) * (a - 1) / (2 * b) + b / 2;
          g0 = (a - 1) / b;
        }
        f = f0 + 2 * (1 - b) / (l * kPi) * std::sin(l * kPi * a / 2);
        g = g0 + (1 - b) * std::cos(l * kPi * a / 2);
      });
    default: {
      const double b1 = which == 4 ? 0.001 : which == 5 ? 0.01 : 0.001;
      const double b2 = which == 4 ? 0.001 : which == 5 ? 0.001 : 0.01;
      return Phi([b1, b2](double a, double& f, double& g) {
        const double g1 = std::sqrt(1 + b1 * b1) - b1;
        const double g2 = std::sqrt(1 + b2 * b2) - b2;
        const double r1 = std::sqrt((1 - a) * (1 - a) + b2 * b2);
        const double r2 = std::sqrt(a * a + b1 * b1);
        f = g1 * r1 + g2 * r2;
        g = -g1 * (1 - a) / r1 + g2 * a / r2;
      });
    }
  }
}

LbfgsOptions Options(LineSearchType type, double c1, double c2) {
  LbfgsOptions o;
  o.line_search = type;
  o.c1 = c1;
  o.c2 = c2;
  o.max_line_search_evaluations = 60;
  return o;
}

TEST(MoreThuenteTest, SatisfiesStrongWolfeOnThePaperFunctions) {
  for (int which = 1; which <= 6; ++which) {
    // The paper's parameters: mu = 0.001, eta = 0.1 (functions 1, 3-6) and eta = 0.1 for 2.
    const LbfgsOptions o = Options(LineSearchType::kMoreThuente, 1e-3, 0.1);
    for (double alpha0 : {1e-3, 1e-1, 1e1, 1e3}) {
      Phi phi = MoreThuenteFunction(which);
      const PhiSample p0 = phi.At(0);
      phi.calls = 0;
      auto search = dlbfgs::internal::MakeLineSearch(o);
      const auto out = search->Search(p0, alpha0, phi);
      ASSERT_EQ(out.status, LineSearchStatus::kSuccess) << "function " << which << " a0 " << alpha0;
      const PhiSample& s = out.last;
      EXPECT_LE(s.phi, p0.phi + o.c1 * s.alpha * p0.dphi) << "function " << which;
      EXPECT_LE(std::fabs(s.dphi), o.c2 * std::fabs(p0.dphi)) << "function " << which;
      EXPECT_EQ(out.evaluations, phi.calls);
      EXPECT_LE(out.evaluations, 20) << "function " << which << " a0 " << alpha0;
    }
  }
}

TEST(MoreThuenteTest, SatisfiesStrongWolfeOnQuadratic) {
  // phi(a) = (a - 3)^2: exact minimiser 3 satisfies both conditions at any c2.
  Phi phi([](double a, double& f, double& g) {
    f = (a - 3) * (a - 3);
    g = 2 * (a - 3);
  });
  const LbfgsOptions o = Options(LineSearchType::kMoreThuente, 1e-4, 0.9);
  auto search = dlbfgs::internal::MakeLineSearch(o);
  const auto out = search->Search(phi.At(0), 1.0, phi);
  ASSERT_EQ(out.status, LineSearchStatus::kSuccess);
  EXPECT_LE(out.last.phi, 9 + 1e-4 * out.last.alpha * -6);
  EXPECT_LE(std::fabs(out.last.dphi), 0.9 * 6);
}

TEST(MoreThuenteTest, ShrinksThroughNonFiniteValues) {
  // Not defined beyond a = 2: the search must come back into the domain and succeed there.
  Phi phi([](double a, double& f, double& g) {
    f = a > 2 ? std::numeric_limits<double>::quiet_NaN() : (a - 3) * (a - 3);
    g = 2 * (a - 3);
  });
  const LbfgsOptions o = Options(LineSearchType::kMoreThuente, 1e-4, 0.9);
  auto search = dlbfgs::internal::MakeLineSearch(o);
  const auto out = search->Search(phi.At(0), 100.0, phi);
  ASSERT_EQ(out.status, LineSearchStatus::kSuccess);
  EXPECT_LE(out.last.alpha, 2);
  EXPECT_LE(out.last.phi, 9 + 1e-4 * out.last.alpha * -6);
  EXPECT_LE(std::fabs(out.last.dphi), 0.9 * 6);
}

TEST(MoreThuenteTest, NeverTriesAgainAtOrBeyondANonFiniteStep) {
  // phi = -a on its domain a <= 2: no step satisfies the curvature condition, so the search
  // keeps extrapolating toward the edge. Once a step gave no finite value, no later step may
  // reach it again (each such trial is a wasted objective evaluation).
  std::vector<double> tried;
  Phi phi([&tried](double a, double& f, double& g) {
    tried.push_back(a);
    f = a > 2 ? std::numeric_limits<double>::quiet_NaN() : -a;
    g = -1;
  });
  for (double alpha0 : {0.5, 10.0, 1e3}) {
    const PhiSample p0 = phi.At(0);
    tried.clear();
    const LbfgsOptions o = Options(LineSearchType::kMoreThuente, 1e-4, 0.9);
    auto search = dlbfgs::internal::MakeLineSearch(o);
    const auto out = search->Search(p0, alpha0, phi);
    EXPECT_NE(out.status, LineSearchStatus::kSuccess);
    double limit = std::numeric_limits<double>::infinity();
    for (double a : tried) {
      EXPECT_LT(a, limit) << "alpha0 " << alpha0 << ": stepped to " << a << " after " << limit
                          << " was not finite";
      if (a > 2) limit = std::min(limit, a);
    }
  }
}

TEST(MoreThuenteTest, EndsWithoutUsingTheBudgetWhenNoStepSatisfiesTheConditions) {
  // A kink at a = 1 (slope -1 before, 1e-3 after): no step has |phi'| <= 1e-4 |phi'(0)|. The
  // bracket must still shrink by a fixed factor every two trials (Moré & Thuente 1994, Section
  // 4: bisection when it did not), so the search ends on rounding, far below 100 evaluations.
  Phi phi([](double a, double& f, double& g) {
    const double t = a - 1;
    f = t < 0 ? -t : 100 * t * t * t + 1e-3 * t;
    g = t < 0 ? -1 : 300 * t * t + 1e-3;
  });
  for (double alpha0 : {1e-3, 0.5, 10.0, 1e3}) {
    LbfgsOptions o = Options(LineSearchType::kMoreThuente, 1e-4, 1e-4);
    o.max_line_search_evaluations = 100;
    auto search = dlbfgs::internal::MakeLineSearch(o);
    const auto out = search->Search(phi.At(0), alpha0, phi);
    EXPECT_EQ(out.status, LineSearchStatus::kNoProgress) << "alpha0 " << alpha0;
    EXPECT_LT(out.evaluations, 90) << "alpha0 " << alpha0;
    EXPECT_NEAR(out.last.alpha, 1, 1e-6) << "alpha0 " << alpha0;
  }
}

TEST(MoreThuenteTest, StopsAtTheEvaluationBudget) {
  Phi phi = MoreThuenteFunction(3);
  LbfgsOptions o = Options(LineSearchType::kMoreThuente, 1e-3, 1e-3);
  o.max_line_search_evaluations = 2;
  auto search = dlbfgs::internal::MakeLineSearch(o);
  const auto out = search->Search(phi.At(0), 1e-3, phi);
  EXPECT_EQ(out.status, LineSearchStatus::kMaxEvaluations);
  EXPECT_EQ(out.evaluations, 2);
}

TEST(BacktrackingTest, SatisfiesArmijoOnThePaperFunctions) {
  for (int which = 1; which <= 6; ++which) {
    const LbfgsOptions o = Options(LineSearchType::kBacktracking, 1e-3, 0.9);
    for (double alpha0 : {1e-1, 1e1, 1e3}) {
      Phi phi = MoreThuenteFunction(which);
      const PhiSample p0 = phi.At(0);
      auto search = dlbfgs::internal::MakeLineSearch(o);
      const auto out = search->Search(p0, alpha0, phi);
      ASSERT_EQ(out.status, LineSearchStatus::kSuccess) << "function " << which << " a0 " << alpha0;
      EXPECT_LE(out.last.phi, p0.phi + o.c1 * out.last.alpha * p0.dphi) << "function " << which;
      EXPECT_LE(out.last.alpha, alpha0);
    }
  }
}

TEST(BacktrackingTest, WolfeVariantAlsoSatisfiesTheCurvatureCondition) {
  for (int which = 1; which <= 6; ++which) {
    LbfgsOptions o = Options(LineSearchType::kBacktracking, 1e-3, 0.5);
    o.backtracking_wolfe = true;
    for (double alpha0 : {1e-3, 1e-1, 1e1}) {
      Phi phi = MoreThuenteFunction(which);
      const PhiSample p0 = phi.At(0);
      auto search = dlbfgs::internal::MakeLineSearch(o);
      const auto out = search->Search(p0, alpha0, phi);
      ASSERT_EQ(out.status, LineSearchStatus::kSuccess) << "function " << which << " a0 " << alpha0;
      EXPECT_LE(out.last.phi, p0.phi + o.c1 * out.last.alpha * p0.dphi);
      EXPECT_GE(out.last.dphi, o.c2 * p0.dphi) << "function " << which << " a0 " << alpha0;
    }
  }
}

TEST(BacktrackingTest, ShrinksThroughNonFiniteValues) {
  Phi phi([](double a, double& f, double& g) {
    f = a > 0.5 ? std::numeric_limits<double>::infinity() : (a - 3) * (a - 3);
    g = 2 * (a - 3);
  });
  const LbfgsOptions o = Options(LineSearchType::kBacktracking, 1e-4, 0.9);
  auto search = dlbfgs::internal::MakeLineSearch(o);
  const auto out = search->Search(phi.At(0), 1.0, phi);
  ASSERT_EQ(out.status, LineSearchStatus::kSuccess);
  EXPECT_LE(out.last.alpha, 0.5);
  EXPECT_LE(out.last.phi, 9 + 1e-4 * out.last.alpha * -6);
}

TEST(LineSearchTest, AbortRequestedByTheEvaluatorEndsTheSearchAtOnce) {
  for (auto type : {LineSearchType::kMoreThuente, LineSearchType::kBacktracking}) {
    struct Aborting final : dlbfgs::internal::PhiFunction {
      PhiSample Evaluate(double alpha) override {
        ++calls;
        PhiSample s;
        s.alpha = alpha;
        s.abort = true;
        return s;
      }
      int calls = 0;
    } phi;
    auto search = dlbfgs::internal::MakeLineSearch(Options(type, 1e-4, 0.9));
    const auto out = search->Search({0, 1, -1, false}, 1.0, phi);
    EXPECT_EQ(out.status, LineSearchStatus::kAborted);
    EXPECT_EQ(phi.calls, 1);
  }
}

// A sample on a projected path: phi, phi' along the path and the model term.
class ProjectedPhi final : public dlbfgs::internal::PhiFunction {
 public:
  explicit ProjectedPhi(std::function<void(double, PhiSample&)> f) : f_(std::move(f)) {}
  PhiSample Evaluate(double alpha) override {
    PhiSample s;
    s.alpha = alpha;
    f_(alpha, s);
    return s;
  }

 private:
  std::function<void(double, PhiSample&)> f_;
};

// After a failed Armijo test, cubic interpolation (the box geometry's) fits phi'(alpha) too: on a
// cubic phi(a) = -a + 2 a^3 it lands on the minimiser 1/sqrt(6) at once, where the quadratic
// through phi(0), phi'(0), phi(1) proposes 1/4.
TEST(BacktrackingTest, CubicInterpolationUsesTheSlopeAtTheTrial) {
  const LbfgsOptions o;
  auto path = [](double a, PhiSample& s) {
    s.phi = -a + 2 * a * a * a;
    s.dphi = -1 + 6 * a * a;
    s.model = -a;
  };
  const PhiSample phi0{0, 0, -1, false};
  ProjectedPhi cubic_phi(path);
  const auto cubic = dlbfgs::internal::MakeBacktracking(o, dlbfgs::internal::Interpolation::kCubic)
                         ->Search(phi0, 1.0, cubic_phi);
  EXPECT_EQ(cubic.status, LineSearchStatus::kSuccess);
  EXPECT_EQ(cubic.evaluations, 2);
  EXPECT_NEAR(cubic.last.alpha, 1 / std::sqrt(6.0), 1e-12);
  ProjectedPhi quadratic_phi(path);
  const auto quadratic = dlbfgs::internal::MakeBacktracking(o)->Search(phi0, 1.0, quadratic_phi);
  EXPECT_EQ(quadratic.status, LineSearchStatus::kSuccess);
  EXPECT_DOUBLE_EQ(quadratic.last.alpha, 0.25);
}

// Where phi's differences are rounding noise (phi = 5e5 exactly, a model decrease of 1e-15),
// a step is judged by its slope along the path (Hager & Zhang's approximate Wolfe conditions):
// the step where the slope has flattened is accepted; a step so short that the slope is still
// the initial one is not progress, whatever phi's rounding says.
TEST(BacktrackingTest, ProjectedPathInTheRoundingRegimeJudgesStepsByTheirSlope) {
  const LbfgsOptions o;
  const auto search = dlbfgs::internal::MakeBacktracking(o);
  auto path = [](double a, PhiSample& s) {
    s.phi = 5e5;                // constant: every difference is below the rounding
    s.dphi = -1e-9 + 1e-9 * a;  // minimum along the path at a = 1
    s.model = -1e-15 * a;
  };
  ProjectedPhi phi(path);
  const PhiSample phi0{0, 5e5, -1e-9, false};
  const auto at_one = search->Search(phi0, 1.0, phi);
  EXPECT_EQ(at_one.status, LineSearchStatus::kSuccess);
  EXPECT_EQ(at_one.last.alpha, 1.0);
  const auto tiny = search->Search(phi0, 1e-6, phi);
  EXPECT_NE(tiny.status, LineSearchStatus::kSuccess) << "accepted alpha = " << tiny.last.alpha;
}

}  // namespace
