// Backtracking line search on the Armijo (sufficient decrease) condition with safeguarded
// quadratic interpolation (Nocedal & Wright, Section 3.5, "Interpolation"; Dennis & Schnabel,
// Alg. A6.3.1), or cubic interpolation that also uses phi'(alpha) (Nocedal & Wright, eq. 3.59),
// optionally also enforcing the weak Wolfe curvature condition by expanding the step
// and bisecting the bracket [lo, hi] (Nocedal & Wright, Alg. 3.5 in its simplest form).

#include <algorithm>
#include <cmath>
#include <limits>

#include "line_search.hpp"

namespace dlbfgs::internal {
namespace {

// The interpolated step is kept in [0.1, 0.5] of the failed one (Dennis & Schnabel's safeguard):
// at least halve, never shrink by more than 10x on one evaluation.
constexpr double kShrinkMin = 0.1;
constexpr double kShrinkMax = 0.5;
// Expansion factor while the curvature condition fails and no upper bound is known.
constexpr double kExpand = 2.1;
// Relative rounding of phi below which its differences are noise (see ProjectedArmijo).
constexpr double kPhiNoise = 1e-10;

class Backtracking final : public LineSearch {
 public:
  Backtracking(const LbfgsOptions& o, Interpolation interpolation)
      : cubic_(interpolation == Interpolation::kCubic),
        c1_(o.c1),
        c2_(o.c2),
        wolfe_(o.backtracking_wolfe),
        min_step_(o.min_step),
        max_step_(o.max_step),
        max_evaluations_(o.max_line_search_evaluations) {}

  LineSearchOutcome Search(const PhiSample& phi0, double alpha_init, PhiFunction& phi) override {
    LineSearchOutcome out;
    double lo = 0;
    double hi = std::numeric_limits<double>::infinity();
    double alpha = std::clamp(alpha_init, min_step_, max_step_);
    while (out.evaluations < max_evaluations_) {
      const PhiSample s = phi.Evaluate(alpha);
      ++out.evaluations;
      out.last = s;
      if (s.abort) {
        out.status = LineSearchStatus::kAborted;
        return out;
      }
      const bool finite = std::isfinite(s.phi) && std::isfinite(s.dphi);
      const bool armijo = std::isnan(s.model) ? s.phi <= phi0.phi + c1_ * alpha * phi0.dphi
                                              : ProjectedArmijo(phi0, s);
      if (!finite || !armijo) {
        // Armijo fails: minimiser of the quadratic through phi(0), phi'(0), phi(alpha).
        hi = alpha;
        double next = kShrinkMax * alpha;
        if (finite) {
          const double denom = 2 * (s.phi - phi0.phi - phi0.dphi * alpha);
          if (denom > 0) next = -phi0.dphi * alpha * alpha / denom;
          if (cubic_) next = CubicStep(phi0, s, next);
        }
        alpha = std::clamp(next, kShrinkMin * alpha, kShrinkMax * alpha);
        if (alpha <= lo) alpha = 0.5 * (lo + hi);
      } else if (wolfe_ && s.dphi < c2_ * phi0.dphi) {
        // Step too short for the curvature condition: expand, or bisect a known bracket.
        lo = alpha;
        alpha = std::isfinite(hi) ? 0.5 * (lo + hi) : kExpand * alpha;
      } else {
        out.status = LineSearchStatus::kSuccess;
        return out;
      }
      if (alpha < min_step_ || alpha > max_step_ || (std::isfinite(hi) && hi - lo <= 1e-12 * hi)) {
        out.status = LineSearchStatus::kNoProgress;
        return out;
      }
    }
    out.status = LineSearchStatus::kMaxEvaluations;
    return out;
  }

 private:
  // Sufficient decrease on a projected path (OWL-QN), against the model term of the actual
  // displacement (Andrew & Gao 2007, Section 3.2) while that decrease is above the rounding of
  // phi. Below it, phi's values are noise (a lucky rounding would accept a step of any size), and
  // Hager & Zhang's approximate Wolfe conditions (2005, eq. 23) judge the step by the slope along
  // the path instead: c2 phi'(0) <= phi'(a) <= (2 c1 - 1) phi'(0), phi(a) <= phi(0) + noise.
  bool ProjectedArmijo(const PhiSample& phi0, const PhiSample& s) const {
    // The rounding of phi, a sum over every rank's terms: 1e-14 |phi| measured on a separable
    // quadratic of 1e5 terms (about 50 units in the last place), larger for more terms: with
    // 1e-12, rosenbrock with L1 at n = 1e6 (F = 9e4) still stalled at ||v|| = 1e-4; 1e-10
    // converges (Hager & Zhang's default is 1e-6).
    const double noise = kPhiNoise * std::fabs(phi0.phi);
    if (-c1_ * s.model > noise) return s.phi <= phi0.phi + c1_ * s.model;
    return s.phi <= phi0.phi + noise && s.dphi >= c2_ * phi0.dphi &&
           s.dphi <= (2 * c1_ - 1) * phi0.dphi;
  }

  // The minimiser of the cubic through phi(0), phi'(0), phi(alpha), phi'(alpha) (Nocedal &
  // Wright, eq. 3.59), or `fallback` (the quadratic's) where that cubic has no minimiser. On a
  // projected path phi'(alpha) is the slope along the coordinates that still move: where phi
  // curves up steeply past the first trial (a quartic, a bound's kink), the quadratic through
  // phi(0), phi'(0), phi(alpha) alone overestimates the curvature near 0 and shrinks too far.
  static double CubicStep(const PhiSample& phi0, const PhiSample& s, double fallback) {
    const double a = s.alpha;
    const double d1 = phi0.dphi + s.dphi - 3 * (s.phi - phi0.phi) / a;
    const double disc = d1 * d1 - phi0.dphi * s.dphi;
    if (!(disc >= 0)) return fallback;
    const double d2 = std::sqrt(disc);
    const double den = s.dphi - phi0.dphi + 2 * d2;
    if (!(den != 0)) return fallback;
    const double next = a - a * (s.dphi + d2 - d1) / den;
    return std::isfinite(next) ? next : fallback;
  }

  bool cubic_;
  double c1_;
  double c2_;
  bool wolfe_;
  double min_step_;
  double max_step_;
  int max_evaluations_;
};

}  // namespace

std::unique_ptr<LineSearch> MakeBacktracking(const LbfgsOptions& options,
                                             Interpolation interpolation) {
  return std::make_unique<Backtracking>(options, interpolation);
}

}  // namespace dlbfgs::internal
