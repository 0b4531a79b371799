#pragma once

#include <Eigen/Core>
#include <memory>

namespace dlbfgs::internal {

/// How a trial point is formed from (x, d, alpha) and judged, and which gradient the direction
/// sees. The plain geometry is x + alpha d with the objective's gradient; the orthant geometry
/// (OWL-QN, for an L1 term) projects onto the orthant of x and hands the direction the
/// pseudo-gradient; the box geometry (bounds) projects onto the box and hands it the gradient of
/// the free variables. Each adds its partial sums to the evaluation's payload (payload.hpp) and
/// reads them back reduced; none communicates.
class TrialGeometry {
 public:
  virtual ~TrialGeometry() = default;
  /// Doubles this geometry appends to every evaluation's payload.
  virtual int PayloadSize() const = 0;
  /// Writes the trial point x_t = x(alpha) and this rank's partial sums that depend on it into
  /// `block`. `v` is the gradient the direction sees at x. Local.
  virtual void FormTrial(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                         const Eigen::VectorXd& d, double alpha, Eigen::VectorXd& xt,
                         double* block) = 0;
  /// After the objective wrote g_t: the gradient the direction sees at x_t (g_t itself, or a
  /// vector the geometry owns), adding its partial sums to `block`. Local.
  virtual const Eigen::VectorXd& TrialGradient(const Eigen::VectorXd& xt, const Eigen::VectorXd& gt,
                                               const Eigen::VectorXd& d, double* block) = 0;
  /// The trial gradient that forms the candidate pair's y = g_pair - g (g_t itself, or a vector
  /// the geometry owns). Local.
  virtual const Eigen::VectorXd& PairGradient(const Eigen::VectorXd& g, const Eigen::VectorXd& gt,
                                              const Eigen::VectorXd& d) {
    (void)g;
    (void)d;
    return gt;
  }
  /// The gradient the direction sees at the accepted iterate x (whose objective gradient is g).
  virtual const Eigen::VectorXd& Gradient(const Eigen::VectorXd& g) const = 0;
  /// The trial became the iterate (after x and g were swapped with x_t and g_t). Local.
  virtual void Accept() {}
  /// Recomputes the direction's gradient at x from g (after a resume). Local.
  virtual void Restore(const Eigen::VectorXd& x, const Eigen::VectorXd& g) {
    (void)x;
    (void)g;
  }
  /// Restricts d after the direction formed it (OWL-QN: zero every d_i that leaves the orthant's
  /// descent cone, d_i v_i >= 0). Local.
  virtual void ProjectDirection(const Eigen::VectorXd& v, Eigen::VectorXd& d) {
    (void)v;
    (void)d;
  }
  /// With an empty history (the first iteration, or after a reset) the direction formed
  /// d = -H0 v; a geometry may replace it by its own steepest-descent direction and return true
  /// (the driver then takes phi'(0) and ||d|| from the reduced scalars of x, the payload slots
  /// kBoxDescentSlope and kBoxUnclippedSq). Local.
  virtual bool SteepestDescent(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                               Eigen::VectorXd& d) {
    (void)x;
    (void)v;
    (void)d;
    return false;
  }
  /// phi of a trial from the reduced sum of the objective's shares and the reduced block.
  virtual double Phi(double f, const double* block) const {
    (void)block;
    return f;
  }
  /// The Armijo model term of a trial, from the reduced block: NaN for a straight line (the line
  /// search then uses alpha phi'(0)).
  virtual double Model(const double* block) const;
  /// Whether the trial point differs from x, from the reduced block (a projected step may move
  /// nothing).
  virtual bool Moved(const double* block) const {
    (void)block;
    return true;
  }
  /// phi'(alpha) of a trial from the reduced v_t'd (`slope`) and block: v_t'd itself on a
  /// straight line; on the orthant path the derivative along the coordinates that move.
  virtual double Slope(double slope, const double* block) const {
    (void)block;
    return slope;
  }
};

/// x + alpha d, with the objective's gradient.
std::unique_ptr<TrialGeometry> MakePlainGeometry();

/// OWL-QN (Andrew & Gao, ICML 2007) for F(x) = f(x) + sum_i lambda_i |x_i|, lambda_i =
/// l1_weight * w_i (w empty: every w_i = 1). Allocates the pseudo-gradients (2 n_local doubles)
/// and lambda (n_local).
std::unique_ptr<TrialGeometry> MakeOrthantGeometry(Eigen::Index n_local, double l1_weight,
                                                   const double* weights);

/// Projected L-BFGS for bounds l <= x <= u (the projected quasi-Newton family: BLMVM, Benson &
/// More 2001; VMLMB, Thiebaut 2002): x(alpha) = P(x + alpha d), P the projection onto the box;
/// the direction sees the gradient with every held variable zeroed (one on a bound whose gradient
/// points outward: x_i = l_i and g_i >= 0, or x_i = u_i and g_i <= 0; l_i = u_i is always held).
/// `lower` and `upper` are this rank's blocks (n_local each, l <= u, +-inf allowed); they must
/// outlive the geometry. Allocates three gradients (3 n_local doubles) and the held masks
/// (2 n_local bytes).
std::unique_ptr<TrialGeometry> MakeBoxGeometry(Eigen::Index n_local, const double* lower,
                                               const double* upper);

}  // namespace dlbfgs::internal
