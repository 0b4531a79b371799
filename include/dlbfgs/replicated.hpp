#pragma once

#include <mpi.h>

#include <Eigen/Core>
#include <vector>

#include "dlbfgs/objective.hpp"
#include "dlbfgs/options.hpp"
#include "dlbfgs/partition.hpp"
#include "dlbfgs/result.hpp"

namespace dlbfgs {

/// A data-parallel objective: f(x) = sum over ranks r of f_r(x), where every rank sees the whole
/// parameter vector x (size n) and computes its share f_r on its own data (its shard of the
/// training set), together with the full gradient of that share. This is how neural networks and
/// GLMs are usually trained on several processes.
class ReplicatedObjective {
 public:
  virtual ~ReplicatedObjective() = default;

  /// Returns this rank's share f_r(x) and writes grad f_r(x) (all n entries) into g. Called on
  /// every rank at once (by ReplicatedAdapter), with x and g of size n; it need not communicate.
  /// A non-finite value means "cannot evaluate here". An exception thrown on any subset of ranks
  /// ends the run on every rank with TerminationReason::kObjectiveError (the adapter still
  /// completes its own communication first).
  virtual double EvaluateShare(const Eigen::Ref<const Eigen::VectorXd>& x,
                               Eigen::Ref<Eigen::VectorXd> g) = 0;
};

/// Turns a ReplicatedObjective into a partitioned Objective, so that the solver keeps its state
/// (x, g, the m history pairs) sharded: each rank holds about (2m + 7) n / p doubles of solver
/// state, plus the two full vectors of this adapter (2n doubles), instead of (2m + 7) n.
///
/// Each evaluation is one MPI_Allgatherv (the blocks of x into the full x) and one
/// MPI_Reduce_scatter (the ranks' full gradient shares summed, each rank receiving only its
/// block), both on part.comm(). The full x lives in one buffer owned by the adapter, so the
/// objective sees the same address at every call.
class ReplicatedAdapter final : public Objective {
 public:
  /// Wraps `share` (which must outlive the adapter) for the partition `part` of the n
  /// parameters. Local: allocates 2n doubles. Throws std::invalid_argument when n or a block does
  /// not fit MPI's int counts.
  ReplicatedAdapter(ReplicatedObjective& share, const Partition& part);

  /// Allgathers x, calls share.EvaluateShare(x_full, g_full) and reduce-scatters g_full into
  /// g_local; returns the share of f. Collective on part.comm(): the two collectives run on
  /// every rank even when EvaluateShare throws, and only then is its exception rethrown.
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                       Eigen::Ref<Eigen::VectorXd> g_local) override;

  /// The full x of the last evaluation (n entries, a stable buffer). Local.
  const double* x_full() const { return x_full_.data(); }
  /// The gradient buffer handed to EvaluateShare (n entries, a stable buffer). Local.
  double* g_full() { return g_full_.data(); }
  /// Number of parameters n. Local.
  Eigen::Index size() const { return static_cast<Eigen::Index>(x_full_.size()); }
  /// MPI_Allgatherv calls made so far (one per evaluation). Local.
  long long allgather_calls() const { return allgather_calls_; }
  /// MPI_Reduce_scatter calls made so far (one per evaluation). Local.
  long long reduce_scatter_calls() const { return reduce_scatter_calls_; }

  /// Gathers every rank's block x_local into x_full (size n) on every rank, one
  /// MPI_Allgatherv (counted in allgather_calls()). Collective on part.comm().
  void Allgather(const Eigen::Ref<const Eigen::VectorXd>& x_local, double* x_full);

 private:
  ReplicatedObjective& share_;
  MPI_Comm comm_;
  int rank_;
  std::vector<int> counts_;
  std::vector<int> displs_;
  std::vector<double> x_full_;
  std::vector<double> g_full_;
  long long allgather_calls_ = 0;
  long long reduce_scatter_calls_ = 0;
};

/// Counts of MinimizeReplicated's own collectives, beside the solver's (LbfgsResult::comm).
struct ReplicatedStats {
  long long allgather_calls = 0;       ///< MPI_Allgatherv: one per evaluation, one at the end
  long long reduce_scatter_calls = 0;  ///< MPI_Reduce_scatter: one per evaluation
};

/// Minimises sum_r f_r(x) with L-BFGS on sharded state (see ReplicatedAdapter), starting from x
/// (all n entries; each rank takes its own block from its own copy) and writing the returned
/// iterate, all n entries, into x on every rank. Collective on comm: the solver's collectives
/// (see Minimize) plus one MPI_Allgatherv and one MPI_Reduce_scatter per evaluation and one
/// MPI_Allgatherv at the end. Throws std::invalid_argument on every rank alike for the reasons
/// Minimize() does, or when x.size() differs between ranks. `stats`, when given, receives the
/// adapter's counts. Blocks are multiples of `granularity` (see Partition::Uniform).
LbfgsResult MinimizeReplicated(ReplicatedObjective& objective, MPI_Comm comm,
                               Eigen::Ref<Eigen::VectorXd> x,
                               const LbfgsOptions& options = LbfgsOptions(),
                               ReplicatedStats* stats = nullptr, Eigen::Index granularity = 1);

/// MinimizeReplicated() with per-variable L1 weights (see the l1_weights_local Minimize()):
/// `l1_weights` has all n entries, like x, and each rank takes its own block from its own copy.
/// Collective on comm: one more MPI_Allreduce at start (the lengths agreed). Throws
/// std::invalid_argument on every rank alike for the reasons MinimizeReplicated() and the L1
/// Minimize() do, or when l1_weights.size() != x.size() on some rank.
LbfgsResult MinimizeReplicated(ReplicatedObjective& objective, MPI_Comm comm,
                               Eigen::Ref<Eigen::VectorXd> x, const LbfgsOptions& options,
                               const Eigen::Ref<const Eigen::VectorXd>& l1_weights,
                               ReplicatedStats* stats = nullptr, Eigen::Index granularity = 1);

/// MinimizeReplicated() subject to lower <= x <= upper (see the bounds Minimize()): `lower` and
/// `upper` have all n entries, like x, and each rank takes its own blocks from its own copies.
/// Collective on comm: one more MPI_Allreduce at start (the lengths agreed). Throws
/// std::invalid_argument on every rank alike for the reasons MinimizeReplicated() and the bounds
/// Minimize() do, or when lower.size() or upper.size() != x.size() on some rank.
LbfgsResult MinimizeReplicated(ReplicatedObjective& objective, MPI_Comm comm,
                               Eigen::Ref<Eigen::VectorXd> x, const LbfgsOptions& options,
                               const Eigen::Ref<const Eigen::VectorXd>& lower,
                               const Eigen::Ref<const Eigen::VectorXd>& upper,
                               ReplicatedStats* stats = nullptr, Eigen::Index granularity = 1);

}  // namespace dlbfgs
