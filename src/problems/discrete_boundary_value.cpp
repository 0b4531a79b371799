// Discrete boundary value function: Moré, Garbow & Hillstrom 1981, problem 28.

#include <Eigen/Core>
#include <memory>

#include "problems/problem_base.hpp"
#include "problems/tridiagonal.hpp"

namespace dlbfgs::internal {
namespace {

/// F_i = 2 x_i - x_{i-1} - x_{i+1} + h^2 (x_i + t_i + 1)^3 / 2 with h = 1/(n+1), t_i = i h and
/// x_0 = x_{n+1} = 0 (MGH 28): a finite-difference two-point boundary value problem, whose
/// Hessian has condition number O(n^4).
struct BoundaryValueStencil {
  static constexpr double kLower = -1;  // dF_i / dx_{i-1}
  static constexpr double kUpper = -1;  // dF_i / dx_{i+1}

  double h;

  double Residual(double x_prev, double x_i, double x_next, Eigen::Index i) const {
    const double u = x_i + static_cast<double>(i) * h + 1;
    return 2 * x_i - x_prev - x_next + 0.5 * h * h * u * u * u;
  }
  double Diagonal(double x_i, Eigen::Index i) const {
    const double u = x_i + static_cast<double>(i) * h + 1;
    return 2 + 1.5 * h * h * u * u;
  }
};

class DiscreteBoundaryValue final : public TridiagonalSumOfSquares<BoundaryValueStencil> {
 public:
  explicit DiscreteBoundaryValue(const Partition& part)
      : TridiagonalSumOfSquares(
            part, DiscreteBoundaryValueInfo(),
            BoundaryValueStencil{1.0 / static_cast<double>(part.global_size() + 1)}) {}

  void StartingPoint(Eigen::Ref<Eigen::VectorXd> x_local) const override {
    // x_j = t_j (t_j - 1), t_j = j h with the 1-based index j = offset + k + 1.
    const double h = 1.0 / static_cast<double>(n() + 1);
    for (Eigen::Index k = 0; k < x_local.size(); ++k) {
      const double t = static_cast<double>(offset() + k + 1) * h;
      x_local[k] = t * (t - 1);
    }
  }

  bool KnownMinimizer(Eigen::Ref<Eigen::VectorXd> /*x_local*/) const override { return false; }
};

}  // namespace

const ProblemInfo& DiscreteBoundaryValueInfo() {
  static const ProblemInfo info = [] {
    ProblemInfo i;
    i.name = "discrete-boundary-value";
    i.description =
        "discrete boundary value function (MGH 28): very ill-conditioned, neighbour coupling";
    i.start = "x_j = t_j (t_j - 1), t_j = j / (n + 1)";
    i.optimum = "f = 0 (no closed form)";
    i.granularity = 1;
    i.min_n = 1;
    i.tolerance =
        "--grad-tol 0 --grad-rel-tol 1e-6: ||g0|| ~ 5/n^2 (5e-4 at n = 100, 5e-8 at n = 1e4) falls "
        "below the default grad_tol from n ~ 700";
    i.f_star = 0;
    i.has_local_minimum = false;
    return i;
  }();
  return info;
}

std::unique_ptr<Problem> MakeDiscreteBoundaryValue(const Partition& part,
                                                   const ProblemParams& /*params*/) {
  return std::make_unique<DiscreteBoundaryValue>(part);
}

}  // namespace dlbfgs::internal
