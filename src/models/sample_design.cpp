// The samples (data-parallel) layout of the logistic models.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

#include "models/design.hpp"

namespace dlbfgs::internal {
namespace {

// X ahead of the pass, in stored entries: 4 KB of values, a few rows at ~100 entries per row,
// about a microsecond of the pass, several memory latencies (256 to 1024 measured alike).
constexpr std::int64_t kStreamAhead = 512;

// Prefetches the entries kStreamAhead after [lo, hi) (clamped to end, the entries stored) with
// the non-temporal hint (PREFETCHNTA on x86: the line comes close to the core and is the first
// to leave the outer caches). X is read once per evaluation; fetched so, it displaces less of
// the weights and gradients that the gather and scatter reuse from L2. Measured on the kernel
// alone (AMD EPYC, 5·10^7 entries over d = 10^5, two copies at once): 105 -> 93 ms. Stepping
// 64 bytes from lo reaches every line of the range. Always inlined: GCC 12 deletes the calls
// of a function whose only effects are prefetches (it counts as free of side effects, so its
// call is dead) before it would inline them, and the prefetches never ran.
[[gnu::always_inline]] inline void PrefetchStream(const std::int32_t* col, const double* val,
                                                  std::int64_t lo, std::int64_t hi,
                                                  std::int64_t end) {
  const std::int64_t from = std::min(lo + kStreamAhead, end);
  const std::int64_t to = std::min(hi + kStreamAhead, end);
  for (std::int64_t e = from; e < to; e += 8) __builtin_prefetch(val + e, 0, 0);
  for (std::int64_t e = from; e < to; e += 16) __builtin_prefetch(col + e, 0, 0);
}

// Entries ahead of the gather whose (w, g) pair it prefetches: about a row at ~100 entries per
// row, so that the next row's pairs are on their way while this row's loss and scatter run (a
// row's gathers otherwise start only when its margin's inputs are known). Measured on the kernel
// alone: 64 to 128 alike, 16 too short; with the stream prefetch, 93 -> 87 ms per 5·10^7
// entries (a prefetch loop per row, ahead of the gather, gained nothing).
constexpr std::int64_t kGatherAhead = 128;

// SparseDot over the interleaved pairs (w_j at wg[2j]), with four partial sums in the same
// order, that also prefetches the pair of the entry kGatherAhead later, across row ends (up to
// end, the entries stored), for writing: the scatter will add to its g_j. One test per four
// entries keeps the prefetches in step with the loads.
inline double PairDot(const std::int32_t* col, const double* val, std::int64_t lo, std::int64_t hi,
                      const double* wg, std::int64_t end) {
  auto at = [col](std::int64_t e) { return 2 * static_cast<std::int64_t>(col[e]); };
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::int64_t e = lo;
  for (; e + 4 <= hi; e += 4) {
    if (e + 4 + kGatherAhead <= end) {
      for (int q = 0; q < 4; ++q) __builtin_prefetch(wg + at(e + q + kGatherAhead), 1, 3);
    }
    s0 += val[e] * wg[at(e)];
    s1 += val[e + 1] * wg[at(e + 1)];
    s2 += val[e + 2] * wg[at(e + 2)];
    s3 += val[e + 3] * wg[at(e + 3)];
  }
  for (; e < hi; ++e) {
    if (e + kGatherAhead < end) __builtin_prefetch(wg + at(e + kGatherAhead), 1, 3);
    s0 += val[e] * wg[at(e)];
  }
  return (s0 + s1) + (s2 + s3);
}

/// This rank's rows as read, with global feature indices; the whole parameter vector is gathered
/// into w_ for the margins and the whole gradient summed into g_ before the reduce-scatter.
///
/// An evaluation's pass reads, for every stored entry, the weights of its column (gather) and
/// then adds to the gradient of the same column (scatter): random accesses over all n
/// parameters, the evaluation's main cost (w and g are 0.8 MB each at d = 10^5, together more
/// than a 1 MB L2). The pass therefore works on wg_, w and g interleaved in blocks of K weights
/// followed by their K gradient entries: the scatter finds the cache line that the gather of
/// the same column has just loaded, one cache miss per entry instead of two. Filling wg_ from
/// w_ and g_ from wg_ costs two passes over n doubles, a small fraction of one over X.
class SampleDesign final : public Design {
 public:
  SampleDesign(LibsvmData&& data, std::vector<std::int32_t>&& classes, const Partition& part,
               const DesignShape& shape, ObjectiveComm& comm)
      : comm_(comm),
        K_(shape.outputs),
        d_(shape.features),
        bias_(shape.intercept ? shape.features * shape.outputs : -1),
        row_start_(std::move(data.row_start)),
        column_(std::move(data.column)),
        value_(std::move(data.value)) {
    if (part.global_size() > std::numeric_limits<int>::max()) {
      throw std::invalid_argument(
          "LogisticRegression: the samples layout holds at most 2^31 - 1 "
          "parameters; use the features layout");
    }
    if (data.features > d_) DropFeaturesFrom(d_);
    counts_.resize(static_cast<std::size_t>(part.size()));
    for (int r = 0; r < part.size(); ++r) counts_[r] = static_cast<int>(part.LocalSizeOf(r));
    w_.resize(static_cast<std::size_t>(part.global_size()));
    g_.resize(static_cast<std::size_t>(part.global_size()));
    wg_.resize(2 * w_.size());
    classes_ = std::move(classes);
    share_begin_ = 0;
    share_end_ = rows();
    std::int64_t total = static_cast<std::int64_t>(value_.size());
    comm_.AllreduceSum(&total, 1);
    nnz_ = total;
  }

