#pragma once

// Private to the built-in problems: sums of squares whose residual F_i couples x_i to its two
// neighbours x_{i-1} and x_{i+1} (MGH problems 28 and 30), distributed with halo exchanges.

#include <Eigen/Core>
#include <vector>

#include "dlbfgs/deferred_error.hpp"
#include "problems/halo.hpp"
#include "problems/problem_base.hpp"

namespace dlbfgs::internal {

/// f(x) = sum_{i=1}^n F_i(x)^2 with F_i = F_i(x_{i-1}, x_i, x_{i+1}) and x_0 = x_{n+1} = 0.
///
/// `Stencil` supplies (1-based i, as in Moré, Garbow & Hillstrom 1981):
///   double Residual(double x_prev, double x_i, double x_next, Eigen::Index i) const;
///   double Diagonal(double x_i, Eigen::Index i) const;        // dF_i / dx_i
///   static constexpr double kLower;                           // dF_i / dx_{i-1}, a constant
///   static constexpr double kUpper;                           // dF_i / dx_{i+1}, a constant
///
/// The gradient g_j = 2 (dF_j/dx_j F_j + kUpper F_{j-1} + kLower F_{j+1}) needs the residuals
/// next to the block as well, so one evaluation makes two neighbour exchanges of one double
/// each way: the ghost values x_{offset-1}, x_{offset+nl} (to form the block's residuals), then
/// the ghost residuals F_{offset-1}, F_{offset+nl} (to form its gradient). The rank's share of
/// f is the sum of the squares of the residuals it owns. No allocation per evaluation. The local
/// parts run through a DeferredError, so that both exchanges happen on every rank even when one
/// rank's part throws (the objective contract).
template <class Stencil>
class TridiagonalSumOfSquares : public ProblemBase {
 public:
  TridiagonalSumOfSquares(const Partition& part, const ProblemInfo& info, Stencil stencil)
      : ProblemBase(part, info),
        stencil_(stencil),
        halo_(part),
        residuals_(static_cast<std::size_t>(part.local_size() + 2), 0.0) {}

  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                       Eigen::Ref<Eigen::VectorXd> g_local) override {
    eigen_assert(x_local.size() == local_size() && g_local.size() == local_size());
    const Eigen::Index nl = local_size();
    const double* x = x_local.data();
    double* g = g_local.data();
    // 1-based MGH index of local element k is base + k.
    const Eigen::Index base = offset() + 1;

    // x_0 = x_{n+1} = 0 where the block touches the domain boundary.
    double x_left = 0;
    double x_right = 0;
    halo_.Exchange(nl > 0 ? x[0] : 0, nl > 0 ? x[nl - 1] : 0, &x_left, &x_right, kTagX);

    // r[k + 1] = F_{base+k}; r[0] and r[nl + 1] are the ghost residuals. The first and last
    // residuals are peeled so that the interior loop has no branches.
    double* r = residuals_.data();
    double share = 0;
    DeferredError error;
    error.Run([&] {
      if (nl == 1) {
        r[1] = stencil_.Residual(x_left, x[0], x_right, base);
      } else if (nl > 1) {
        r[1] = stencil_.Residual(x_left, x[0], x[1], base);
        for (Eigen::Index k = 1; k + 1 < nl; ++k) {
          r[k + 1] = stencil_.Residual(x[k - 1], x[k], x[k + 1], base + k);
        }
        r[nl] = stencil_.Residual(x[nl - 2], x[nl - 1], x_right, base + nl - 1);
      }
      for (Eigen::Index k = 1; k <= nl; ++k) share += r[k] * r[k];
    });

    // F_0 = F_{n+1} = 0: no residual beyond the domain boundary.
    r[0] = 0;
    r[nl + 1] = 0;
    halo_.Exchange(nl > 0 ? r[1] : 0, nl > 0 ? r[nl] : 0, &r[0], &r[nl + 1], kTagResidual);

    error.Run([&] {
      for (Eigen::Index k = 0; k < nl; ++k) {
        g[k] = 2 * (stencil_.Diagonal(x[k], base + k) * r[k + 1] + Stencil::kUpper * r[k] +
                    Stencil::kLower * r[k + 2]);
      }
    });
    error.Rethrow();
    return share;
  }

 private:
  // Point-to-point tags on the user's communicator (each exchange uses tag and tag + 1).
  static constexpr int kTagX = 24101;
  static constexpr int kTagResidual = 24103;

  Stencil stencil_;
  NeighbourHalo halo_;
  std::vector<double> residuals_;  // local residuals with one ghost slot on each side
};

}  // namespace dlbfgs::internal
