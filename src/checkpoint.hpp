#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "dlbfgs/options.hpp"
#include "dlbfgs/partition.hpp"
#include "history.hpp"
#include "reducer.hpp"
#include "solver_state.hpp"

namespace dlbfgs::internal {

/// The iteration of the checkpoint that dir/LATEST names, 0 when LATEST exists but names none
/// that can be parsed, -1 when dir holds no LATEST (no complete checkpoint; partial ckpt-*
/// directories do not count). `unless_same_as`: a directory treated as holding nothing when it is
/// `dir` itself (the one a run resumes from). Local (file system only).
long long ProbeCheckpoint(const std::string& dir, const std::string& unless_same_as);

/// The manifest's tag of a run without bounds (BoundsTag).
inline constexpr const char* kNoBounds = "none";

/// The manifest's tag of this run's bounds: 16 hexadecimal digits of a checksum that is the same
/// for every partition of x (the sum, mod 2^64, over global indices i of FNV-1a of (i, l_i, u_i)).
/// `lower`, `upper`: this rank's blocks. Collective: one allreduce.
std::string BoundsTag(const double* lower, const double* upper, const Partition& part,
                      Reducer& reducer);

/// The solver state a checkpoint holds (references into the solver), and the tag of the run's
/// bounds (kNoBounds, or BoundsTag) that a resume must match.
struct CheckpointState {
  SolverState& scalars;
  std::vector<double>& past_f;
  History& history;
  Eigen::VectorXd& x;
  Eigen::VectorXd& g;
  const std::string& bounds;
};

/// Writes a checkpoint of `state` into dir/ckpt-<iteration>/ (one file per rank, then the
/// manifest, then dir/LATEST, each through a temporary file, fsync and rename) and removes the
/// checkpoint LATEST named before, and any other ckpt-* directory (partial ones left by a crash).
/// Collective: two allreduce calls (agreement that every rank's file, then the manifest, is on
/// disk). Returns "" on success or a message naming the failing rank and cause, identical on every
/// rank.
std::string WriteCheckpoint(const std::string& dir, const Partition& part,
                            const LbfgsOptions& options, const CheckpointState& state,
                            Reducer& reducer);

/// Loads the checkpoint named by dir/LATEST into `state`, re-partitioning the saved vectors when
/// the number of ranks differs, then removes ckpt-* directories other than the one LATEST
/// names (partial ones left by a crash; they are never read). A checkpoint written with other
/// bounds (or with bounds, or without, when this run has none, or some) is refused; one of format
/// 5, which did not record its bounds, loads only into a run without bounds. Collective: two
/// allreduce calls (errors, then a check that every rank read the same manifest). Returns "" or a
/// message, identical on every rank; on failure `state` is unspecified.
std::string ReadCheckpoint(const std::string& dir, const Partition& part,
                           const LbfgsOptions& options, const CheckpointState& state,
                           Reducer& reducer);

}  // namespace dlbfgs::internal
