#include "trial_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "first_touch.hpp"
#include "payload.hpp"

namespace dlbfgs::internal {

double TrialGeometry::Model(const double* block) const {
  (void)block;
  return std::numeric_limits<double>::quiet_NaN();
}

namespace {

class PlainGeometry final : public TrialGeometry {
 public:
  int PayloadSize() const override { return 0; }
  void FormTrial(const Eigen::VectorXd& x, const Eigen::VectorXd& v, const Eigen::VectorXd& d,
                 double alpha, Eigen::VectorXd& xt, double* block) override {
    (void)v;
    (void)block;
    xt.noalias() = x + alpha * d;
  }
  const Eigen::VectorXd& TrialGradient(const Eigen::VectorXd& xt, const Eigen::VectorXd& gt,
                                       const Eigen::VectorXd& d, double* block) override {
    (void)xt;
    (void)d;
    (void)block;
    return gt;
  }
  const Eigen::VectorXd& Gradient(const Eigen::VectorXd& g) const override { return g; }
};

// OWL-QN's pieces (Andrew & Gao 2007, Sections 3.1-3.2), coordinate by coordinate. A coordinate
// with lambda_i = 0 is unpenalised: plain L-BFGS there (no orthant, no sign projection).
class OrthantGeometry final : public TrialGeometry {
 public:
  OrthantGeometry(Eigen::Index n_local, double l1_weight, const double* weights)
      : lambda_(n_local), v_(Eigen::VectorXd::Zero(n_local)), vt_(Eigen::VectorXd::Zero(n_local)) {
    for (Eigen::Index i = 0; i < n_local; ++i) {
      lambda_[i] = weights == nullptr ? l1_weight : l1_weight * weights[i];
    }
    FirstTouch(v_.data(), v_.size());
    FirstTouch(vt_.data(), vt_.size());
  }

  int PayloadSize() const override { return kOrthantSize; }

  // x_t = pi(x + alpha d; xi), xi_i = sign(x_i), or sign(-v_i) where x_i = 0: a coordinate that
  // would leave its orthant is set to 0. The orthant of x_i = 0 comes from the pseudo-gradient,
  // not from d (breeze #247).
  void FormTrial(const Eigen::VectorXd& x, const Eigen::VectorXd& v, const Eigen::VectorXd& d,
                 double alpha, Eigen::VectorXd& xt, double* block) override {
    double penalty = 0, model = 0, l1 = 0, nonzeros = 0, moved = 0;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      double t = x[i] + alpha * d[i];
      if (lambda_[i] > 0) {
        const double xi = x[i] != 0 ? x[i] : -v[i];
        if (!(t * xi > 0)) t = 0;
      }
      xt[i] = t;
      penalty += lambda_[i] * std::fabs(t);
      model += v[i] * (t - x[i]);
      l1 += std::fabs(t);
      nonzeros += t != 0 ? 1 : 0;
      moved += (t - x[i]) * (t - x[i]);
    }
    block[kPenalty] = penalty;
    block[kModel] = model;
    block[kL1Norm] = l1;
    block[kNonzeros] = nonzeros;
    block[kMovedSq] = moved;
  }

  const Eigen::VectorXd& TrialGradient(const Eigen::VectorXd& xt, const Eigen::VectorXd& gt,
                                       const Eigen::VectorXd& d, double* block) override {
    PseudoGradient(xt, gt, vt_);
    block[kSmoothGradSq] = gt.squaredNorm();
    // Along the path x(alpha) a coordinate held at 0 by the projection does not move: the
    // derivative of F is v_t'd over the others.
    double slope = 0;
    for (Eigen::Index i = 0; i < xt.size(); ++i) {
      if (xt[i] != 0 || lambda_[i] == 0) slope += vt_[i] * d[i];
    }
    block[kPathSlope] = slope;
    return vt_;
  }
  const Eigen::VectorXd& Gradient(const Eigen::VectorXd& g) const override {
    (void)g;
    return v_;
  }
  void Accept() override { std::swap(v_, vt_); }
  void Restore(const Eigen::VectorXd& x, const Eigen::VectorXd& g) override {
    PseudoGradient(x, g, v_);
  }

  // The direction must stay in the orthant's descent cone: zero every d_i with d_i v_i >= 0.
  void ProjectDirection(const Eigen::VectorXd& v, Eigen::VectorXd& d) override {
    for (Eigen::Index i = 0; i < d.size(); ++i) {
      if (lambda_[i] > 0 && d[i] * v[i] >= 0) d[i] = 0;
    }
  }

