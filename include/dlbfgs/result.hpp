#pragma once

#include <Eigen/Core>
#include <string>

namespace dlbfgs {

/// Why Minimize() returned. Identical on every rank.
enum class TerminationReason {
  kGradientTolerance,          ///< ||g|| <= grad_tol (converged)
  kRelativeGradientTolerance,  ///< ||g|| <= grad_rel_tol * ||g_0|| (converged)
  kFunctionTolerance,  ///< relative decrease over `past` iterations <= f_rel_tol (converged)
  kMaxIterations,      ///< max_iterations reached
  kMaxEvaluations,     ///< max_evaluations reached
  kLineSearchFailed,   ///< no acceptable step, even along steepest descent
  kNonFiniteValue,     ///< f or g not finite at the start point, or at every trial step
  kObjectiveError,     ///< the objective (or the callback) threw on at least one rank
  kUserRequested,      ///< the iteration callback asked to stop
  kInterrupted,        ///< RequestStop() (SIGTERM/SIGINT in the dlbfgs program)
  kCheckpointFailed,   ///< a checkpoint could not be written on at least one rank
  kOutOfMemory,        ///< the workspace could not be allocated on at least one rank
  /// With an L1 term: the orthant-projected direction is zero (no coordinate can move), even
  /// along the steepest-descent pseudo-gradient.
  kNoDescentDirection,
};

/// Short snake_case name of a reason ("gradient_tolerance", ...). Local.
const char* ToString(TerminationReason reason);

/// The solver's own collective communication (the objective's is not counted). Per rank.
struct CommStats {
  long long allreduce_calls = 0;    ///< number of MPI_Allreduce calls
  long long allreduce_doubles = 0;  ///< doubles summed, over all calls
  double allreduce_seconds = 0;     ///< wall time inside MPI_Allreduce (this rank)
};

/// Where this rank's iteration time went, in seconds; the four parts add up to
/// LbfgsResult::seconds.
struct PhaseTimes {
  double objective = 0;      ///< inside Objective::EvaluateLocal (its own communication included)
  double direction = 0;      ///< two-loop recursion and forming d, without its allreduce time
  double communication = 0;  ///< inside the solver's MPI_Allreduce calls
  double other = 0;          ///< line search, trial points, history update, checkpoints
};

/// State after an accepted iteration, passed to the callback. Identical on every rank except
/// `seconds`, which is this rank's clock.
struct IterationSummary {
  int iteration = 0;     ///< accepted steps so far (0: the start point)
  double f = 0;          ///< f(x_k)
  double grad_norm = 0;  ///< ||grad f(x_k)||_2
  /// The stopping measure at x_k: ||g||_2, with an L1 term the norm of F's minimum-norm
  /// subgradient (the pseudo-gradient), with bounds ||P(x_k - g) - x_k||_2.
  double optimality = 0;
  double step = 0;        ///< accepted step length alpha_k (0 at the start point)
  int evaluations = 0;    ///< objective evaluations so far
  int history_count = 0;  ///< (s, y) pairs currently stored
  double seconds = 0;     ///< since the first evaluation
  /// This rank's blocks of x_k and of its gradient (local_size elements each). They point into
  /// the solver's workspace: read-only, and valid only during the callback.
  const double* x_local = nullptr;
  const double* g_local = nullptr;
  Eigen::Index local_size = 0;

  /// This rank's block of x_k, as a read-only view (valid during the callback). Local.
  Eigen::Map<const Eigen::VectorXd> x() const { return {x_local, local_size}; }
  /// This rank's block of the gradient at x_k, as a read-only view (valid during the callback).
  /// Local.
  Eigen::Map<const Eigen::VectorXd> g() const { return {g_local, local_size}; }
};

/// Outcome of Minimize(). Every field except `seconds`, `setup_seconds` and `comm` is identical
/// on every rank.
struct LbfgsResult {
  TerminationReason reason = TerminationReason::kMaxIterations;
  std::string message;   ///< one human-readable line
  double f = 0;          ///< f at the returned x (with an L1 term: F = f + sum lambda |x|)
  double grad_norm = 0;  ///< ||grad f||_2 at the returned x (the smooth part)
  /// What the stopping tests compare with grad_tol: ||grad f||_2, with an L1 term the 2-norm
  /// of the minimum-norm subgradient of F, with bounds the projected-gradient norm
  /// ||P(x - g) - x||_2 (P the projection onto the box).
  double optimality = 0;
  /// With an L1 term: ||x||_1, sum_i lambda_i |x_i| and the number of non-zero x_i at the returned
  /// x. Without one: 0, 0 and -1 (not computed).
  double l1_norm = 0;
  double l1_penalty = 0;
  long long nonzeros = -1;
  /// With bounds: the number of x_i on a bound (x_i = l_i or x_i = u_i) at the returned x;
  /// without (or with bounds that are all infinite): -1.
  long long active_bounds = -1;
  /// The line search that ran ("more-thuente" or "backtracking"; backtracking with an L1 term or
  /// bounds).
  std::string line_search;
  int iterations = 0;       ///< accepted steps
  int evaluations = 0;      ///< objective evaluations, the start point included
  int skipped_updates = 0;  ///< pairs rejected by the curvature safeguard
  int history_resets = 0;   ///< times the history was cleared (non-descent, failed search, check)
  int gram_refreshes = 0;   ///< fused: full Gram recomputations
  /// Fused, trial_products other than kEveryTrial: the extra allreduces that summed an accepted
  /// trial's history products, one per iteration whose accepted trial did not carry them and
  /// whose history was not empty. This call only, like `comm`: a fused run that is not resumed
  /// makes comm.allreduce_calls = evaluations + 1 + product_allreduces (1: the start-up check).
  int product_allreduces = 0;
  int checkpoints = 0;   ///< checkpoints written by this run
  bool resumed = false;  ///< the run continued from a checkpoint (iterations count from it)
  /// Counts restored from the checkpoint (0 unless resumed): this call made iterations -
  /// resumed_iterations iterations and evaluations - resumed_evaluations evaluations; `comm`,
  /// `seconds` and `phases` count this call only.
  int resumed_iterations = 0;
  int resumed_evaluations = 0;
  double seconds = 0;        ///< this rank: first evaluation to return
  double setup_seconds = 0;  ///< this rank: allocation and first touch of the workspace
  CommStats comm;            ///< this rank's count of the solver's own collectives
  PhaseTimes phases;         ///< this rank's split of `seconds`

  /// True for the three tolerance reasons.
  bool Converged() const {
    return reason == TerminationReason::kGradientTolerance ||
           reason == TerminationReason::kRelativeGradientTolerance ||
           reason == TerminationReason::kFunctionTolerance;
  }
};

}  // namespace dlbfgs
