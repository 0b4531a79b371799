#pragma once

// Private to the logistic models: the collectives a model makes on the user's communicator,
// each counted (calls, doubles, seconds) in ObjectiveCommStats.

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "dlbfgs/logistic.hpp"

namespace dlbfgs::internal {

class ObjectiveComm {
 public:
  explicit ObjectiveComm(MPI_Comm comm);

  MPI_Comm comm() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  const ObjectiveCommStats& stats() const { return stats_; }

  /// Sums buf[0..count) over the ranks in place, in chunks that fit MPI's int counts.
  /// Collective.
  void AllreduceSum(double* buf, std::int64_t count);
  /// Sums small integer counters in place (agreements, metrics). Collective.
  void AllreduceSum(std::int64_t* buf, int count);
  /// Largest of small integer values in place. Collective.
  void AllreduceMax(std::int64_t* buf, int count);
  /// All blocks `mine` (counts[r] doubles from rank r) into `all`, in rank order. Collective.
  void Allgatherv(const double* mine, const std::vector<int>& counts, double* all);
  /// The same for 32-bit integers. Collective.
  void Allgatherv(const std::int32_t* mine, const std::vector<int>& counts, std::int32_t* all);
  /// Sums `full` (the sum of counts doubles) over the ranks and leaves block r of the sum on
  /// rank r in `mine`. Collective.
  void ReduceScatter(const double* full, const std::vector<int>& counts, double* mine);
  /// Sends send_counts[r] elements of `send` (consecutive blocks, in rank order) to each rank r
  /// and receives recv_counts[r] from each into `recv`, in rank order; any counts (point to point
  /// in chunks of at most 2^28 elements). Collective.
  template <typename T>
  void Alltoallv(const T* send, const std::vector<std::int64_t>& send_counts, T* recv,
                 const std::vector<std::int64_t>& recv_counts);
  /// recv[r] = what rank r passed in send[me] (one 64-bit value per pair). Collective.
  void Alltoall(const std::int64_t* send, std::int64_t* recv);

  /// Counts a call of the other kinds (made by the caller itself).
  void CountOther(double doubles, double seconds) {
    ++stats_.other_calls;
    stats_.doubles += doubles;
    stats_.seconds += seconds;
  }

 private:
  // The displacements of `counts` (their prefix sums), in displs_: no allocation once sized.
  const int* Displacements(const std::vector<int>& counts);
  void AlltoallvBytes(const char* send, const std::vector<std::int64_t>& send_counts, char* recv,
                      const std::vector<std::int64_t>& recv_counts, std::size_t element);
  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
  ObjectiveCommStats stats_;
  std::vector<int> displs_;
};

template <typename T>
void ObjectiveComm::Alltoallv(const T* send, const std::vector<std::int64_t>& send_counts, T* recv,
                              const std::vector<std::int64_t>& recv_counts) {
  AlltoallvBytes(reinterpret_cast<const char*>(send), send_counts, reinterpret_cast<char*>(recv),
                 recv_counts, sizeof(T));
}

}  // namespace dlbfgs::internal
