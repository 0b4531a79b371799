#pragma once

#include <mpi.h>

#include <Eigen/Core>

namespace dlbfgs {

/// Contiguous block partition of the global index range [0, n) over the ranks of a communicator.
///
/// The n / granularity units are spread as evenly as possible: the first (units mod p) ranks own
/// one unit more than the others. A rank may own zero elements (n < p); it still takes part in
/// every collective. Indices are 0-based and global.
class Partition {
 public:
  /// Balanced blocks of `granularity` elements each over the ranks of `comm`.
  /// Collective on comm: checks that every rank passed the same n and granularity and throws
  /// std::invalid_argument on every rank if not, or if n < 0, granularity < 1 or n is not a
  /// multiple of granularity. `comm` is not duplicated and must outlive the Partition.
  static Partition Uniform(MPI_Comm comm, Eigen::Index n, Eigen::Index granularity = 1);

  /// The communicator the partition was built on (the user's, not a duplicate). Local.
  MPI_Comm comm() const { return comm_; }
  /// This process's rank in comm(). Local.
  int rank() const { return rank_; }
  /// Number of ranks in comm(). Local.
  int size() const { return size_; }
  /// Global number of elements n. Local.
  Eigen::Index global_size() const { return n_; }
  /// Blocks are whole multiples of this many elements. Local.
  Eigen::Index granularity() const { return granularity_; }
  /// First global index owned by this rank. Local.
  Eigen::Index offset() const { return OffsetOf(rank_); }
  /// Number of elements owned by this rank (may be 0). Local.
  Eigen::Index local_size() const { return LocalSizeOf(rank_); }
  /// First global index owned by rank r, 0 <= r <= size() (OffsetOf(size()) == n). Local.
  Eigen::Index OffsetOf(int r) const;
  /// Number of elements owned by rank r, 0 <= r < size(). Local.
  Eigen::Index LocalSizeOf(int r) const { return OffsetOf(r + 1) - OffsetOf(r); }
  /// The rank that owns global index i, 0 <= i < n. Local.
  int OwnerOf(Eigen::Index i) const;

  /// First global index of rank r when n elements, in units of `granularity`, are split over p
  /// ranks as Uniform() does; 0 <= r <= p. Local (pure arithmetic, for re-partitioning).
  static Eigen::Index BlockOffset(Eigen::Index n, int p, Eigen::Index granularity, int r);

 private:
  Partition(MPI_Comm comm, int rank, int size, Eigen::Index n, Eigen::Index granularity)
      : comm_(comm), rank_(rank), size_(size), n_(n), granularity_(granularity) {}

  MPI_Comm comm_;
  int rank_;
  int size_;
  Eigen::Index n_;
  Eigen::Index granularity_;
};

}  // namespace dlbfgs
