#pragma once

#include <Eigen/Core>

#include "dlbfgs/objective.hpp"
#include "dlbfgs/options.hpp"
#include "dlbfgs/partition.hpp"
#include "dlbfgs/result.hpp"

namespace dlbfgs {

/// Minimises `objective` with L-BFGS, starting from and updating x in place (this rank's block,
/// size part.local_size()). Collective on part.comm() (the solver communicates on a private
/// duplicate). The solver performs one MPI_Allreduce per objective evaluation plus one at start-up
/// (the consistency check of options and sizes) with the fused two-loop; the classic two-loop
/// adds 2m + 1 per iteration.
///
/// Throws std::invalid_argument, on every rank alike, when the options are out of range, differ
/// between ranks, or x does not match the partition. Every other outcome (convergence, limits,
/// failures of the objective on any rank) is returned in LbfgsResult, identically on every rank,
/// with x the best iterate found.
LbfgsResult Minimize(Objective& objective, const Partition& part, Eigen::Ref<Eigen::VectorXd> x,
                     const LbfgsOptions& options = LbfgsOptions());

/// Minimize() with per-variable L1 weights: with options.l1_weight > 0 it minimises
/// F(x) = f(x) + sum_i lambda_i |x_i|, lambda_i = options.l1_weight * l1_weights_local[i], with
/// OWL-QN (see LbfgsOptions::l1_weight). `l1_weights_local` is this rank's block (size
/// part.local_size()), every entry finite and >= 0; 0 leaves a variable unpenalised (e.g. an
/// intercept). Collective. Throws std::invalid_argument on every rank alike when a weight is
/// negative or not finite, or the block has the wrong size. With l1_weight = 0 the weights are
/// checked and otherwise ignored.
LbfgsResult Minimize(Objective& objective, const Partition& part, Eigen::Ref<Eigen::VectorXd> x,
                     const LbfgsOptions& options,
                     const Eigen::Ref<const Eigen::VectorXd>& l1_weights_local);

/// Minimize() subject to bounds lower_local <= x <= upper_local, with projected L-BFGS (the
/// box geometry: the start is projected into the box, trial points are P(x + alpha d), the
/// direction is restricted to the free variables, Armijo backtracking on the projected path).
/// The bounds are this rank's blocks (size part.local_size() each), distributed like x; -inf and
/// +inf are allowed, and lower = upper fixes a variable. It stops on ||P(x - g) - x||_2 <=
/// grad_tol (LbfgsResult::optimality) and reports the number of x_i on a bound
/// (LbfgsResult::active_bounds). Bounds that are infinite on every rank give the unconstrained
/// run bit for bit. The same communication as Minimize(): one allreduce per evaluation plus one
/// at start-up. Collective. Throws std::invalid_argument on every rank alike when a bound is NaN,
/// lower > upper, lower = +inf or upper = -inf, a block has the wrong size, or
/// options.l1_weight > 0 (L1 with bounds is not supported).
LbfgsResult Minimize(Objective& objective, const Partition& part, Eigen::Ref<Eigen::VectorXd> x,
                     const LbfgsOptions& options,
                     const Eigen::Ref<const Eigen::VectorXd>& lower_local,
                     const Eigen::Ref<const Eigen::VectorXd>& upper_local);

}  // namespace dlbfgs
