// Broyden tridiagonal function: Moré, Garbow & Hillstrom 1981, problem 30.

#include <Eigen/Core>
#include <memory>

#include "problems/problem_base.hpp"
#include "problems/tridiagonal.hpp"

namespace dlbfgs::internal {
namespace {

/// F_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1, x_0 = x_{n+1} = 0 (MGH 30).
struct BroydenStencil {
  static constexpr double kLower = -1;  // dF_i / dx_{i-1}
  static constexpr double kUpper = -2;  // dF_i / dx_{i+1}

  double Residual(double x_prev, double x_i, double x_next, Eigen::Index /*i*/) const {
    return (3 - 2 * x_i) * x_i - x_prev - 2 * x_next + 1;
  }
  double Diagonal(double x_i, Eigen::Index /*i*/) const { return 3 - 4 * x_i; }
};

class BroydenTridiagonal final : public TridiagonalSumOfSquares<BroydenStencil> {
 public:
  explicit BroydenTridiagonal(const Partition& part)
      : TridiagonalSumOfSquares(part, BroydenTridiagonalInfo(), BroydenStencil()) {}

  void StartingPoint(Eigen::Ref<Eigen::VectorXd> x_local) const override {
    x_local.setConstant(-1.0);
  }

  bool KnownMinimizer(Eigen::Ref<Eigen::VectorXd> /*x_local*/) const override { return false; }
};

}  // namespace

const ProblemInfo& BroydenTridiagonalInfo() {
  static const ProblemInfo info = [] {
    ProblemInfo i;
    i.name = "broyden-tridiagonal";
    i.description =
        "Broyden tridiagonal function (MGH 30): residuals couple neighbours (halo exchange)";
    i.start = "(-1, ..., -1)";
    i.optimum =
        "f = 0 (no closed form); for n >= 1000 L-BFGS may stop at a local minimum f ~ 0.712528";
    i.granularity = 1;
    i.min_n = 1;
    i.tolerance = "the default --grad-tol 1e-5 (||g0|| ~ 8 sqrt(n))";
    i.f_star = 0;
    i.has_local_minimum = true;
    return i;
  }();
  return info;
}

std::unique_ptr<Problem> MakeBroydenTridiagonal(const Partition& part,
                                                const ProblemParams& /*params*/) {
  return std::make_unique<BroydenTridiagonal>(part);
}

}  // namespace dlbfgs::internal
