// The features (model-parallel) layout of the logistic models.

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/design.hpp"

namespace dlbfgs::internal {
namespace {

/// Rank r owns features [col_begin[r], col_begin[r + 1]) (clamped to d; the intercept unit, the
/// last one, is not a column of X). Its local column c is feature col_begin[r] + c, whose K
/// weights are x_local[c K .. c K + K).
class FeatureDesign final : public Design {
 public:
  FeatureDesign(LibsvmData&& data, std::vector<std::int32_t>&& classes, const Partition& part,
                const DesignShape& shape, ObjectiveComm& comm)
      : comm_(comm), K_(shape.outputs), local_size_(part.local_size()) {
    const int p = part.size();
    const Eigen::Index d = shape.features;
    std::vector<Eigen::Index> col_begin(static_cast<std::size_t>(p) + 1);
    for (int r = 0; r <= p; ++r) col_begin[r] = std::min(d, part.OffsetOf(r) / K_);
    if (shape.intercept && part.offset() <= d * K_ && d * K_ < part.offset() + local_size_) {
      bias_offset_ = d * K_ - part.offset();
    }

    // Rows of every rank, for the global row numbers of what they send.
    const std::int64_t my_rows = data.local_rows();
    std::vector<std::int64_t> rows_of(static_cast<std::size_t>(p));
    {
      const double start = MPI_Wtime();
      MPI_Allgather(&my_rows, 1, MPI_INT64_T, rows_of.data(), 1, MPI_INT64_T, comm.comm());
      comm_.CountOther(p, MPI_Wtime() - start);
    }
    std::int64_t N = 0;
    for (std::int64_t r : rows_of) N += r;
    if (N > std::numeric_limits<int>::max()) {
      throw std::invalid_argument(
          "LogisticRegression: the features layout holds at most 2^31 - 1 "
          "rows; use the samples layout");
    }
    N_ = N;

    // Pack this rank's entries by the rank that owns their column: (local row, owner's local
    // column, value), in row order, so that every receiver gets them sorted by global row.
    auto owner = [&](std::int32_t col) {
      return static_cast<int>(std::upper_bound(col_begin.begin(), col_begin.end(), col) -
                              col_begin.begin()) -
             1;
    };
    std::vector<std::int64_t> send_counts(static_cast<std::size_t>(p), 0);
    const std::size_t entries = data.column.size();
    for (std::size_t e = 0; e < entries; ++e) {
      if (data.column[e] < d) ++send_counts[owner(data.column[e])];
    }
    std::vector<std::int64_t> place(static_cast<std::size_t>(p) + 1, 0);
    for (int r = 0; r < p; ++r) place[r + 1] = place[r] + send_counts[r];
    std::vector<std::int32_t> send_row(place[p]), send_col(place[p]);
    std::vector<double> send_value(place[p]);
    for (std::int64_t i = 0; i < my_rows; ++i) {
      for (std::int64_t e = data.row_start[i]; e < data.row_start[i + 1]; ++e) {
        const std::int32_t col = data.column[e];
        if (col >= d) continue;
        const int r = owner(col);
        const std::int64_t at = place[r]++;
        send_row[at] = static_cast<std::int32_t>(i);
        send_col[at] = static_cast<std::int32_t>(col - col_begin[r]);
        send_value[at] = data.value[e];
      }
    }
    // The rows are packed: free them before receiving.
    std::vector<std::int32_t>().swap(data.column);
    std::vector<double>().swap(data.value);
    std::vector<std::int64_t>().swap(data.row_start);

    std::vector<std::int64_t> recv_counts(static_cast<std::size_t>(p));
    comm_.Alltoall(send_counts.data(), recv_counts.data());
    std::int64_t received = 0;
    for (std::int64_t c : recv_counts) received += c;
    std::vector<std::int32_t> recv_row(received), recv_col(received);
    std::vector<double> recv_value(received);
    comm_.Alltoallv(send_row.data(), send_counts, recv_row.data(), recv_counts);
    std::vector<std::int32_t>().swap(send_row);
    comm_.Alltoallv(send_col.data(), send_counts, recv_col.data(), recv_counts);
    std::vector<std::int32_t>().swap(send_col);
    comm_.Alltoallv(send_value.data(), send_counts, recv_value.data(), recv_counts);
    std::vector<double>().swap(send_value);

    // Compressed rows over all N rows: the received stream is already in (row, column) order.
    row_start_.assign(static_cast<std::size_t>(N) + 1, 0);
    std::int64_t at = 0, first_row = 0;
    for (int r = 0; r < p; ++r) {
      for (std::int64_t e = 0; e < recv_counts[r]; ++e, ++at) {
        ++row_start_[first_row + recv_row[at] + 1];
      }
      first_row += rows_of[r];
    }
    for (std::int64_t i = 0; i < N; ++i) row_start_[i + 1] += row_start_[i];
    std::vector<std::int32_t>().swap(recv_row);
    column_ = std::move(recv_col);
    value_ = std::move(recv_value);

    // Every rank needs every row's class.
    std::vector<int> counts(static_cast<std::size_t>(p));
    for (int r = 0; r < p; ++r) counts[r] = static_cast<int>(rows_of[r]);
    classes_.resize(static_cast<std::size_t>(N));
    comm_.Allgatherv(classes.data(), counts, classes_.data());
    share_begin_ = N * part.rank() / p;
    share_end_ = N * (part.rank() + 1) / p;

    std::int64_t total = static_cast<std::int64_t>(value_.size());
    comm_.AllreduceSum(&total, 1);
    nnz_ = total;
  }

