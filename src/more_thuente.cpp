// More-Thuente line search: J. J. More and D. J. Thuente, "Line search algorithms with guaranteed
// sufficient decrease", ACM TOMS 20(3), 1994. The structure follows the paper's Algorithm and its
// MINPACK-2 realisation (dcsrch/dcstep): a safeguarded interval of uncertainty [stx, sty] that
// contains a point satisfying the strong Wolfe conditions once it is bracketed.

#include <algorithm>
#include <cmath>

#include "line_search.hpp"

namespace dlbfgs::internal {
namespace {

// Extrapolation limits of the unbracketed phase (paper, Section 4: delta_min = 1.1, delta_max =
// 4) and the relative width below which the interval can no longer shrink in floating point.
constexpr double kExtrapolateLower = 1.1;
constexpr double kExtrapolateUpper = 4.0;
constexpr double kRelativeWidthTol = 1e-12;

struct Endpoint {
  double st = 0;  // step
  double f = 0;   // function value (possibly modified, see the paper's psi)
  double g = 0;   // derivative
};

// One update of the interval of uncertainty and the choice of the next trial step (the paper's
// Section 4, cases 1-4; MINPACK-2 dcstep). x is the best point so far, y the other endpoint, t
// the trial. Returns the new trial step.
double Step(Endpoint& x, Endpoint& y, const Endpoint& t, bool& bracketed, double stmin,
            double stmax) {
  const double sgnd = t.g * (x.g / std::fabs(x.g));
  double stpf;
  if (t.f > x.f) {
    // Case 1: higher function value; the minimum is bracketed. Cubic or the midpoint of cubic
    // and quadratic steps, whichever is closer to x.
    const double theta = 3 * (x.f - t.f) / (t.st - x.st) + x.g + t.g;
    const double s = std::max({std::fabs(theta), std::fabs(x.g), std::fabs(t.g)});
    double gamma = s * std::sqrt(std::max(0.0, (theta / s) * (theta / s) - (x.g / s) * (t.g / s)));
    if (t.st < x.st) gamma = -gamma;
    const double p = (gamma - x.g) + theta;
    const double q = ((gamma - x.g) + gamma) + t.g;
    const double stpc = x.st + (p / q) * (t.st - x.st);
    const double stpq = x.st + ((x.g / ((x.f - t.f) / (t.st - x.st) + x.g)) / 2) * (t.st - x.st);
    stpf = std::fabs(stpc - x.st) < std::fabs(stpq - x.st) ? stpc : stpc + (stpq - stpc) / 2;
    bracketed = true;
  } else if (sgnd < 0) {
    // Case 2: lower value, derivatives of opposite sign: bracketed; the step farther from t.
    const double theta = 3 * (x.f - t.f) / (t.st - x.st) + x.g + t.g;
    const double s = std::max({std::fabs(theta), std::fabs(x.g), std::fabs(t.g)});
    double gamma = s * std::sqrt(std::max(0.0, (theta / s) * (theta / s) - (x.g / s) * (t.g / s)));
    if (t.st > x.st) gamma = -gamma;
    const double p = (gamma - t.g) + theta;
    const double q = ((gamma - t.g) + gamma) + x.g;
    const double stpc = t.st + (p / q) * (x.st - t.st);
    const double stpq = t.st + (t.g / (t.g - x.g)) * (x.st - t.st);
    stpf = std::fabs(stpc - t.st) > std::fabs(stpq - t.st) ? stpc : stpq;
    bracketed = true;
  } else if (std::fabs(t.g) < std::fabs(x.g)) {
    // Case 3: lower value, same-sign derivative of decreasing magnitude. The cubic step is used
    // only if it tends to infinity in the direction of the step or its minimum is beyond t.
    const double theta = 3 * (x.f - t.f) / (t.st - x.st) + x.g + t.g;
    const double s = std::max({std::fabs(theta), std::fabs(x.g), std::fabs(t.g)});
    double gamma = s * std::sqrt(std::max(0.0, (theta / s) * (theta / s) - (x.g / s) * (t.g / s)));
    if (t.st > x.st) gamma = -gamma;
    const double p = (gamma - t.g) + theta;
    const double q = (gamma + (x.g - t.g)) + gamma;
    const double r = p / q;
    double stpc;
    if (r < 0 && gamma != 0) {
      stpc = t.st + r * (x.st - t.st);
    } else {
      stpc = t.st > x.st ? stmax : stmin;
    }
    const double stpq = t.st + (t.g / (t.g - x.g)) * (x.st - t.st);
    if (bracketed) {
      // Safeguard: stay within 0.66 of the way to y.
      stpf = std::fabs(stpc - t.st) < std::fabs(stpq - t.st) ? stpc : stpq;
      stpf = t.st > x.st ? std::min(t.st + 0.66 * (y.st - t.st), stpf)
                         : std::max(t.st + 0.66 * (y.st - t.st), stpf);
    } else {
      stpf = std::fabs(stpc - t.st) > std::fabs(stpq - t.st) ? stpc : stpq;
      stpf = std::clamp(stpf, stmin, stmax);
    }
  } else {
    // Case 4: lower value, same-sign derivative that does not decrease: cubic step to y if
    // bracketed, otherwise the extreme of the allowed range.
    if (bracketed) {
      const double theta = 3 * (t.f - y.f) / (y.st - t.st) + y.g + t.g;
      const double s = std::max({std::fabs(theta), std::fabs(y.g), std::fabs(t.g)});
      double gamma =
          s * std::sqrt(std::max(0.0, (theta / s) * (theta / s) - (y.g / s) * (t.g / s)));
      if (t.st > y.st) gamma = -gamma;
      const double p = (gamma - t.g) + theta;
      const double q = ((gamma - t.g) + gamma) + y.g;
      stpf = t.st + (p / q) * (y.st - t.st);
    } else {
      stpf = t.st > x.st ? stmax : stmin;
    }
  }
  // Update the interval of uncertainty.
  if (t.f > x.f) {
    y = t;
  } else {
    if (sgnd < 0) y = x;
    x = t;
  }
  return stpf;
}

class MoreThuente final : public LineSearch {
 public:
  explicit MoreThuente(const LbfgsOptions& o)
      : ftol_(o.c1),
        gtol_(o.c2),
        stpmin_(o.min_step),
        stpmax_(o.max_step),
        max_evaluations_(o.max_line_search_evaluations) {}

