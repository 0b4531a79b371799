#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>

#include "dlbfgs/result.hpp"

namespace dlbfgs::internal {

/// The only solver code that calls MPI. Works on a private duplicate of the user's communicator so
/// that the solver's collectives never match the objective's, and counts every MPI_Allreduce in
/// CommStats (calls, doubles, seconds).
class Reducer {
 public:
  /// Duplicates `comm`. Collective.
  explicit Reducer(MPI_Comm comm);
  /// Frees the duplicate. Collective.
  ~Reducer();
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;

  /// Sums buf[0..count) over all ranks in place: one MPI_Allreduce. Collective.
  void Sum(double* buf, int count);
  /// Element-wise maximum of buf[0..count) over all ranks in place: one MPI_Allreduce. Collective.
  void Max(std::uint64_t* buf, int count);
  /// Smallest `value` over all ranks (error path only: not on the hot path). Collective.
  int MinInt(int value);
  /// Broadcasts `text` (at most 1000 characters kept) from rank `root`. Collective.
  void Broadcast(std::string& text, int root);

  /// The lowest rank for which `mine` is true, or size() when there is none (error path only).
  /// Collective.
  int LowestRank(bool mine) { return MinInt(mine ? rank_ : size_); }
  /// The lowest failing rank and its message.
  struct Failure {
    int rank = 0;
    std::string message;
  };
  /// After a vote has shown that some rank failed: the lowest rank with `failed_here` and its
  /// `message`, identical on every rank (error path only: two collectives). Collective.
  Failure FirstFailure(bool failed_here, std::string message);
  /// Votes on `failed_here` in one allreduce: "" on every rank when no rank failed, otherwise
  /// "rank R: MESSAGE" of the lowest failing rank R, on every rank (two more collectives).
  /// Collective.
  std::string AgreeOnFailure(bool failed_here, std::string message);

  int rank() const { return rank_; }
  int size() const { return size_; }
  const CommStats& stats() const { return stats_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  CommStats stats_;
};

}  // namespace dlbfgs::internal
