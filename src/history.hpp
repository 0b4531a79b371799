#pragma once

#include <Eigen/Core>
#include <array>
#include <vector>

#include "dlbfgs/options.hpp"

namespace dlbfgs::internal {

/// Rows per block of the streaming passes (passes.cpp): 8192 doubles = 64 KiB per vector.
constexpr Eigen::Index kPassBlock = 8192;

/// The reduced products of a candidate pair with itself and with the gradient the direction
/// sees at the trial point.
struct PairProducts {
  double sy = 0;  ///< s_t'y_t
  double yy = 0;  ///< y_t'y_t
  double ss = 0;  ///< s_t's_t
  double sg = 0;  ///< s_t'v_t
  double yg = 0;  ///< y_t'v_t
};

/// One replicated Gram array of a History, by name, for checkpoints.
struct GramArray {
  const char* name;
  double* data;
  Eigen::Index size;
};

/// Ring buffer of the last m curvature pairs (s_i, y_i), this rank's blocks, plus the replicated
/// scalars the two-loop recursions need.
///
/// Storage is two preallocated n_local x (m + 1) column-major matrices (S, Y in double precision,
/// or Sf, Yf in single precision, the other pair empty): m slots hold the pairs and
/// the extra "spare" slot receives the candidate pair of the current line search, written in the
/// same pass that computes its dot products; accepting the candidate turns the spare into the
/// newest pair and the oldest pair (if the ring is full) into the next spare, with no copy.
///
/// The Gram scalars, identical on every rank, are indexed by slot: SS(i, j) = s_i's_j,
/// SY(i, j) = s_i'y_j, YY(i, j) = y_i'y_j, Sg(i) = s_i'v, Yg(i) = y_i'v for the gradient v that
/// the direction sees. Each entry is a reduced dot product of stored vectors, computed when the
/// newer of its two vectors is created: none is updated by recurrence, so none drifts. They change
/// only through AppendPair, ApplyGradientProducts and ApplyRefresh, which read the reduced
/// payload blocks laid out in payload.hpp. In single precision every entry is still a double
/// sum of the stored (rounded) vectors, widened exactly.
class History {
 public:
  History(Eigen::Index n_local, int m, HistoryPrecision precision = HistoryPrecision::kFloat64);

  HistoryPrecision precision() const { return precision_; }
  bool single() const { return precision_ == HistoryPrecision::kFloat32; }
  Eigen::Index local_size() const { return n_local_; }
  int capacity() const { return m_; }
  int count() const { return count_; }
  int slots() const { return m_ + 1; }
  /// Slot of the k-th oldest stored pair, 0 <= k < count().
  int Slot(int k) const { return (head_ + k) % (m_ + 1); }
  /// Slot of the newest stored pair (count() > 0).
  int Newest() const { return Slot(count_ - 1); }
  /// The slot that receives the candidate pair; never a stored pair's.
  int Spare() const { return (head_ + count_) % (m_ + 1); }

  double SS(int i, int j) const { return ss_(i, j); }
  double SY(int i, int j) const { return sy_(i, j); }
  double YY(int i, int j) const { return yy_(i, j); }
  double Sg(int i) const { return sg_(i); }
  double Yg(int i) const { return yg_(i); }

  /// Makes the spare slot the newest pair, dropping the oldest when full. The Gram entries of
  /// the new pair are left as they were: AppendPair sets them.
  void AcceptSpare();
  /// Keeps the candidate pair in the spare slot: its own products `p`, and, when `cross` is not
  /// null, its cross products with every stored pair (the fused block, CrossSlot layout). Then
  /// AcceptSpare().
  void AppendPair(const PairProducts& p, const double* cross);
  /// S'v and Y'v for a new gradient v, from the fused block of its trial (CrossSlot layout).
  void ApplyGradientProducts(const double* cross);
  /// Replaces SS, SY and YY among the stored pairs by reduced blocks (RefreshSize layout).
  void ApplyRefresh(const double* blocks);
  /// Forgets every stored pair; the spare slot, and a candidate pair written there, are kept.
  void Clear() {
    head_ = Spare();
    count_ = 0;
  }
  /// Ring position, for checkpoints.
  int head() const { return head_; }
  void Restore(int head, int count) {
    head_ = head;
    count_ = count;
  }
  /// The replicated arrays (SS, SY, YY, Sg, Yg), for checkpoints.
  std::array<GramArray, 5> GramArrays();

  Eigen::MatrixXd S;   ///< n_local x (m + 1), column per slot (float64; else 0 x 0)
  Eigen::MatrixXd Y;   ///< n_local x (m + 1), column per slot (float64; else 0 x 0)
  Eigen::MatrixXf Sf;  ///< n_local x (m + 1), column per slot (float32; else 0 x 0)
  Eigen::MatrixXf Yf;  ///< n_local x (m + 1), column per slot (float32; else 0 x 0)

  /// float32: two blocks of kPassBlock doubles where the trial pass keeps the rounded candidate
  /// pair of its current block, widened, for the cross products (empty in float64).
  double* rounded_pair() { return rounded_.data(); }

 private:
  HistoryPrecision precision_;
  Eigen::Index n_local_;
  std::vector<double> rounded_;
  int m_;
  int head_ = 0;
  int count_ = 0;
  Eigen::MatrixXd ss_, sy_, yy_;  // (m + 1) x (m + 1)
  Eigen::VectorXd sg_, yg_;       // m + 1
};

}  // namespace dlbfgs::internal