  LineSearchOutcome Search(const PhiSample& phi0, double alpha_init, PhiFunction& phi) override {
    LineSearchOutcome out;
    const double finit = phi0.phi;
    const double ginit = phi0.dphi;
    const double gtest = ftol_ * ginit;
    double width = stpmax_ - stpmin_;
    double width1 = 2 * width;
    bool bracketed = false;
    bool stage1 = true;
    Endpoint x{0, finit, ginit};
    Endpoint y{0, finit, ginit};
    double stp = std::clamp(alpha_init, stpmin_, stpmax_);
    double stmin = 0;
    double stmax = stp + kExtrapolateUpper * stp;
    // Upper limit set by non-finite trial values: steps at or beyond it are not evaluated again.
    double finite_limit = stpmax_;

    while (out.evaluations < max_evaluations_) {
      const PhiSample s = phi.Evaluate(stp);
      ++out.evaluations;
      out.last = s;
      if (s.abort) {
        out.status = LineSearchStatus::kAborted;
        return out;
      }
      if (!std::isfinite(s.phi) || !std::isfinite(s.dphi)) {
        // Cannot evaluate here: halve the distance to the best point, which stays the
        // interval's lower end, and never come back beyond this step.
        finite_limit = stp;
        stmax = std::min(stmax, stp);
        stp = x.st + 0.5 * (stp - x.st);
        if (stp - x.st <= kRelativeWidthTol * std::max(1.0, stp) || stp < stpmin_) break;
        continue;
      }
      const double ftest = finit + stp * gtest;
      if (stage1 && s.phi <= ftest && s.dphi >= 0) stage1 = false;
      // Strong Wolfe conditions (paper, (1.1) and (1.2)).
      if (s.phi <= ftest && std::fabs(s.dphi) <= gtol_ * (-ginit)) {
        out.status = LineSearchStatus::kSuccess;
        return out;
      }
      if (stp == stpmax_ && s.phi <= ftest && s.dphi <= gtest) break;
      if (stp == stpmin_ && (s.phi > ftest || s.dphi >= gtest)) break;

      Endpoint t{stp, s.phi, s.dphi};
      if (stage1 && s.phi <= x.f && s.phi > ftest) {
        // Modified function psi(a) = phi(a) - phi(0) - a ftol phi'(0) (paper, Section 2).
        Endpoint xm{x.st, x.f - x.st * gtest, x.g - gtest};
        Endpoint ym{y.st, y.f - y.st * gtest, y.g - gtest};
        Endpoint tm{t.st, t.f - t.st * gtest, t.g - gtest};
        stp = Step(xm, ym, tm, bracketed, stmin, stmax);
        x = {xm.st, xm.f + xm.st * gtest, xm.g + gtest};
        y = {ym.st, ym.f + ym.st * gtest, ym.g + gtest};
      } else {
        stp = Step(x, y, t, bracketed, stmin, stmax);
      }
      if (bracketed) {
        // Force sufficient shrinkage of the interval (bisection when two steps did not halve it).
        if (std::fabs(y.st - x.st) >= 0.66 * width1) stp = x.st + 0.5 * (y.st - x.st);
        width1 = width;
        width = std::fabs(y.st - x.st);
        stmin = std::min(x.st, y.st);
        stmax = std::max(x.st, y.st);
      } else {
        stmin = stp + kExtrapolateLower * (stp - x.st);
        stmax = stp + kExtrapolateUpper * (stp - x.st);
      }
      stp = std::clamp(stp, stpmin_, std::min(stpmax_, finite_limit));
      if (stp >= finite_limit) stp = x.st + 0.5 * (finite_limit - x.st);
      if (bracketed &&
          (stp <= stmin || stp >= stmax || stmax - stmin <= kRelativeWidthTol * stmax)) {
        break;  // rounding prevents progress (MINPACK-2's "rounding errors" / "xtol" warnings)
      }
    }
    out.status = out.evaluations >= max_evaluations_ ? LineSearchStatus::kMaxEvaluations
                                                     : LineSearchStatus::kNoProgress;
    return out;
  }

 private:
  double ftol_;
  double gtol_;
  double stpmin_;
  double stpmax_;
  int max_evaluations_;
};

}  // namespace

std::unique_ptr<LineSearch> MakeMoreThuente(const LbfgsOptions& options) {
  return std::make_unique<MoreThuente>(options);
}

}  // namespace dlbfgs::internal
