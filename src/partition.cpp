#include "dlbfgs/partition.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

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
  return Partition(comm, rank, size, n, granularity);
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

Eigen::Index Partition::OffsetOf(int r) const { return BlockOffset(n_, size_, granularity_, r); }

int Partition::OwnerOf(Eigen::Index i) const {
  const Eigen::Index unit = i / granularity_;
  const Eigen::Index units = n_ / granularity_;
  const Eigen::Index base = units / size_;
  const Eigen::Index extra = units % size_;
  // Ranks [0, extra) own base + 1 units each, the rest own base units each.
  const Eigen::Index big = extra * (base + 1);
  if (unit < big) return static_cast<int>(unit / (base + 1));
  return static_cast<int>(extra + (unit - big) / base);
}

}  // namespace dlbfgs
