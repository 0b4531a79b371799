// Data-parallel objectives on sharded solver state: the full x is allgathered for the user's
// function, and the ranks' full gradient shares are summed by one reduce-scatter, so each rank
// receives only its block (the layout ZeRO uses for Adam's state; Rajbhandari et al. 2020).

#include "dlbfgs/replicated.hpp"

#include <climits>
#include <limits>
#include <stdexcept>
#include <string>

#include "dlbfgs/deferred_error.hpp"
#include "dlbfgs/minimize.hpp"

namespace dlbfgs {

ReplicatedAdapter::ReplicatedAdapter(ReplicatedObjective& share, const Partition& part)
    : share_(share), comm_(part.comm()), rank_(part.rank()) {
  if (part.global_size() > INT_MAX) {
    throw std::invalid_argument("ReplicatedAdapter: n = " + std::to_string(part.global_size()) +
                                " exceeds MPI's int counts");
  }
  counts_.resize(part.size());
  displs_.resize(part.size());
  for (int r = 0; r < part.size(); ++r) {
    counts_[r] = static_cast<int>(part.LocalSizeOf(r));
    displs_[r] = static_cast<int>(part.OffsetOf(r));
  }
  x_full_.assign(static_cast<std::size_t>(part.global_size()), 0.0);
  g_full_.assign(static_cast<std::size_t>(part.global_size()), 0.0);
}

void ReplicatedAdapter::Allgather(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                                  double* x_full) {
  // The solver's blocks are contiguous (Eigen::VectorXd), so x_local.data() is the block itself.
  MPI_Allgatherv(x_local.data(), counts_[rank_], MPI_DOUBLE, x_full, counts_.data(), displs_.data(),
                 MPI_DOUBLE, comm_);
  ++allgather_calls_;
}

double ReplicatedAdapter::EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                                        Eigen::Ref<Eigen::VectorXd> g_local) {
  Allgather(x_local, x_full_.data());
  const Eigen::Index n = size();
  double f = std::numeric_limits<double>::quiet_NaN();
  DeferredError error;
  error.Run([&] {
    f = share_.EvaluateShare(Eigen::Map<const Eigen::VectorXd>(x_full_.data(), n),
                             Eigen::Map<Eigen::VectorXd>(g_full_.data(), n));
  });
  // Always reached, on every rank: a rank whose share threw still sends (whatever g holds); the
  // solver discards the evaluation once it has agreed on the failure.
  MPI_Reduce_scatter(g_full_.data(), g_local.data(), counts_.data(), MPI_DOUBLE, MPI_SUM, comm_);
  ++reduce_scatter_calls_;
  error.Rethrow();
  return f;
}

namespace {

// Throws std::invalid_argument on every rank alike unless `fits` (the vectors `what` have n
// entries, n = x.size(), already agreed by Partition::Uniform) on every rank. Collective on
// comm: one MPI_Allreduce.
void AgreeFullLength(MPI_Comm comm, bool fits, Eigen::Index n, const char* what) {
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const int mine = fits ? ranks : rank;
  int first = ranks;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first < ranks) {
    throw std::invalid_argument(
        std::string("MinimizeReplicated: ") + what + " must have n = " + std::to_string(n) +
        " entries, as x, on every rank; rank " + std::to_string(first) + " differs");
  }
}

// The body of the MinimizeReplicated() overloads: `solve(adapter, part, x_local)` runs the
// matching Minimize() on this rank's block.
template <typename Solve>
LbfgsResult RunReplicated(ReplicatedObjective& objective, MPI_Comm comm,
                          Eigen::Ref<Eigen::VectorXd> x, ReplicatedStats* stats,
                          Eigen::Index granularity, Solve solve) {
  // Uniform() agrees on n and throws on every rank alike when the sizes differ.
  const Partition part = Partition::Uniform(comm, x.size(), granularity);
  ReplicatedAdapter adapter(objective, part);
  Eigen::VectorXd x_local = x.segment(part.offset(), part.local_size());
  LbfgsResult result = solve(adapter, part, x_local);
  Eigen::Map<Eigen::VectorXd>(adapter.g_full(), x.size()).setZero();
  adapter.Allgather(x_local, adapter.g_full());  // the g buffer is free now: no extra n doubles
  x = Eigen::Map<const Eigen::VectorXd>(adapter.g_full(), x.size());
  if (stats != nullptr) {
    stats->allgather_calls = adapter.allgather_calls();
    stats->reduce_scatter_calls = adapter.reduce_scatter_calls();
  }
  return result;
}

}  // namespace

LbfgsResult MinimizeReplicated(ReplicatedObjective& objective, MPI_Comm comm,
                               Eigen::Ref<Eigen::VectorXd> x, const LbfgsOptions& options,
                               ReplicatedStats* stats, Eigen::Index granularity) {
  return RunReplicated(objective, comm, x, stats, granularity,
                       [&](Objective& adapter, const Partition& part, Eigen::VectorXd& x_local) {
                         return Minimize(adapter, part, x_local, options);
                       });
}

LbfgsResult MinimizeReplicated(ReplicatedObjective& objective, MPI_Comm comm,
                               Eigen::Ref<Eigen::VectorXd> x, const LbfgsOptions& options,
                               const Eigen::Ref<const Eigen::VectorXd>& l1_weights,
                               ReplicatedStats* stats, Eigen::Index granularity) {
  return RunReplicated(objective, comm, x, stats, granularity,
                       [&](Objective& adapter, const Partition& part, Eigen::VectorXd& x_local) {
                         AgreeFullLength(comm, l1_weights.size() == x.size(), x.size(),
                                         "the L1 weights");
                         return Minimize(adapter, part, x_local, options,
                                         l1_weights.segment(part.offset(), part.local_size()));
                       });
}

LbfgsResult MinimizeReplicated(ReplicatedObjective& objective, MPI_Comm comm,
                               Eigen::Ref<Eigen::VectorXd> x, const LbfgsOptions& options,
                               const Eigen::Ref<const Eigen::VectorXd>& lower,
                               const Eigen::Ref<const Eigen::VectorXd>& upper,
                               ReplicatedStats* stats, Eigen::Index granularity) {
  return RunReplicated(objective, comm, x, stats, granularity,
                       [&](Objective& adapter, const Partition& part, Eigen::VectorXd& x_local) {
                         const bool fits = lower.size() == x.size() && upper.size() == x.size();
                         AgreeFullLength(comm, fits, x.size(), "the lower and upper bounds");
                         return Minimize(adapter, part, x_local, options,
                                         lower.segment(part.offset(), part.local_size()),
                                         upper.segment(part.offset(), part.local_size()));
                       });
}

}  // namespace dlbfgs
