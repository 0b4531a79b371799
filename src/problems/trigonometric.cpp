// Trigonometric function: Moré, Garbow & Hillstrom 1981, problem 26.

#include <mpi.h>

#include <Eigen/Core>
#include <cmath>
#include <memory>
#include <vector>

#include "dlbfgs/deferred_error.hpp"
#include "problems/problem_base.hpp"

namespace dlbfgs::internal {
namespace {

/// F_i = n - sum_j cos x_j + i (1 - cos x_i) - sin x_i, i = 1..n (MGH 26). Every residual
/// depends on the global sum of cosines, and the gradient
///   g_j = 2 (sin x_j * sum_i F_i + F_j (j sin x_j - cos x_j))
/// on the global sum of residuals. Both follow from three sums of x alone,
///   C = sum_j (1 - cos x_j) = n - sum_j cos x_j,  A = sum_i i (1 - cos x_i),  B = sum_i sin x_i,
/// as F_i = C + i (1 - cos x_i) - sin x_i and sum_i F_i = n C + A - B, so one evaluation makes a
/// single MPI_Allreduce of three doubles on the partition's communicator.
///
/// 1 - cos x is formed as 2 sin^2(x/2), exact to rounding even where x is tiny (the standard start
/// is x = 1/n, where n - sum cos x_j would lose every digit of C to cancellation).
class Trigonometric final : public ProblemBase {
 public:
  explicit Trigonometric(const Partition& part)
      : ProblemBase(part, TrigonometricInfo()),
        one_minus_cos_(static_cast<std::size_t>(part.local_size())),
        sine_(static_cast<std::size_t>(part.local_size())) {}

  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                       Eigen::Ref<Eigen::VectorXd> g_local) override {
    eigen_assert(x_local.size() == local_size() && g_local.size() == local_size());
    const Eigen::Index nl = local_size();
    const double* x = x_local.data();
    double* g = g_local.data();
    double* omc = one_minus_cos_.data();
    double* sn = sine_.data();
    const Eigen::Index base = offset() + 1;  // 1-based index of local element 0

    // The local parts run through a DeferredError: the allreduce happens on every rank even
    // when one rank's part throws (the objective contract).
    DeferredError error;
    double sums[3] = {0, 0, 0};  // C, A, B of the class comment, this rank's part
    error.Run([&] {
      for (Eigen::Index k = 0; k < nl; ++k) {
        const double s = std::sin(0.5 * x[k]);
        const double c = std::cos(0.5 * x[k]);
        omc[k] = 2 * s * s;
        sn[k] = 2 * s * c;
        sums[0] += omc[k];
        sums[1] += static_cast<double>(base + k) * omc[k];
        sums[2] += sn[k];
      }
    });
    MPI_Allreduce(MPI_IN_PLACE, sums, 3, MPI_DOUBLE, MPI_SUM, part().comm());
    const double c_sum = sums[0];
    const double f_sum = static_cast<double>(n()) * sums[0] + sums[1] - sums[2];

    double share = 0;
    error.Run([&] {
      for (Eigen::Index k = 0; k < nl; ++k) {
        const double i = static_cast<double>(base + k);
        const double f_i = c_sum + i * omc[k] - sn[k];
        share += f_i * f_i;
        g[k] = 2 * (sn[k] * f_sum + f_i * (i * sn[k] - (1 - omc[k])));
      }
    });
    error.Rethrow();
    return share;
  }

  void StartingPoint(Eigen::Ref<Eigen::VectorXd> x_local) const override {
    x_local.setConstant(1.0 / static_cast<double>(n()));
  }

  bool KnownMinimizer(Eigen::Ref<Eigen::VectorXd> /*x_local*/) const override { return false; }

 private:
  std::vector<double> one_minus_cos_;  // 1 - cos x_k of the last evaluation
  std::vector<double> sine_;           // sin x_k of the last evaluation
};

}  // namespace

const ProblemInfo& TrigonometricInfo() {
  static const ProblemInfo info = [] {
    ProblemInfo i;
    i.name = "trigonometric";
    i.description =
        "trigonometric function (MGH 26): every residual needs a global sum (allreduce)";
    i.start = "(1/n, ..., 1/n)";
    i.optimum =
        "f = 0 (no closed form); L-BFGS may stop at a local minimum (f ~ 1.84e-6 at n = 100, "
        "~ 2.14e-7 at n = 1000)";
    i.granularity = 1;
    i.min_n = 1;
    i.tolerance = "--grad-rel-tol 1e-4 for n >= 1e6: ||g0|| ~ 0.34/sqrt(n) (3.4e-4 at n = 1e6)";
    i.f_star = 0;
    i.has_local_minimum = true;
    return i;
  }();
  return info;
}

std::unique_ptr<Problem> MakeTrigonometric(const Partition& part, const ProblemParams& /*params*/) {
  return std::make_unique<Trigonometric>(part);
}

}  // namespace dlbfgs::internal