  // F = f + sum lambda |x|: the L1 term belongs to the reference value too (breeze #697).
  double Phi(double f, const double* block) const override { return f + block[kPenalty]; }
  double Model(const double* block) const override { return block[kModel]; }
  bool Moved(const double* block) const override { return block[kMovedSq] > 0; }
  double Slope(double slope, const double* block) const override {
    (void)slope;
    return block[kPathSlope];
  }

 private:
  // The minimum-norm subgradient of F at x, coordinate by coordinate (Andrew & Gao, eq. 4).
  void PseudoGradient(const Eigen::VectorXd& x, const Eigen::VectorXd& g,
                      Eigen::VectorXd& out) const {
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const double l = lambda_[i];
      if (x[i] > 0 || (x[i] == 0 && g[i] + l < 0)) {
        out[i] = g[i] + l;
      } else if (x[i] < 0 || (x[i] == 0 && g[i] - l > 0)) {
        out[i] = g[i] - l;
      } else {
        out[i] = l > 0 ? 0.0 : g[i];
      }
    }
  }

  Eigen::VectorXd lambda_;
  Eigen::VectorXd v_, vt_;  // the pseudo-gradient at x and at the trial point
};

// Projected L-BFGS on a box (Benson & More 2001; Thiebaut 2002), coordinate by coordinate. A
// variable is held at x when it sits on a bound and its gradient points out of the box (or
// l_i = u_i): the direction sees 0 there and d_i = 0. Every other variable is free.
class BoxGeometry final : public TrialGeometry {
 public:
  BoxGeometry(Eigen::Index n_local, const double* lower, const double* upper)
      : lower_(lower),
        upper_(upper),
        v_(Eigen::VectorXd::Zero(n_local)),
        vt_(Eigen::VectorXd::Zero(n_local)),
        pair_(Eigen::VectorXd::Zero(n_local)),
        held_(static_cast<std::size_t>(n_local), 0),
        held_t_(static_cast<std::size_t>(n_local), 0) {
    FirstTouch(v_.data(), v_.size());
    FirstTouch(vt_.data(), vt_.size());
    FirstTouch(pair_.data(), pair_.size());
  }

  int PayloadSize() const override { return kBoxSize; }

  // The pair lives on the variables that move: y_i = 0 where d_i = 0 (held variables; s_i = 0
  // there too), so that the gradient change of a variable pinned at its bound does not inflate
  // y'y and shrink the scale s'y / y'y of every later step.
  const Eigen::VectorXd& PairGradient(const Eigen::VectorXd& g, const Eigen::VectorXd& gt,
                                      const Eigen::VectorXd& d) override {
    for (Eigen::Index i = 0; i < gt.size(); ++i) pair_[i] = d[i] == 0 ? g[i] : gt[i];
    return pair_;
  }