  void Margins(const double* x, double* z) override {
    comm_.Allgatherv(x, counts_, w_.data());
    const double* w = w_.data();
    const std::int64_t n = rows();
    const std::int64_t* rs = row_start_.data();
    const std::int32_t* col = column_.data();
    const double* val = value_.data();
    if (K_ == 1) {
      const double b = bias_ >= 0 ? w[bias_] : 0.0;
      for (std::int64_t i = 0; i < n; ++i) {
        z[i] = b + SparseDot(col, val, rs[i], rs[i + 1], w);
      }
      return;
    }
    const int K = K_;
    const double* b = bias_ >= 0 ? w + bias_ : nullptr;
    for (std::int64_t i = 0; i < n; ++i) {
      SparseMargins(col, val, rs[i], rs[i + 1], w, K, K, b, z + i * K);
    }
  }

  // Row by row: margins, loss and the row's gradient terms while the row is in cache, so that
  // X is streamed from memory once per evaluation instead of twice. Column j's weights are
  // wg[2Kj .. 2Kj + K) and its gradient entries the K doubles after them (the class comment).
  double LossAndGradient(const double* x, const RowLoss& loss, double* z, double* r,
                         double* g_local) override {
    comm_.Allgatherv(x, counts_, w_.data());
    const int K = K_;
    const std::int64_t units = static_cast<std::int64_t>(w_.size()) / K;
    double* wg = wg_.data();
    for (std::int64_t j = 0; j < units; ++j) {
      for (int k = 0; k < K; ++k) {
        wg[2 * K * j + k] = w_[K * j + k];
        wg[2 * K * j + K + k] = 0;
      }
    }
    const std::int64_t n = rows();
    const std::int64_t* rs = row_start_.data();
    const std::int32_t* col = column_.data();
    const double* val = value_.data();
    const std::int32_t* c = classes_.data();
    const std::int64_t entries = rs[n];
    double share = 0;
    double bias_gradient = 0;
    if (K == 1) {
      const double b = bias_ >= 0 ? w_[bias_] : 0.0;
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t lo = rs[i], hi = rs[i + 1];
        PrefetchStream(col, val, lo, hi, entries);
        const double s = b + PairDot(col, val, lo, hi, wg, entries);
        double dz = 0;
        share += BinaryLoss(s, c[i] != 0 ? 1.0 : -1.0, &dz);  // RowLoss with one output
        const double ri = loss.scale * dz;
        for (std::int64_t e = lo; e < hi; ++e) {
          wg[2 * static_cast<std::int64_t>(col[e]) + 1] += ri * val[e];
        }
        bias_gradient += ri;
      }
    } else {
      const double* b = bias_ >= 0 ? w_.data() + bias_ : nullptr;
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t lo = rs[i], hi = rs[i + 1];
        PrefetchStream(col, val, lo, hi, entries);
        SparseMargins(col, val, lo, hi, wg, 2 * K, K, b, z);
        share += loss(z, c[i], r);
        for (std::int64_t e = lo; e < hi; ++e) {
          const double v = val[e];
          double* gc = wg + 2 * K * static_cast<std::int64_t>(col[e]) + K;
          for (int k = 0; k < K; ++k) gc[k] += v * r[k];
        }
        if (bias_ >= 0) {
          double* gb = wg + 2 * bias_ + K;  // the intercepts are unit d: 2Kd = 2 bias_
          for (int k = 0; k < K; ++k) gb[k] += r[k];
        }
      }
    }
    double* g = g_.data();
    for (std::int64_t j = 0; j < units; ++j) {
      for (int k = 0; k < K; ++k) g[K * j + k] = wg[2 * K * j + K + k];
    }
    if (K == 1 && bias_ >= 0) g[bias_] = bias_gradient;
    comm_.ReduceScatter(g, counts_, g_local);
    return share;
  }

