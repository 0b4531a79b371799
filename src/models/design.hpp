#pragma once

// Private to the logistic models: how the rows X and the labels are held in each layout, and the
// two products with X that an evaluation needs (margins Z = X Wᵀ + b, gradient Rᵀ [X 1]).

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <vector>

#include "dlbfgs/libsvm.hpp"
#include "dlbfgs/partition.hpp"
#include "models/logistic_loss.hpp"
#include "models/objective_comm.hpp"

namespace dlbfgs::internal {

/// The model's shape: d features, K outputs per feature, intercepts or not.
struct DesignShape {
  Eigen::Index features = 0;
  int outputs = 1;
  bool intercept = true;
  /// Parameters n = (d + intercept) K.
  Eigen::Index parameters() const { return (features + (intercept ? 1 : 0)) * outputs; }
};

/// Σ_e val[e] · w[col[e]] over [lo, hi): the sparse row times a dense vector, with four partial
/// sums so that the additions do not wait on each other (one chain of dependent adds would cost
/// the FMA latency, 4 cycles, per entry).
inline double SparseDot(const std::int32_t* col, const double* val, std::int64_t lo,
                        std::int64_t hi, const double* w) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::int64_t e = lo;
  for (; e + 4 <= hi; e += 4) {
    s0 += val[e] * w[col[e]];
    s1 += val[e + 1] * w[col[e + 1]];
    s2 += val[e + 2] * w[col[e + 2]];
    s3 += val[e + 3] * w[col[e + 3]];
  }
  for (; e < hi; ++e) s0 += val[e] * w[col[e]];
  return (s0 + s1) + (s2 + s3);
}

/// z[k] = b[k] + Σ_e val[e] · w[stride · col[e] + k] over [lo, hi) for the K classes (b null:
/// no intercepts): the sparse row times the K × d weights stored feature-major, K contiguous
/// per feature, `stride` doubles apart. The running sums of four classes at a time stay in
/// registers: a loop over k inside the loop over e would keep z in memory (K is known only at
/// run time, and z might alias w), making every entry wait on a store and reload of each z[k].
/// Each z[k] still adds the entries in their order, so the sums are bitwise those of that loop.
inline void SparseMargins(const std::int32_t* col, const double* val, std::int64_t lo,
                          std::int64_t hi, const double* w, std::int64_t stride, int K,
                          const double* b, double* z) {
  auto at = [col, stride](std::int64_t e) { return stride * static_cast<std::int64_t>(col[e]); };
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    double a0 = b ? b[k] : 0.0, a1 = b ? b[k + 1] : 0.0;
    double a2 = b ? b[k + 2] : 0.0, a3 = b ? b[k + 3] : 0.0;
    for (std::int64_t e = lo; e < hi; ++e) {
      const double v = val[e];
      const double* wc = w + at(e) + k;
      a0 += v * wc[0];
      a1 += v * wc[1];
      a2 += v * wc[2];
      a3 += v * wc[3];
    }
    z[k] = a0;
    z[k + 1] = a1;
    z[k + 2] = a2;
    z[k + 3] = a3;
  }
  for (; k + 2 <= K; k += 2) {
    double a0 = b ? b[k] : 0.0, a1 = b ? b[k + 1] : 0.0;
    for (std::int64_t e = lo; e < hi; ++e) {
      const double v = val[e];
      const double* wc = w + at(e) + k;
      a0 += v * wc[0];
      a1 += v * wc[1];
    }
    z[k] = a0;
    z[k + 1] = a1;
  }
  for (; k < K; ++k) {
    double a0 = b ? b[k] : 0.0;
    for (std::int64_t e = lo; e < hi; ++e) a0 += val[e] * w[at(e) + k];
    z[k] = a0;
  }
}

/// The data in one layout. Margins() and Gradient() stream the stored entries once each.
class Design {
 public:
  virtual ~Design() = default;

  /// Rows whose margins Margins() writes on this rank: all N rows (features layout) or this
  /// rank's rows (samples layout). Local.
  Eigen::Index rows() const { return static_cast<Eigen::Index>(classes_.size()); }
  /// Class index in [0, number of labels) of each of those rows. Local.
  const std::vector<std::int32_t>& classes() const { return classes_; }
  /// [share_begin, share_end) of those rows: the rows whose loss this rank adds to F, so that
  /// every row is counted on exactly one rank. Local.
  Eigen::Index share_begin() const { return share_begin_; }
  Eigen::Index share_end() const { return share_end_; }
  /// Entries stored over all ranks. Local.
  Eigen::Index nnz() const { return nnz_; }

  /// z (rows() × K, row-major) = X Wᵀ + b for those rows, from this rank's block x_local of the
  /// parameters. Collective.
  virtual void Margins(const double* x_local, double* z) = 0;
  /// g_local = this rank's block of [X 1]ᵀ r for r (rows() × K, row-major, the same on every
  /// rank for the rows they share). Collective.
  virtual void Gradient(const double* r, double* g_local) = 0;
  /// One evaluation: returns the sum of `loss` over this rank's share of the rows and writes
  /// g_local = this rank's block of [X 1]ᵀ R, R the rows' loss derivatives, using z and r
  /// (rows() × K each) as scratch. Collective. This default makes the two passes Margins() and
  /// Gradient(), with every row's loss in between (the features layout: the margins are complete
  /// only after their allreduce); the samples layout overrides it with one pass.
  virtual double LossAndGradient(const double* x_local, const RowLoss& loss, double* z, double* r,
                                 double* g_local) {
    Margins(x_local, z);
    const int K = loss.outputs;
    const std::int32_t* c = classes_.data();
    double share = 0;
    for (Eigen::Index i = 0; i < rows(); ++i) {
      const double l = loss(z + i * K, c[i], r + i * K);
      if (i >= share_begin_ && i < share_end_) share += l;
    }
    Gradient(r, g_local);
    return share;
  }

 protected:
  std::vector<std::int32_t> classes_;
  Eigen::Index share_begin_ = 0;
  Eigen::Index share_end_ = 0;
  Eigen::Index nnz_ = 0;
};

/// The features (model-parallel) layout: this rank's columns for all N rows, moved to it from
/// the rows' readers by an all-to-all; the rows (and their classes) are gathered to every rank.
/// `classes` are this rank's rows' classes. Collective.
std::unique_ptr<Design> MakeFeatureDesign(LibsvmData&& data, std::vector<std::int32_t>&& classes,
                                          const Partition& part, const DesignShape& shape,
                                          ObjectiveComm& comm);

/// The samples (data-parallel) layout: this rank's rows, as read. Collective.
std::unique_ptr<Design> MakeSampleDesign(LibsvmData&& data, std::vector<std::int32_t>&& classes,
                                         const Partition& part, const DesignShape& shape,
                                         ObjectiveComm& comm);

}  // namespace dlbfgs::internal
