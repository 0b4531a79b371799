#include "reducer.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace dlbfgs::internal {

Reducer::Reducer(MPI_Comm comm) {
  MPI_Comm_dup(comm, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

Reducer::~Reducer() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void Reducer::Sum(double* buf, int count) {
  const double start = MPI_Wtime();
  MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_DOUBLE, MPI_SUM, comm_);
  stats_.allreduce_seconds += MPI_Wtime() - start;
  stats_.allreduce_calls += 1;
  stats_.allreduce_doubles += count;
}

void Reducer::Max(std::uint64_t* buf, int count) {
  const double start = MPI_Wtime();
  MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_UINT64_T, MPI_MAX, comm_);
  stats_.allreduce_seconds += MPI_Wtime() - start;
  stats_.allreduce_calls += 1;
}

int Reducer::MinInt(int value) {
  int result = value;
  MPI_Allreduce(&value, &result, 1, MPI_INT, MPI_MIN, comm_);
  stats_.allreduce_calls += 1;
  return result;
}

void Reducer::Broadcast(std::string& text, int root) {
  constexpr int kMax = 1000;
  char buffer[kMax + 1] = {};
  if (rank_ == root) {
    const std::size_t len = std::min<std::size_t>(text.size(), kMax);
    std::memcpy(buffer, text.data(), len);
  }
  MPI_Bcast(buffer, kMax + 1, MPI_CHAR, root, comm_);
  buffer[kMax] = '\0';
  text = buffer;
}

Reducer::Failure Reducer::FirstFailure(bool failed_here, std::string message) {
  Failure f;
  f.rank = LowestRank(failed_here);
  f.message = std::move(message);
  Broadcast(f.message, f.rank);
  return f;
}

std::string Reducer::AgreeOnFailure(bool failed_here, std::string message) {
  double failed = failed_here ? 1.0 : 0.0;
  Sum(&failed, 1);
  if (failed == 0) return "";
  const Failure f = FirstFailure(failed_here, std::move(message));
  return "rank " + std::to_string(f.rank) + ": " + f.message;
}

}  // namespace dlbfgs::internal
