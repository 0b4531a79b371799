#pragma once

#include <Eigen/Core>

namespace dlbfgs::internal {

/// Ring buffer of the last m curvature pairs (s_i, y_i), this rank's blocks, plus the replicated
/// scalars the two-loop recursions need.
///
/// Storage is two preallocated n_local x (m + 1) column-major matrices: m slots hold the pairs and
/// the extra "spare" slot receives the candidate pair of the current line search, written in the
/// same pass that computes its dot products; accepting the candidate turns the spare into the
/// newest pair and the oldest pair (if the ring is full) into the next spare, with no copy.
///
/// The Gram scalars, identical on every rank, are indexed by slot: SS(i, j) = s_i's_j,
/// SY(i, j) = s_i'y_j, YY(i, j) = y_i'y_j, Sg(i) = s_i'g, Yg(i) = y_i'g for the current gradient g.
/// Each entry is a reduced dot product of stored vectors, computed when the newer of its two
/// vectors is created: none is updated by recurrence, so none drifts.
class History {
 public:
  History(Eigen::Index n_local, int m);

  int capacity() const { return m_; }
  int count() const { return count_; }
  /// Slot of the k-th oldest stored pair, 0 <= k < count().
  int Slot(int k) const { return (head_ + k) % (m_ + 1); }
  /// Slot of the newest stored pair (count() > 0).
  int Newest() const { return Slot(count_ - 1); }
  /// The slot that receives the candidate pair; never a stored pair's.
  int Spare() const { return (head_ + count_) % (m_ + 1); }

  /// Makes the spare slot the newest pair, dropping the oldest when full.
  void AcceptSpare();
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

  Eigen::MatrixXd S;   ///< n_local x (m + 1), column per slot
  Eigen::MatrixXd Y;   ///< n_local x (m + 1), column per slot
  Eigen::MatrixXd SS;  ///< (m + 1) x (m + 1) replicated Gram blocks (see class comment)
  Eigen::MatrixXd SY;
  Eigen::MatrixXd YY;
  Eigen::VectorXd Sg;  ///< m + 1
  Eigen::VectorXd Yg;  ///< m + 1

 private:
  int m_;
  int head_ = 0;
  int count_ = 0;
};

}  // namespace dlbfgs::internal
