#pragma once

#include <Eigen/Core>
#include <memory>

#include "dlbfgs/options.hpp"
#include "history.hpp"
#include "passes.hpp"
#include "reducer.hpp"

namespace dlbfgs::internal {

/// What the evaluator asks of the direction for one trial.
struct TrialRequest {
  bool first = false;    ///< the first trial of a line search (the fused Gram check rides here)
  bool refresh = false;  ///< also recompute the whole Gram matrix (fused)
  /// Carry the products with the stored pairs (fused; LbfgsOptions::trial_products). A trial
  /// without them that is accepted gets them from Products() and one more allreduce.
  bool products = true;
};

/// The search direction d = -H v from the (s, y) history, for the gradient v that the direction
/// sees (the objective's gradient, or the L1 pseudo-gradient). The pairs always use the
/// objective's gradient: y = g_t - g. Two implementations: fused (vector-free two-loop on the
/// replicated Gram matrix, the default) and classic (textbook two-loop, 2 count() + 1 reductions
/// per direction, the reference).
class Direction {
 public:
  Direction(Eigen::Index n_local, int m, HistoryPrecision precision)
      : history_(n_local, m, precision) {}
  virtual ~Direction() = default;

  /// Most doubles this direction appends to a trial's payload.
  virtual int PayloadCapacity() const = 0;
  /// Writes d = -H v (vv = v'v) and returns phi'(0) = v'd; when H v is not a descent direction,
  /// resets the history and writes d = -v. Collective for classic, local for fused. Returns true
  /// in `reset` when it reset the history.
  virtual double Compute(const Eigen::VectorXd& v, double vv, Eigen::VectorXd& d, bool& reset) = 0;
  /// Doubles this direction appends to the payload of a trial (the same on every rank, whether
  /// or not its objective succeeded).
  virtual int PayloadSize(const TrialRequest& request) const = 0;
  /// The trial's pass: writes the candidate pair into the spare slot, the trial's own sums into
  /// the payload header and this direction's partial sums into `block`. Local.
  virtual void Trial(const TrialVectors& t, const TrialRequest& request, double* header,
                     double* block) = 0;
  /// Reads a reduced trial: the Gram check of the first trial, and a refresh. Local.
  virtual void ReadTrial(const TrialRequest& request, const double* header,
                         const double* block) = 0;
  /// The reduced trial was accepted: takes its products with the stored pairs and appends the
  /// candidate pair when it passes the curvature safeguard (s'y > eps y'y, Nocedal & Wright,
  /// Section 7.2). Returns false when the pair was skipped. Local.
  virtual bool Accept(const double* header, const double* block, double curvature_eps) = 0;
  /// Doubles of the products block (the direction block without a refresh); 0 for classic.
  virtual int ProductsSize() const { return 0; }
  /// Whether Accept() still reads the accepted trial's products with the stored pairs: a
  /// non-empty history that the Gram check keeps. Local (on reduced values: the same on every
  /// rank).
  virtual bool NeedsProducts() const { return false; }
  /// The accepted trial's partial products with the stored pairs, at the offsets its pass would
  /// have written them in `block` (the accepted trial ran without request.products), bit for bit
  /// those sums; v_t is the gradient the direction saw at it. Local.
  virtual void Products(const Eigen::VectorXd& vt, double* block) {
    (void)vt;
    (void)block;
  }
  /// The Gram check of the current search failed: the history must restart after this step.
  virtual bool CheckFailed() const { return false; }
  /// Forgets the stored pairs.
  virtual void Reset() { history_.Clear(); }

  History& history() { return history_; }
  const History& history() const { return history_; }

 protected:
  History history_;
};

/// The direction selected by options.two_loop, for this rank's n_local elements.
std::unique_ptr<Direction> MakeDirection(const LbfgsOptions& options, Eigen::Index n_local,
                                         Reducer& reducer);

}  // namespace dlbfgs::internal
