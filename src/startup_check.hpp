#pragma once

#include <Eigen/Core>
#include <string>

#include "dlbfgs/options.hpp"
#include "dlbfgs/partition.hpp"
#include "reducer.hpp"

namespace dlbfgs::internal {

/// What the start-up check agreed on.
struct Startup {
  bool allocated = true;               ///< the workspace was allocated on every rank
  long long existing_checkpoint = -1;  ///< iteration of the checkpoint in checkpoint_dir; -1: none
  bool finite_bounds = false;          ///< some rank has a finite bound
};

/// This rank's bounds and the sizes of their blocks (`given` false: none; the pointers of an
/// empty block may be null).
struct BoundsInput {
  bool given = false;
  const double* lower = nullptr;
  Eigen::Index lower_size = 0;
  const double* upper = nullptr;
  Eigen::Index upper_size = 0;
};

/// Start-up check, the solver's one collective outside evaluations: options valid and identical
/// on every rank (naming the first field that differs), x of the partition's size, the L1
/// weights (null: none) of that size, finite and >= 0, the workspace allocated on every rank
/// (`allocated`: this rank's outcome), the bounds of that size, not NaN, l <= u, l < +inf and
/// u > -inf, whether some rank has a finite bound, and whether checkpoint_dir holds a checkpoint
/// (probed on rank 0). Throws std::invalid_argument on every rank alike for bad input.
/// Collective: one allreduce (two more when the weights or the bounds are bad).
Startup CheckInputs(const LbfgsOptions& options, const Partition& part, Eigen::Index x_size,
                    const double* weights, Eigen::Index weights_size, const BoundsInput& bounds,
                    const std::string& invalid, bool allocated, Reducer& reducer);

}  // namespace dlbfgs::internal
