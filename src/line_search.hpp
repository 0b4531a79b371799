#pragma once

#include <limits>
#include <memory>

#include "dlbfgs/options.hpp"

namespace dlbfgs::internal {

/// One evaluation of the 1-D function phi(alpha) = f(x + alpha d).
struct PhiSample {
  double alpha = 0;
  double phi = 0;   ///< +inf when f or the gradient is not finite at the trial point
  double dphi = 0;  ///< phi'(alpha) = g(x + alpha d)'d
  /// The first-order model of phi(alpha) - phi(0) along the trial path, when the path is not a
  /// straight line (OWL-QN: v'(x(alpha) - x) on the orthant-projected path); NaN for a straight
  /// line, where it is alpha phi'(0). Backtracking's Armijo test uses it.
  double model = std::numeric_limits<double>::quiet_NaN();
  /// The evaluator asks the search to stop at once (objective error, stop request, evaluation
  /// budget): the search returns kAborted without looking at phi.
  bool abort = false;
};

/// What a line search sees of the problem: phi and phi' at a step length, nothing else. The
/// driver's implementation moves x, evaluates the objective and sums f, phi' and the payload of
/// extra partial sums in one allreduce, so every rank receives the same sample.
class PhiFunction {
 public:
  virtual ~PhiFunction() = default;
  virtual PhiSample Evaluate(double alpha) = 0;
};

enum class LineSearchStatus {
  kSuccess,         ///< the last evaluated point satisfies the search's conditions
  kMaxEvaluations,  ///< evaluation budget of one search spent
  kNoProgress,      ///< the interval of uncertainty or the step fell below what rounding resolves
  kAborted,         ///< the evaluator asked to stop
};

struct LineSearchOutcome {
  LineSearchStatus status = LineSearchStatus::kNoProgress;
  /// The last evaluated sample; on kSuccess the accepted one.
  PhiSample last;
  int evaluations = 0;
};

/// A step-length rule on phi. Implementations are deterministic functions of the samples they
/// receive, so every rank takes the same decisions.
class LineSearch {
 public:
  virtual ~LineSearch() = default;
  /// Searches from phi0 = (0, phi(0), phi'(0) < 0), first trying alpha_init.
  virtual LineSearchOutcome Search(const PhiSample& phi0, double alpha_init, PhiFunction& phi) = 0;
};

/// More & Thuente (1994): strong Wolfe conditions with c1, c2 of `options`.
std::unique_ptr<LineSearch> MakeMoreThuente(const LbfgsOptions& options);
/// How backtracking chooses the next step after a failed Armijo test: the quadratic through
/// phi(0), phi'(0), phi(alpha), or the cubic that also fits phi'(alpha).
enum class Interpolation { kQuadratic, kCubic };

/// Armijo backtracking with interpolation, optionally weak Wolfe (options.backtracking_wolfe).
std::unique_ptr<LineSearch> MakeBacktracking(
    const LbfgsOptions& options, Interpolation interpolation = Interpolation::kQuadratic);
/// The line search selected by options.line_search.
std::unique_ptr<LineSearch> MakeLineSearch(const LbfgsOptions& options);

}  // namespace dlbfgs::internal
