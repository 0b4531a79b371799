#pragma once

#include <Eigen/Core>
#include <limits>
#include <string>

#include "dlbfgs/objective.hpp"
#include "dlbfgs/partition.hpp"

namespace dlbfgs {

/// Options of CheckGradient(). A plain struct: every field has a documented default and range, and
/// CheckGradient() rejects out-of-range values with std::invalid_argument naming the field. Every
/// rank must pass the same values (checked collectively).
struct GradientCheckOptions {
  /// Number of random directions v compared. Range >= 1. Each costs two objective evaluations.
  int directions = 3;
  /// Relative step of the central difference: h = step * max(1, ||x||_inf). Range > 0, finite.
  /// The default balances truncation, O(h^2 |f'''|), against rounding, about eps |f| / h.
  double step = 1e-6;
  /// Seed of the directions. The global directions depend only on the seed and the global
  /// size, not on the number of ranks or the layout. Any value.
  unsigned seed = 1;
};

/// Outcome of CheckGradient(). Identical on every rank.
struct GradientCheckResult {
  /// Largest |g.v - fd| / max(|g.v|, |fd|, DBL_MIN) over the directions compared. NaN when the
  /// check did not complete (an exception or a non-finite value), so that a test such as
  /// `max_relative_error < tol` fails. Near a stationary point g.v is small and the rounding of
  /// fd (about eps |f| / h) dominates: check away from minimisers.
  double max_relative_error = std::numeric_limits<double>::quiet_NaN();
  /// g(x).v of the worst direction (or of the direction that stopped the check); NaN when none.
  double directional_derivative = std::numeric_limits<double>::quiet_NaN();
  /// (f(x + h v) - f(x - h v)) / (2 h) of the worst direction; NaN when not evaluated.
  double finite_difference = std::numeric_limits<double>::quiet_NaN();
  /// Index in [0, directions) of that direction; -1 when no direction was reached.
  int worst_direction = -1;
  /// The absolute step h used (0 when x was not finite).
  double step = 0;
  /// f(x), the sum of the ranks' shares; NaN when it was not evaluated or not finite.
  double f = std::numeric_limits<double>::quiet_NaN();
  /// Directions compared completely.
  int directions = 0;
  /// Calls of Objective::EvaluateLocal made, on every rank alike: 1 + 2 * options.directions when
  /// the check completes, fewer when it stopped early.
  int evaluations = 0;
  /// Every evaluation returned on every rank, with finite values: the numbers above are
  /// meaningful. When false, `message` says why.
  bool completed = false;
  /// No non-finite value was seen on any rank: in x, in f at any point evaluated, or in the
  /// gradient at x (the gradients at x +- h v are not inspected). False implies completed is
  /// false.
  bool finite = true;
  /// One line: a summary when completed, else what stopped the check (for an exception: the
  /// lowest throwing rank, its what() and the evaluation).
  std::string message;
};

/// Compares the gradient of `objective` at x (this rank's block x_local, size part.local_size())
/// with central differences of f along `options.directions` random unit directions v (global
/// 2-norm 1, entries drawn from a hash of (seed, direction, global index), so the same at any
/// number of ranks): the PETSc TAO -tao_test_gradient check, for distributed objectives.
///
/// Collective on part.comm(): its reductions run on a private duplicate, one MPI_Allreduce at
/// start-up and one after each evaluation (on a failure, one or two more name the rank). The
/// objective is called collectively, the same number of times on every rank: at x, then at
/// x + h v and x - h v for each direction. The check stops at the first evaluation that throws on
/// any rank or gives a non-finite value on any rank, and returns that outcome (completed = false,
/// with `message`) identically on every rank: an exception from the objective is never rethrown.
/// Throws std::invalid_argument on every rank alike when the options are out of range or differ
/// between ranks, or x_local does not match the partition.
GradientCheckResult CheckGradient(Objective& objective, const Partition& part,
                                  const Eigen::Ref<const Eigen::VectorXd>& x_local,
                                  const GradientCheckOptions& options = GradientCheckOptions());

}  // namespace dlbfgs
