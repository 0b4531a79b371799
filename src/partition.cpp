#include "dlbfgs/partition.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlbfgs {

Partition Partition::Uniform(MPI_Comm comm, Eigen::Index n, Eigen::Index granularity) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);

  // Agree on (n, granularity) before any rank throws, so that a mismatch is an error on every
  // rank instead of a hang in the caller's next collective. max(v) and max(-v) give max and min.
  std::int64_t local[4] = {n, -n, granularity, -granularity};
  std::int64_t global[4];
  MPI_Allreduce(local, global, 4, MPI_INT64_T, MPI_MAX, comm);
  if (global[0] != -global[1] || global[2] != -global[3]) {
    throw std::invalid_argument(
        "Partition::Uniform: n and granularity differ between ranks (n in [" +
        std::to_string(-global[1]) + ", " + std::to_string(global[0]) + "], granularity in [" +
        std::to_string(-global[3]) + ", " + std::to_string(global[2]) + "])");
  }
  if (n < 0) {
    throw std::invalid_argument("Partition::Uniform: n must be >= 0, got " + std::to_string(n));
  }
  if (granularity < 1) {
    throw std::invalid_argument("Partition::Uniform: granularity must be >= 1, got " +
                                std::to_string(granularity));
  }
  if (n % granularity != 0) {
    throw std::invalid_argument("Partition::Uniform: n = " + std::to_string(n) +
                                " is not a multiple of the granularity " +
                                std::to_string(granularity));
  }
  auto offsets = std::make_shared<std::vector<Eigen::Index>>(static_cast<std::size_t>(size) + 1);
  for (int r = 0; r <= size; ++r) (*offsets)[r] = BlockOffset(n, size, granularity, r);
  return Partition(comm, rank, size, granularity, std::move(offsets));
}

Partition Partition::FromLocalSizes(MPI_Comm comm, Eigen::Index local_size) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);

  // Every rank learns every size before any rank throws, so that a bad size is an error on every
  // rank alike (with the same message) instead of a hang in the caller's next collective.
  const std::int64_t mine = local_size;
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(size));
  MPI_Allgather(&mine, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, comm);

  auto offsets = std::make_shared<std::vector<Eigen::Index>>(static_cast<std::size_t>(size) + 1);
  (*offsets)[0] = 0;
  for (int r = 0; r < size; ++r) {
    const std::int64_t s = sizes[r];
    if (s < 0) {
      throw std::invalid_argument("Partition::FromLocalSizes: local_size must be >= 0, got " +
                                  std::to_string(s) + " on rank " + std::to_string(r));
    }
    if (s > std::numeric_limits<Eigen::Index>::max() - (*offsets)[r]) {
      throw std::invalid_argument(
          "Partition::FromLocalSizes: the local sizes overflow Eigen::Index at rank " +
          std::to_string(r));
    }
    (*offsets)[r + 1] = (*offsets)[r] + static_cast<Eigen::Index>(s);
  }
  return Partition(comm, rank, size, 1, std::move(offsets));
}

Eigen::Index Partition::BlockOffset(Eigen::Index n, int p, Eigen::Index granularity, int r) {
  // Units of `granularity` elements; the first (units mod p) ranks own one more unit
  // (the split of PETSc's PetscSplitOwnership).
  const Eigen::Index units = n / granularity;
  const Eigen::Index base = units / p;
  const Eigen::Index extra = units % p;
  const Eigen::Index rr = r;
  return granularity * (rr * base + (rr < extra ? rr : extra));
}

Eigen::Index Partition::OffsetOf(int r) const { return (*offsets_)[static_cast<std::size_t>(r)]; }

int Partition::OwnerOf(Eigen::Index i) const {
  // The last r with offsets[r] <= i. A rank that owns nothing shares its offset with the next
  // rank, so upper_bound steps past it; offsets[0] = 0 <= i < n = offsets[p] keeps r in [0, p).
  const std::vector<Eigen::Index>& offsets = *offsets_;
  const auto above = std::upper_bound(offsets.begin(), offsets.end(), i);
  return static_cast<int>(above - offsets.begin()) - 1;
}

}  // namespace dlbfgs
