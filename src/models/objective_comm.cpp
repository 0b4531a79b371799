#include "models/objective_comm.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace dlbfgs::internal {
namespace {

// Largest piece one MPI call moves: MPI counts are ints.
constexpr std::int64_t kChunk = std::int64_t{1} << 28;       // doubles per allreduce
constexpr std::int64_t kChunkBytes = std::int64_t{1} << 30;  // bytes per message

}  // namespace

ObjectiveComm::ObjectiveComm(MPI_Comm comm) : comm_(comm) {
  MPI_Comm_rank(comm, &rank_);
  MPI_Comm_size(comm, &size_);
}

void ObjectiveComm::AllreduceSum(double* buf, std::int64_t count) {
  const double start = MPI_Wtime();
  // count is the same on every rank, so every rank makes the same calls.
  for (std::int64_t done = 0; done < count;) {
    const std::int64_t n = std::min(kChunk, count - done);
    MPI_Allreduce(MPI_IN_PLACE, buf + done, static_cast<int>(n), MPI_DOUBLE, MPI_SUM, comm_);
    done += n;
  }
  ++stats_.allreduce_calls;
  stats_.doubles += static_cast<double>(count);
  stats_.seconds += MPI_Wtime() - start;
}

void ObjectiveComm::AllreduceSum(std::int64_t* buf, int count) {
  const double start = MPI_Wtime();
  MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_INT64_T, MPI_SUM, comm_);
  ++stats_.allreduce_calls;
  stats_.doubles += count;
  stats_.seconds += MPI_Wtime() - start;
}

void ObjectiveComm::AllreduceMax(std::int64_t* buf, int count) {
  const double start = MPI_Wtime();
  MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_INT64_T, MPI_MAX, comm_);
  ++stats_.other_calls;
  stats_.doubles += count;
  stats_.seconds += MPI_Wtime() - start;
}

const int* ObjectiveComm::Displacements(const std::vector<int>& counts) {
  displs_.resize(counts.size());
  long long offset = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    displs_[r] = static_cast<int>(offset);
    offset += counts[r];
  }
  return displs_.data();
}

void ObjectiveComm::Allgatherv(const double* mine, const std::vector<int>& counts, double* all) {
  const double start = MPI_Wtime();
  MPI_Allgatherv(mine, counts[rank_], MPI_DOUBLE, all, counts.data(), Displacements(counts),
                 MPI_DOUBLE, comm_);
  ++stats_.allgatherv_calls;
  stats_.doubles += counts[rank_];
  stats_.seconds += MPI_Wtime() - start;
}

void ObjectiveComm::Allgatherv(const std::int32_t* mine, const std::vector<int>& counts,
                               std::int32_t* all) {
  const double start = MPI_Wtime();
  MPI_Allgatherv(mine, counts[rank_], MPI_INT32_T, all, counts.data(), Displacements(counts),
                 MPI_INT32_T, comm_);
  ++stats_.allgatherv_calls;
  stats_.doubles += 0.5 * counts[rank_];
  stats_.seconds += MPI_Wtime() - start;
}

void ObjectiveComm::ReduceScatter(const double* full, const std::vector<int>& counts,
                                  double* mine) {
  const double start = MPI_Wtime();
  MPI_Reduce_scatter(full, mine, counts.data(), MPI_DOUBLE, MPI_SUM, comm_);
  long long total = 0;
  for (int c : counts) total += c;
  ++stats_.reduce_scatter_calls;
  stats_.doubles += static_cast<double>(total);
  stats_.seconds += MPI_Wtime() - start;
}

void ObjectiveComm::Alltoall(const std::int64_t* send, std::int64_t* recv) {
  const double start = MPI_Wtime();
  MPI_Alltoall(send, 1, MPI_INT64_T, recv, 1, MPI_INT64_T, comm_);
  ++stats_.other_calls;
  stats_.doubles += size_;
  stats_.seconds += MPI_Wtime() - start;
}

void ObjectiveComm::AlltoallvBytes(const char* send, const std::vector<std::int64_t>& send_counts,
                                   char* recv, const std::vector<std::int64_t>& recv_counts,
                                   std::size_t element) {
  const double start = MPI_Wtime();
  std::vector<MPI_Request> requests;
  std::int64_t sent = 0;
  // Receives first, then sends; each pair's block goes in pieces of at most kChunkBytes, tagged by
  // their order (messages between two ranks are not overtaken, but the tags make it explicit).
  std::int64_t offset = 0;
  for (int r = 0; r < size_; ++r) {
    const std::int64_t bytes = recv_counts[r] * static_cast<std::int64_t>(element);
    for (std::int64_t done = 0, piece = 0; done < bytes; ++piece) {
      const std::int64_t n = std::min(kChunkBytes, bytes - done);
      requests.emplace_back();
      MPI_Irecv(recv + offset + done, static_cast<int>(n), MPI_BYTE, r,
                static_cast<int>(piece % 30000), comm_, &requests.back());
      done += n;
    }
    offset += bytes;
  }
  offset = 0;
  for (int r = 0; r < size_; ++r) {
    const std::int64_t bytes = send_counts[r] * static_cast<std::int64_t>(element);
    for (std::int64_t done = 0, piece = 0; done < bytes; ++piece) {
      const std::int64_t n = std::min(kChunkBytes, bytes - done);
      requests.emplace_back();
      MPI_Isend(send + offset + done, static_cast<int>(n), MPI_BYTE, r,
                static_cast<int>(piece % 30000), comm_, &requests.back());
      done += n;
    }
    offset += bytes;
    sent += bytes;
  }
  MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
  ++stats_.alltoallv_calls;
  stats_.doubles += static_cast<double>(sent) / 8;
  stats_.seconds += MPI_Wtime() - start;
}

}  // namespace dlbfgs::internal
