#pragma once

#include <Eigen/Core>

#include "history.hpp"
#include "two_loop.hpp"

namespace dlbfgs::internal {

/// The streaming passes over this rank's vectors. Each walks the rows in cache-sized blocks so
/// that every stored column is read from memory once per pass while the short vectors of the
/// block stay in L2; all of them are local (they return partial sums, never reduce).

/// d = -(sum_k cs(k) s_k + cy(k) y_k + cg g) in one pass; returns the partial sum of g'd.
double FormDirection(const History& h, const DirectionCoefficients& c, const Eigen::VectorXd& g,
                     Eigen::VectorXd& d);

/// Partial sums of a trial point, for the allreduce that also carries f.
struct TrialPartials {
  double gtd = 0;  ///< v_t'd (phi'(alpha))
  double gg = 0;   ///< v_t'v_t
  double sy = 0;   ///< candidate pair: s_t'y_t
  double yy = 0;   ///< y_t'y_t
  double ss = 0;   ///< s_t's_t
  double sg = 0;   ///< s_t'v_t
  double yg = 0;   ///< y_t'v_t
};

/// The vectors of one trial, this rank's blocks: the iterate x and its gradient g, the trial point
/// x_t and its gradient g_t, the gradient v_t that the direction sees at x_t (g_t itself, or the
/// L1 pseudo-gradient), and the direction d.
struct TrialVectors {
  const Eigen::VectorXd& x;
  const Eigen::VectorXd& xt;
  const Eigen::VectorXd& g;
  const Eigen::VectorXd& gt;
  const Eigen::VectorXd& vt;
  const Eigen::VectorXd& d;
};

/// Writes the candidate pair s_t = x_t - x, y_t = g_t - g into the spare slot of `h` and computes
/// the trial's partial sums (gtd = v_t'd, gg = v_t'v_t, sg = s_t'v_t, yg = y_t'v_t). When `cross`
/// is non-null it also computes, for every stored pair (slot j), the six cross products the fused
/// Gram update needs, at cross[kCrossPerPair j + CrossSlot] (payload.hpp). One pass.
TrialPartials TrialPass(History& h, const TrialVectors& v, double* cross);

/// For an accepted trial whose pass ran without `cross` (LbfgsOptions::trial_products): the same
/// cross products TrialPass would have formed, of every stored pair with the candidate pair in
/// the spare slot and with v_t, at cross[kCrossPerPair j + CrossSlot]. The same kernel over the
/// same blocks in the same order, so the sums are bit for bit TrialPass's. One pass.
void CrossPass(History& h, const Eigen::VectorXd& vt, double* cross);

/// Partial sums of the Gram blocks among the stored pairs, for a refresh: three column-major
/// (m+1) x (m+1) blocks indexed by slot, s_i's_j, then s_i'y_j, then y_i'y_j (zero elsewhere).
/// One pass.
void GramPartials(const History& h, double* out);

}  // namespace dlbfgs::internal
