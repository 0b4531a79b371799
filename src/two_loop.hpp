#pragma once

#include <Eigen/Core>

#include "history.hpp"
#include "reducer.hpp"

namespace dlbfgs::internal {

/// The direction d = -H g as a combination of the stored vectors: H g = sum_k cs(k) s_k +
/// sum_k cy(k) y_k + cg g, with k = 0 the oldest stored pair.
struct DirectionCoefficients {
  explicit DirectionCoefficients(int m)
      : cs(Eigen::VectorXd::Zero(m)),
        cy(Eigen::VectorXd::Zero(m)),
        alpha(Eigen::VectorXd::Zero(m)) {}
  Eigen::VectorXd cs;
  Eigen::VectorXd cy;
  double cg = 1;
  Eigen::VectorXd alpha;  ///< workspace of the first loop
};

/// Vector-free two-loop recursion (Chen, Wang & Zhou, NeurIPS 2014): Nocedal & Wright Alg. 7.4
/// run on coefficients, with every inner product read from the replicated Gram scalars of `h`
/// and `gg` = g'g. Initial matrix H0 = gamma I, gamma = s'y / y'y of the newest pair (N&W 7.20).
/// Local: no communication, O(m^2) flops.
void FusedTwoLoop(const History& h, double gg, DirectionCoefficients& c);

/// g'd and d'd for d = -(H g) given by `c`, from the Gram scalars. Local.
double GramSlope(const History& h, double gg, const DirectionCoefficients& c);
double GramSquaredNorm(const History& h, double gg, const DirectionCoefficients& c);

/// Textbook two-loop recursion (Nocedal & Wright, Alg. 7.4) on this rank's blocks with one
/// reduction per inner product: writes d = -H g and returns g'd (gg = g'g serves the empty
/// history). Collective: 2 count() + 1 allreduce calls, none when the history is empty. `alpha`
/// holds m doubles of workspace.
double ClassicTwoLoop(const History& h, const Eigen::VectorXd& g, double gg, Eigen::VectorXd& d,
                      Eigen::VectorXd& alpha, Reducer& reducer);

}  // namespace dlbfgs::internal
