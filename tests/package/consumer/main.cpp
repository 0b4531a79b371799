// Minimises a separable quadratic of its own with the installed dlbfgs; exits 0 only when the
// solver converged to the known minimiser on every rank.

#include <mpi.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <dlbfgs/dlbfgs.hpp>

namespace {

// f(x) = sum_i 0.5 d_i (x_i - 1)^2 with d_i = 1 + (i mod 10): minimiser x = 1, f* = 0.
class SeparableQuadratic : public dlbfgs::Objective {
 public:
  explicit SeparableQuadratic(const dlbfgs::Partition& part) : offset_(part.offset()) {}

  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                       Eigen::Ref<Eigen::VectorXd> g_local) override {
    double f = 0;
    for (Eigen::Index i = 0; i < x_local.size(); ++i) {
      const double d = 1.0 + static_cast<double>((offset_ + i) % 10);
      const double r = x_local[i] - 1.0;
      f += 0.5 * d * r * r;
      g_local[i] = d * r;
    }
    return f;
  }

 private:
  Eigen::Index offset_;
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int status = 1;
  {
    const auto part = dlbfgs::Partition::Uniform(MPI_COMM_WORLD, 1001);
    SeparableQuadratic objective(part);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());

    dlbfgs::LbfgsOptions options;
    options.grad_tol = 1e-8;
    const dlbfgs::LbfgsResult result = dlbfgs::Minimize(objective, part, x, options);

    double local_error = x.size() > 0 ? (x.array() - 1.0).abs().maxCoeff() : 0.0;
    double error = 0;
    MPI_Allreduce(&local_error, &error, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);

    const bool ok = result.Converged() && error < 1e-6;
    if (part.rank() == 0) {
      std::printf(
          "dlbfgs %s on %d ranks: %s (%s), f = %.3e, |g| = %.3e, %d iterations, "
          "max |x - 1| = %.3e\n",
          dlbfgs::kVersion, part.size(), ok ? "ok" : "FAILED", dlbfgs::ToString(result.reason),
          result.f, result.grad_norm, result.iterations, error);
    }
    status = ok ? 0 : 1;
  }
  MPI_Finalize();
  return status;
}
