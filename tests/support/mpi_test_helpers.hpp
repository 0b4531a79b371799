#pragma once

// Small helpers for the MPI tests. Namespace dlbfgs::test_support (not "testing", which would
// hide GoogleTest's ::testing inside namespace dlbfgs).

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlbfgs/partition.hpp"

namespace dlbfgs::test_support {

/// This process's rank in MPI_COMM_WORLD. Local.
inline int WorldRank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

/// Number of ranks in MPI_COMM_WORLD. Local.
inline int WorldSize() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

/// The whole distributed vector (size part.global_size()) on every rank, from each rank's block
/// x_local (size part.local_size()). Collective on part.comm().
inline Eigen::VectorXd GatherToAll(const Partition& part,
                                   const Eigen::Ref<const Eigen::VectorXd>& x_local) {
  if (x_local.size() != part.local_size()) {
    throw std::invalid_argument("GatherToAll: x_local.size() != part.local_size()");
  }
  if (part.global_size() > std::numeric_limits<int>::max()) {
    throw std::invalid_argument("GatherToAll: global size exceeds MPI's int counts");
  }
  std::vector<int> counts(part.size());
  std::vector<int> displs(part.size());
  for (int r = 0; r < part.size(); ++r) {
    counts[r] = static_cast<int>(part.LocalSizeOf(r));
    displs[r] = static_cast<int>(part.OffsetOf(r));
  }
  const Eigen::VectorXd send = x_local;  // contiguous copy: a Ref may carry an inner stride
  Eigen::VectorXd all(part.global_size());
  MPI_Allgatherv(send.data(), counts[part.rank()], MPI_DOUBLE, all.data(), counts.data(),
                 displs.data(), MPI_DOUBLE, part.comm());
  return all;
}

/// Largest value of `value` over the ranks of comm. Collective on comm.
inline double MaxOverRanks(double value, MPI_Comm comm = MPI_COMM_WORLD) {
  double result = value;
  MPI_Allreduce(&value, &result, 1, MPI_DOUBLE, MPI_MAX, comm);
  return result;
}

/// Smallest value of `value` over the ranks of comm. Collective on comm.
inline double MinOverRanks(double value, MPI_Comm comm = MPI_COMM_WORLD) {
  double result = value;
  MPI_Allreduce(&value, &result, 1, MPI_DOUBLE, MPI_MIN, comm);
  return result;
}

/// True on every rank when `value` is equal on all ranks of comm; false on every rank when it
/// differs or is NaN on any rank. Collective on comm.
inline bool IdenticalOnAllRanks(double value, MPI_Comm comm = MPI_COMM_WORLD) {
  if (MaxOverRanks(value != value ? 1.0 : 0.0, comm) != 0.0) return false;
  return MaxOverRanks(value, comm) == MinOverRanks(value, comm);
}

/// Adds a GoogleTest failure unless every rank of MPI_COMM_WORLD holds the same `v` (bitwise;
/// NaN on every rank counts as the same). Collective.
inline void ExpectSameOnAllRanks(double v, const char* what) {
  int nan = std::isnan(v) ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &nan, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (nan > 0) {
    EXPECT_EQ(nan, WorldSize()) << what << " is NaN on some ranks only";
    return;
  }
  double lo = v, hi = v;
  MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(lo, hi) << what << " differs between ranks";
}

/// A fresh directory under /tmp, the same path on every rank of MPI_COMM_WORLD (made on rank 0,
/// broadcast), removed at the end. Collective (construction and destruction).
class TempDir {
 public:
  TempDir() {
    char name[256] = {};
    if (WorldRank() == 0) {
      char templ[] = "/tmp/dlbfgs-test-XXXXXX";
      const char* made = mkdtemp(templ);
      std::snprintf(name, sizeof(name), "%s", made ? made : "");
    }
    MPI_Bcast(name, sizeof(name), MPI_CHAR, 0, MPI_COMM_WORLD);
    path_ = name;
  }
  ~TempDir() {
    MPI_Barrier(MPI_COMM_WORLD);
    if (WorldRank() == 0) std::filesystem::remove_all(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace dlbfgs::test_support
