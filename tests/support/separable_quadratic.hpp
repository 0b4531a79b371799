#pragma once

#include <Eigen/Core>
#include <cmath>

#include "dlbfgs/objective.hpp"
#include "dlbfgs/partition.hpp"

namespace dlbfgs::test_support {

/// f(x) = sum_i a_i (x_i - c_i)^2 / 2 with a_i = A(i) in [1, 4] and c_i = C(i), deterministic in
/// the global index i, so that the same problem lies on any partition. Its constrained solutions
/// are known in closed form (soft thresholding with L1, clamping with bounds). Collective only as
/// the solver calls it; no communication.
class SeparableQuadratic : public Objective {
 public:
  explicit SeparableQuadratic(const Partition& part) : part_(part) {}
  static double A(Eigen::Index i) { return 1 + 3 * std::fabs(std::sin(0.7 * i + 0.3)); }
  /// The minimiser's coordinate i without constraints.
  virtual double C(Eigen::Index i) const = 0;
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    double f = 0;
    for (Eigen::Index k = 0; k < x.size(); ++k) {
      const Eigen::Index i = part_.offset() + k;
      const double r = x[k] - C(i);
      f += 0.5 * A(i) * r * r;
      g[k] = A(i) * r;
    }
    return f;
  }

 private:
  const Partition& part_;
};

}  // namespace dlbfgs::test_support
