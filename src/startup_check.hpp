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
};

/// Start-up check, the solver's one collective outside evaluations: options valid and identical
/// on every rank (naming the first field that differs), x of the partition's size, the L1
/// weights (null: none) of that size, finite and >= 0, the workspace allocated on every rank
/// (`allocated`: this rank's outcome), and whether checkpoint_dir holds a checkpoint (probed on
/// rank 0). Throws std::invalid_argument on every rank alike for bad input. Collective: one
/// allreduce (two more when the weights are bad).
Startup CheckInputs(const LbfgsOptions& options, const Partition& part, Eigen::Index x_size,
                    const double* weights, Eigen::Index weights_size, const std::string& invalid,
                    bool allocated, Reducer& reducer);

}  // namespace dlbfgs::internal
