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
  /// entry means "cannot evaluate here" (the line search shrinks the step). An exception thrown on
  /// any subset of ranks is caught by the solver and ends the run cleanly on every rank
  /// (TerminationReason::kObjectiveError). Such an exception must not leave other ranks waiting in
  /// a collective of the objective's own: throw before or after its communication, not between.
  virtual double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                               Eigen::Ref<Eigen::VectorXd> g_local) = 0;
};

}  // namespace dlbfgs
