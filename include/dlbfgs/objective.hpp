#pragma once

#include <Eigen/Core>

namespace dlbfgs {

/// A smooth function f: R^n -> R whose vector is block-partitioned over the ranks of a Partition.
class Objective {
 public:
  virtual ~Objective() = default;

  /// Writes this rank's block of grad f(x) into g_local and returns this rank's additive share of
  /// f(x); the solver sums the shares over ranks. Collective: called on every rank at once, with
  /// x_local and g_local of size Partition::local_size() (possibly 0); it may communicate on the
  /// Partition's communicator (halo exchange, global sums). A non-finite return value or gradient
  /// entry means "cannot evaluate here" (the line search shrinks the step).
  ///
  /// Failure: an exception thrown on any subset of ranks is caught by the solver, which agrees on
  /// it in the evaluation's allreduce and ends the run on every rank with
  /// TerminationReason::kObjectiveError (the message names the lowest failing rank). That is all
  /// the solver can guarantee: it cannot complete the objective's own communication. An objective
  /// that communicates must therefore finish all of its communication on every rank, and only
  /// then report a failure: throwing before or between its exchanges leaves the ranks it talks
  /// to waiting forever. DeferredError (deferred_error.hpp) makes that pattern the easy one. An
  /// objective that does not communicate may throw at any point.
  virtual double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                               Eigen::Ref<Eigen::VectorXd> g_local) = 0;
};

}  // namespace dlbfgs
