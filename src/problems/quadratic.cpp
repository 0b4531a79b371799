// Separable convex quadratic with a prescribed condition number (not an MGH problem).

#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "problems/problem_base.hpp"

namespace dlbfgs::internal {
namespace {

/// f(x) = 1/2 sum_i lambda_i (x_i - 1)^2 with lambda_i = kappa^{(i-1)/(n-1)} (1-based i): the
/// eigenvalues spread geometrically from 1 to kappa = params.condition (lambda = 1 when n = 1).
/// Minimiser x = 1 exactly, f* = 0. Purely local; the eigenvalues of the block are computed once.
class Quadratic final : public ProblemBase {
 public:
  Quadratic(const Partition& part, double condition)
      : ProblemBase(part, QuadraticInfo()),
        condition_(condition),
        lambda_(static_cast<std::size_t>(part.local_size())) {
    const Eigen::Index n = part.global_size();
    const double log_kappa = std::log(condition);
    for (Eigen::Index k = 0; k < part.local_size(); ++k) {
      // 0-based global index j = i - 1; exponent j / (n - 1) in [0, 1].
      const double j = static_cast<double>(part.offset() + k);
      lambda_[static_cast<std::size_t>(k)] =
          n > 1 ? std::exp(log_kappa * j / static_cast<double>(n - 1)) : 1.0;
    }
  }

  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                       Eigen::Ref<Eigen::VectorXd> g_local) override {
    eigen_assert(x_local.size() == local_size() && g_local.size() == local_size());
    const Eigen::Index nl = local_size();
    const double* x = x_local.data();
    const double* lambda = lambda_.data();
    double* g = g_local.data();
    double share = 0;
    for (Eigen::Index k = 0; k < nl; ++k) {
      const double e = x[k] - 1;
      g[k] = lambda[k] * e;
      share += g[k] * e;
    }
    return 0.5 * share;
  }

  void StartingPoint(Eigen::Ref<Eigen::VectorXd> x_local) const override { x_local.setZero(); }

  bool KnownMinimizer(Eigen::Ref<Eigen::VectorXd> x_local) const override {
    x_local.setOnes();
    return true;
  }

  std::string CheckpointLabel() const override {
    char label[64];
    std::snprintf(label, sizeof label, "problem=quadratic condition=%.17g", condition_);
    return label;
  }

 private:
  double condition_;
  std::vector<double> lambda_;  // eigenvalues of this rank's block
};

}  // namespace

const ProblemInfo& QuadraticInfo() {
  static const ProblemInfo info = [] {
    ProblemInfo i;
    i.name = "quadratic";
    i.description =
        "separable quadratic 1/2 sum lambda_i (x_i - 1)^2, eigenvalues geometric from 1 to the "
        "condition number (default 1e4)";
    i.start = "(0, ..., 0)";
    i.optimum = "f = 0 at x = (1, ..., 1)";
    i.granularity = 1;
    i.min_n = 1;
    i.tolerance = "the default --grad-tol 1e-5, or --grad-rel-tol for large --condition";
    i.f_star = 0;
    i.has_local_minimum = false;
    return i;
  }();
  return info;
}

std::unique_ptr<Problem> MakeQuadratic(const Partition& part, const ProblemParams& params) {
  if (!std::isfinite(params.condition) || params.condition < 1) {
    std::ostringstream message;
    message << "problem 'quadratic': condition must be finite and >= 1, got " << params.condition;
    throw std::invalid_argument(message.str());
  }
  return std::make_unique<Quadratic>(part, params.condition);
}

}  // namespace dlbfgs::internal
