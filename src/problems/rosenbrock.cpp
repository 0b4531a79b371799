// Extended Rosenbrock function: Moré, Garbow & Hillstrom 1981, problem 21.

#include <Eigen/Core>
#include <memory>

#include "problems/problem_base.hpp"

namespace dlbfgs::internal {
namespace {

/// f(x) = sum_{i=1}^{n/2} F_{2i-1}^2 + F_{2i}^2 with F_{2i-1} = 10 (x_{2i} - x_{2i-1}^2) and
/// F_{2i} = 1 - x_{2i-1} (MGH 21). Pairs never straddle a block boundary (the partition's
/// granularity is a multiple of 2), so an evaluation is purely local.
class Rosenbrock final : public ProblemBase {
 public:
  explicit Rosenbrock(const Partition& part) : ProblemBase(part, RosenbrockInfo()) {}

  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                       Eigen::Ref<Eigen::VectorXd> g_local) override {
    eigen_assert(x_local.size() == local_size() && g_local.size() == local_size());
    // One streaming pass: x read once, g written once, no temporaries. Local pair p is
    // (x[2p], x[2p+1]) = (x_{2i-1}, x_{2i}) because the block offset is even.
    const Eigen::Index nl = local_size();
    const double* x = x_local.data();
    double* g = g_local.data();
    double share = 0;
    for (Eigen::Index k = 0; k < nl; k += 2) {
      const double x1 = x[k];
      const double x2 = x[k + 1];
      const double t = x2 - x1 * x1;  // F_{2i-1} / 10
      const double u = 1 - x1;        // F_{2i}
      share += 100 * t * t + u * u;
      g[k] = -400 * x1 * t - 2 * u;
      g[k + 1] = 200 * t;
    }
    return share;
  }

  void StartingPoint(Eigen::Ref<Eigen::VectorXd> x_local) const override {
    // (-1.2, 1, -1.2, 1, ...): odd 1-based positions (even local ones) are -1.2.
    for (Eigen::Index k = 0; k < x_local.size(); ++k) x_local[k] = (k % 2 == 0) ? -1.2 : 1.0;
  }

  bool KnownMinimizer(Eigen::Ref<Eigen::VectorXd> x_local) const override {
    x_local.setOnes();
    return true;
  }
};

}  // namespace

const ProblemInfo& RosenbrockInfo() {
  static const ProblemInfo info = [] {
    ProblemInfo i;
    i.name = "rosenbrock";
    i.description = "extended Rosenbrock function (MGH 21): n/2 independent 2-D Rosenbrock valleys";
    i.start = "(-1.2, 1, -1.2, 1, ...)";
    i.optimum = "f = 0 at x = (1, ..., 1)";
    i.granularity = 2;
    i.min_n = 2;
    i.tolerance = "the default --grad-tol 1e-5 (||g0|| ~ 165 sqrt(n))";
    i.f_star = 0;
    i.has_local_minimum = false;
    return i;
  }();
  return info;
}

std::unique_ptr<Problem> MakeRosenbrock(const Partition& part, const ProblemParams& /*params*/) {
  return std::make_unique<Rosenbrock>(part);
}

}  // namespace dlbfgs::internal
