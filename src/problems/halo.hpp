#pragma once

// Private to the built-in problems: exchange of one boundary value with each neighbour.

#include <mpi.h>

#include <Eigen/Core>

#include "dlbfgs/partition.hpp"

namespace dlbfgs::internal {

/// Exchange of one value across each block boundary of a 1-D chain of blocks: every non-empty
/// rank sends its first value to the rank that owns global index offset - 1 and its last value to
/// the rank that owns offset + local_size, and receives theirs. Ranks that own nothing, and block
/// ends at the domain boundary, have MPI_PROC_NULL as neighbour, so no call ever waits on them.
///
/// Because ranks may own zero elements, the neighbour is not rank +- 1 but the nearest non-empty
/// rank, found with Partition::OwnerOf. The relation is symmetric (if B is A's right neighbour, A
/// is B's left one), so every send has exactly one matching receive.
class NeighbourHalo {
 public:
  explicit NeighbourHalo(const Partition& part) : comm_(part.comm()) {
    const Eigen::Index first = part.offset();
    const Eigen::Index end = first + part.local_size();
    if (part.local_size() > 0 && first > 0) left_ = part.OwnerOf(first - 1);
    if (part.local_size() > 0 && end < part.global_size()) right_ = part.OwnerOf(end);
  }

  /// Sends `first` to the left neighbour and `last` to the right one; writes the left
  /// neighbour's last value into *left_ghost and the right neighbour's first value into
  /// *right_ghost. A ghost with no neighbour is left unchanged (callers preset the boundary
  /// value). Point-to-point on the partition's communicator with tags tag and tag + 1; every
  /// rank must call it the same number of times with the same tags. No allocation.
  void Exchange(double first, double last, double* left_ghost, double* right_ghost, int tag) const {
    const int to_left = tag;
    const int to_right = tag + 1;
    MPI_Request requests[4];
    MPI_Irecv(left_ghost, 1, MPI_DOUBLE, left_, to_right, comm_, &requests[0]);
    MPI_Irecv(right_ghost, 1, MPI_DOUBLE, right_, to_left, comm_, &requests[1]);
    MPI_Isend(&first, 1, MPI_DOUBLE, left_, to_left, comm_, &requests[2]);
    MPI_Isend(&last, 1, MPI_DOUBLE, right_, to_right, comm_, &requests[3]);
    MPI_Waitall(4, requests, MPI_STATUSES_IGNORE);
  }

 private:
  MPI_Comm comm_;
  int left_ = MPI_PROC_NULL;
  int right_ = MPI_PROC_NULL;
};

}  // namespace dlbfgs::internal
