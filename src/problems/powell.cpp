// Extended Powell singular function: Moré, Garbow & Hillstrom 1981, problem 22.

#include <Eigen/Core>
#include <cmath>
#include <memory>

#include "problems/problem_base.hpp"

namespace dlbfgs::internal {
namespace {

/// f(x) = sum over quadruples i = 1..n/4 of F_{4i-3}^2 + F_{4i-2}^2 + F_{4i-1}^2 + F_{4i}^2 with
///   F_{4i-3} = x_{4i-3} + 10 x_{4i-2},      F_{4i-2} = sqrt(5) (x_{4i-1} - x_{4i}),
///   F_{4i-1} = (x_{4i-2} - 2 x_{4i-1})^2,   F_{4i}   = sqrt(10) (x_{4i-3} - x_{4i})^2   (MGH 22).
/// The Hessian is singular at the minimiser x = 0, so convergence there is only linear.
/// Quadruples never straddle a block boundary (granularity a multiple of 4): purely local.
class Powell final : public ProblemBase {
 public:
  explicit Powell(const Partition& part) : ProblemBase(part, PowellInfo()) {}

  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                       Eigen::Ref<Eigen::VectorXd> g_local) override {
    eigen_assert(x_local.size() == local_size() && g_local.size() == local_size());
    const Eigen::Index nl = local_size();
    const double* x = x_local.data();
    double* g = g_local.data();
    double share = 0;
    for (Eigen::Index k = 0; k < nl; k += 4) {
      const double a = x[k] + 10 * x[k + 1];  // F_{4i-3}
      const double b = x[k + 2] - x[k + 3];   // F_{4i-2} / sqrt(5)
      const double c = x[k + 1] - 2 * x[k + 2];
      const double d = x[k] - x[k + 3];
      const double c2 = c * c;  // F_{4i-1}
      const double d2 = d * d;  // F_{4i} / sqrt(10)
      share += a * a + 5 * b * b + c2 * c2 + 10 * d2 * d2;
      const double c3 = c2 * c;
      const double d3 = d2 * d;
      g[k] = 2 * a + 40 * d3;
      g[k + 1] = 20 * a + 4 * c3;
      g[k + 2] = 10 * b - 8 * c3;
      g[k + 3] = -10 * b - 40 * d3;
    }
    return share;
  }

  void StartingPoint(Eigen::Ref<Eigen::VectorXd> x_local) const override {
    // (3, -1, 0, 1, 3, -1, 0, 1, ...); the block offset is a multiple of 4.
    static constexpr double kPattern[4] = {3.0, -1.0, 0.0, 1.0};
    for (Eigen::Index k = 0; k < x_local.size(); ++k) x_local[k] = kPattern[k % 4];
  }

  bool KnownMinimizer(Eigen::Ref<Eigen::VectorXd> x_local) const override {
    x_local.setZero();
    return true;
  }
};

}  // namespace

const ProblemInfo& PowellInfo() {
  static const ProblemInfo info = [] {
    ProblemInfo i;
    i.name = "powell";
    i.description =
        "extended Powell singular function (MGH 22): n/4 quartic blocks, singular Hessian at x*";
    i.start = "(3, -1, 0, 1, 3, -1, 0, 1, ...)";
    i.optimum = "f = 0 at x = (0, ..., 0)";
    i.granularity = 4;
    i.min_n = 4;
    i.tolerance = "the default --grad-tol 1e-5 (||g0|| ~ 230 sqrt(n))";
    i.f_star = 0;
    i.has_local_minimum = false;
    return i;
  }();
  return info;
}

std::unique_ptr<Problem> MakePowell(const Partition& part, const ProblemParams& /*params*/) {
  return std::make_unique<Powell>(part);
}

}  // namespace dlbfgs::internal