  // x_t = P(x + alpha d): each coordinate clipped to [l_i, u_i]. At alpha = 0 (the start point)
  // this projects x_0 into the box.
  void FormTrial(const Eigen::VectorXd& x, const Eigen::VectorXd& v, const Eigen::VectorXd& d,
                 double alpha, Eigen::VectorXd& xt, double* block) override {
    double model = 0, moved = 0;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      // A step that reaches a bound lands on it exactly: x_i + (u_i - x_i) need not round to
      // u_i, and a coordinate left an ulp inside its bound would count as free, not active.
      const double step = alpha * d[i];
      double t;
      if (step >= upper_[i] - x[i]) {
        t = upper_[i];
      } else if (step <= lower_[i] - x[i]) {
        t = lower_[i];
      } else {
        t = std::clamp(x[i] + step, lower_[i], upper_[i]);
      }
      xt[i] = t;
      model += v[i] * (t - x[i]);
      moved += (t - x[i]) * (t - x[i]);
    }
    block[kBoxModel] = model;
    block[kBoxMovedSq] = moved;
  }

  const Eigen::VectorXd& TrialGradient(const Eigen::VectorXd& xt, const Eigen::VectorXd& gt,
                                       const Eigen::VectorXd& d, double* block) override {
    Free(xt, gt, vt_, held_t_);
    double slope = 0, gg = 0, proj = 0, active = 0, descent = 0, unclipped = 0;
    for (Eigen::Index i = 0; i < xt.size(); ++i) {
      const double l = lower_[i], u = upper_[i], t = xt[i];
      // Along the path x(alpha) a coordinate clipped at its bound does not move: the derivative
      // of f is g_t'd over the others.
      const bool clipped = (t <= l && d[i] < 0) || (t >= u && d[i] > 0);
      if (!clipped) slope += gt[i] * d[i];
      gg += gt[i] * gt[i];
      double p = t - gt[i];
      if (p >= l && p <= u) unclipped += gt[i] * gt[i];
      if (p < l) p = l;
      if (p > u) p = u;
      proj += (p - t) * (p - t);
      descent += gt[i] * (p - t);
      active += t == l || t == u ? 1 : 0;
    }
    block[kBoxPathSlope] = slope;
    block[kBoxGradSq] = gg;
    block[kBoxProjGradSq] = proj;
    block[kBoxActive] = active;
    block[kBoxDescentSlope] = descent;
    block[kBoxUnclippedSq] = unclipped;
    return vt_;
  }
  const Eigen::VectorXd& Gradient(const Eigen::VectorXd& g) const override {
    (void)g;
    return v_;
  }
  void Accept() override {
    std::swap(v_, vt_);
    std::swap(held_, held_t_);
  }
  void Restore(const Eigen::VectorXd& x, const Eigen::VectorXd& g) override {
    Free(x, g, v_, held_);
  }

  // The held variables stay where they are.
  void ProjectDirection(const Eigen::VectorXd& v, Eigen::VectorXd& d) override {
    (void)v;
    for (Eigen::Index i = 0; i < d.size(); ++i) {
      if (held_[static_cast<std::size_t>(i)] != 0) d[i] = 0;
    }
  }

  // The projected-gradient direction d = P(x - v) - x (Bertsekas, "Nonlinear Programming",
  // 2nd ed., Section 2.3, the feasible-direction form of gradient projection with unit scale, as
  // L-BFGS-B's first Cauchy point with B0 = I): where a bound is within reach of the unit
  // steepest-descent step, d goes to the bound instead of past it, so that the first pair
  // measures the curvature along the path the variables actually take. A held variable has
  // v_i = 0 and stays (d_i = 0). phi'(0) = g'd <= 0 (zero only at a stationary point).
  bool SteepestDescent(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                       Eigen::VectorXd& d) override {
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      double p = x[i] - v[i];
      if (p < lower_[i]) p = lower_[i];
      if (p > upper_[i]) p = upper_[i];
      d[i] = p - x[i];
    }
    return true;
  }

  double Model(const double* block) const override { return block[kBoxModel]; }
  bool Moved(const double* block) const override { return block[kBoxMovedSq] > 0; }
  double Slope(double slope, const double* block) const override {
    (void)slope;
    return block[kBoxPathSlope];
  }

 private:
  // The gradient of the free variables at x (0 at the held ones) and the held mask.
  void Free(const Eigen::VectorXd& x, const Eigen::VectorXd& g, Eigen::VectorXd& out,
            std::vector<unsigned char>& held) const {
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const bool h = (x[i] <= lower_[i] && g[i] >= 0) || (x[i] >= upper_[i] && g[i] <= 0);
      held[static_cast<std::size_t>(i)] = h ? 1 : 0;
      out[i] = h ? 0.0 : g[i];
    }
  }

  const double* lower_;
  const double* upper_;
  Eigen::VectorXd v_, vt_;  // the free gradient at x and at the trial point
  Eigen::VectorXd pair_;    // the trial gradient of the candidate pair (PairGradient)
  std::vector<unsigned char> held_, held_t_;  // held variables at x and at the trial point
};

}  // namespace

std::unique_ptr<TrialGeometry> MakePlainGeometry() { return std::make_unique<PlainGeometry>(); }

std::unique_ptr<TrialGeometry> MakeOrthantGeometry(Eigen::Index n_local, double l1_weight,
                                                   const double* weights) {
  return std::make_unique<OrthantGeometry>(n_local, l1_weight, weights);
}

std::unique_ptr<TrialGeometry> MakeBoxGeometry(Eigen::Index n_local, const double* lower,
                                               const double* upper) {
  return std::make_unique<BoxGeometry>(n_local, lower, upper);
}

}  // namespace dlbfgs::internal
