#pragma once

#include <mpi.h>

#include <Eigen/Core>
#include <memory>
#include <utility>
#include <vector>

namespace dlbfgs {

/// Contiguous block partition of the global index range [0, n) over the ranks of a communicator:
/// rank r owns [OffsetOf(r), OffsetOf(r + 1)), in rank order.
///
/// Uniform() spreads the n / granularity units as evenly as possible: the first (units mod p)
/// ranks own one unit more than the others. FromLocalSizes() takes each rank's own block size
/// (any layout, as PETSc's VecSetSizes(v, n_local, PETSC_DECIDE)). A rank may own zero elements;
/// it still takes part in every collective. Indices are 0-based and global. Every rank holds the
/// whole table of offsets (size() + 1 entries, shared between copies), so copies are cheap and
/// every query is local.
class Partition {
 public:
  /// Balanced blocks of `granularity` elements each over the ranks of `comm`.
  /// Collective on comm: checks that every rank passed the same n and granularity and throws
  /// std::invalid_argument on every rank if not, or if n < 0, granularity < 1 or n is not a
  /// multiple of granularity. `comm` is not duplicated and must outlive the Partition.
  static Partition Uniform(MPI_Comm comm, Eigen::Index n, Eigen::Index granularity = 1);

  /// The partition in which this rank owns `local_size` elements (0 allowed) and the blocks follow
  /// in rank order: n is the sum of the local sizes, granularity() is 1. Collective on comm (one
  /// MPI_Allgather of the local sizes): throws std::invalid_argument on every rank alike, naming
  /// the lowest such rank, if local_size < 0 on any rank or the sizes overflow Eigen::Index.
  /// `comm` is not duplicated and must outlive the Partition.
  static Partition FromLocalSizes(MPI_Comm comm, Eigen::Index local_size);

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
  /// The rank that owns global index i, 0 <= i < n (the r with OffsetOf(r) <= i <
  /// OffsetOf(r + 1); never a rank that owns nothing). Local: a binary search over the offsets.
  int OwnerOf(Eigen::Index i) const;

  /// First global index of rank r when n elements, in units of `granularity`, are split over p
  /// ranks as Uniform() does; 0 <= r <= p. Local (pure arithmetic, for re-partitioning).
  static Eigen::Index BlockOffset(Eigen::Index n, int p, Eigen::Index granularity, int r);

 private:
  Partition(MPI_Comm comm, int rank, int size, Eigen::Index granularity,
            std::shared_ptr<const std::vector<Eigen::Index>> offsets)
      : comm_(comm),
        rank_(rank),
        size_(size),
        n_(offsets->back()),
        granularity_(granularity),
        offsets_(std::move(offsets)) {}

  MPI_Comm comm_;
  int rank_;
  int size_;
  Eigen::Index n_;
  Eigen::Index granularity_;
  /// offsets_[r] = first global index of rank r, r = 0..size_; offsets_[size_] = n_. Immutable.
  std::shared_ptr<const std::vector<Eigen::Index>> offsets_;
};

}  // namespace dlbfgs