  void Gradient(const double* r, double* g_local) override {
    std::fill(g_.begin(), g_.end(), 0.0);
    double* g = g_.data();
    const std::int64_t n = rows();
    const std::int64_t* rs = row_start_.data();
    const std::int32_t* col = column_.data();
    const double* val = value_.data();
    const int K = K_;
    if (K == 1) {
      for (std::int64_t i = 0; i < n; ++i) {
        const double ri = r[i];
        for (std::int64_t e = rs[i]; e < rs[i + 1]; ++e) g[col[e]] += ri * val[e];
      }
    } else {
      for (std::int64_t i = 0; i < n; ++i) {
        const double* ri = r + i * K;
        for (std::int64_t e = rs[i]; e < rs[i + 1]; ++e) {
          const double v = val[e];
          double* gc = g + static_cast<std::int64_t>(col[e]) * K;
          for (int k = 0; k < K; ++k) gc[k] += v * ri[k];
        }
      }
    }
    if (bias_ >= 0) {
      for (std::int64_t i = 0; i < n; ++i) {
        for (int k = 0; k < K; ++k) g[bias_ + k] += r[i * K + k];
      }
    }
    comm_.ReduceScatter(g, counts_, g_local);
  }

 private:
  // Drops the entries of features >= d (a test set's features unknown to the model).
  void DropFeaturesFrom(Eigen::Index d) {
    std::int64_t out = 0;
    const std::int64_t n = static_cast<std::int64_t>(row_start_.size()) - 1;
    std::int64_t begin = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t end = row_start_[i + 1];
      for (std::int64_t e = begin; e < end; ++e) {
        if (column_[e] < d) {
          column_[out] = column_[e];
          value_[out] = value_[e];
          ++out;
        }
      }
      begin = end;
      row_start_[i + 1] = out;
    }
    column_.resize(out);
    value_.resize(out);
  }

  ObjectiveComm& comm_;
  int K_;
  Eigen::Index d_;
  Eigen::Index bias_;  // global index of the first intercept, or -1
  std::vector<std::int64_t> row_start_;
  std::vector<std::int32_t> column_;
  std::vector<double> value_;
  std::vector<int> counts_;  // parameters of each rank
  std::vector<double> w_;    // all parameters
  std::vector<double> g_;    // this rank's rows' gradient over all parameters
  std::vector<double> wg_;   // LossAndGradient's interleaved w and g (the class comment)
};

}  // namespace

std::unique_ptr<Design> MakeSampleDesign(LibsvmData&& data, std::vector<std::int32_t>&& classes,
                                         const Partition& part, const DesignShape& shape,
                                         ObjectiveComm& comm) {
  return std::make_unique<SampleDesign>(std::move(data), std::move(classes), part, shape, comm);
}

}  // namespace dlbfgs::internal