  void Margins(const double* x, double* z) override {
    const std::int64_t N = N_;
    const std::int64_t* rs = row_start_.data();
    const std::int32_t* col = column_.data();
    const double* val = value_.data();
    if (K_ == 1) {
      const double b = bias_offset_ >= 0 ? x[bias_offset_] : 0.0;
      for (std::int64_t i = 0; i < N; ++i) {
        z[i] = b + SparseDot(col, val, rs[i], rs[i + 1], x);
      }
    } else {
      const int K = K_;
      const double* b = bias_offset_ >= 0 ? x + bias_offset_ : nullptr;
      for (std::int64_t i = 0; i < N; ++i) {
        SparseMargins(col, val, rs[i], rs[i + 1], x, K, K, b, z + i * K);
      }
    }
    comm_.AllreduceSum(z, N * K_);
  }

  void Gradient(const double* r, double* g) override {
    std::fill(g, g + local_size_, 0.0);
    const std::int64_t N = N_;
    const std::int64_t* rs = row_start_.data();
    const std::int32_t* col = column_.data();
    const double* val = value_.data();
    const int K = K_;
    if (K == 1) {
      for (std::int64_t i = 0; i < N; ++i) {
        const double ri = r[i];
        for (std::int64_t e = rs[i]; e < rs[i + 1]; ++e) g[col[e]] += ri * val[e];
      }
    } else {
      for (std::int64_t i = 0; i < N; ++i) {
        const double* ri = r + i * K;
        for (std::int64_t e = rs[i]; e < rs[i + 1]; ++e) {
          const double v = val[e];
          double* gc = g + static_cast<std::int64_t>(col[e]) * K;
          for (int k = 0; k < K; ++k) gc[k] += v * ri[k];
        }
      }
    }
    if (bias_offset_ >= 0) {
      double* gb = g + bias_offset_;
      for (std::int64_t i = 0; i < N; ++i) {
        for (int k = 0; k < K; ++k) gb[k] += r[i * K + k];
      }
    }
  }

 private:
  ObjectiveComm& comm_;
  int K_;
  Eigen::Index local_size_;
  Eigen::Index bias_offset_ = -1;  // local offset of the intercepts on their rank, else -1
  std::int64_t N_ = 0;
  std::vector<std::int64_t> row_start_;  // N + 1
  std::vector<std::int32_t> column_;     // local column
  std::vector<double> value_;
};

}  // namespace

std::unique_ptr<Design> MakeFeatureDesign(LibsvmData&& data, std::vector<std::int32_t>&& classes,
                                          const Partition& part, const DesignShape& shape,
                                          ObjectiveComm& comm) {
  return std::make_unique<FeatureDesign>(std::move(data), std::move(classes), part, shape, comm);
}

}  // namespace dlbfgs::internal
