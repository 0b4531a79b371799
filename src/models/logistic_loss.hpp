#pragma once

// Private to the logistic models: the two losses and their derivatives with respect to the
// margins, evaluated so that no exp() ever overflows, whatever the margins.

#include <cmath>
#include <cstdint>

namespace dlbfgs::internal {

/// Binary logistic loss ℓ = log(1 + exp(-y z)), y = ±1, and dℓ/dz = -y σ(-y z). With t = -y z:
/// ℓ = t + log1p(exp(-t)) for t > 0 and log1p(exp(t)) otherwise, so exp() only ever sees a
/// non-positive argument (no overflow; log1p keeps the digits of ℓ ≈ exp(t) for t ≪ 0).
inline double BinaryLoss(double z, double y, double* dz) {
  const double t = -y * z;
  if (t > 0) {
    const double e = std::exp(-t);  // in (0, 1)
    *dz = -y / (1 + e);             // σ(t) = 1 / (1 + exp(-t))
    return t + std::log1p(e);
  }
  const double e = std::exp(t);  // in (0, 1]
  *dz = -y * e / (1 + e);        // σ(t) = exp(t) / (1 + exp(t))
  return std::log1p(e);
}

/// Softmax loss ℓ = logsumexp(z) - z_y over K margins, and dℓ/dz_k = p_k - [k = y] written to
/// dz (may alias nothing). The sum is shifted by max z, so every exp() argument is <= 0 and the
/// largest term is exactly 1 (the sum is in [1, K]: no overflow, no log of 0).
inline double SoftmaxLoss(const double* z, int K, int y, double* dz) {
  double m = z[0];
  for (int k = 1; k < K; ++k) m = z[k] > m ? z[k] : m;
  double sum = 0;
  for (int k = 0; k < K; ++k) {
    dz[k] = std::exp(z[k] - m);
    sum += dz[k];
  }
  const double inv = 1 / sum;
  for (int k = 0; k < K; ++k) dz[k] *= inv;
  dz[y] -= 1;
  return (m - z[y]) + std::log(sum);
}

/// The loss of one row: binary (outputs = 1, class 0 is y = -1 and class 1 is y = +1) or
/// softmax (outputs = K classes). Returns ℓ and writes r = scale · dℓ/dz (K values).
struct RowLoss {
  int outputs = 1;
  double scale = 1;
  double operator()(const double* z, std::int32_t c, double* r) const {
    if (outputs == 1) {
      double dz = 0;
      const double loss = BinaryLoss(z[0], c != 0 ? 1.0 : -1.0, &dz);
      r[0] = scale * dz;
      return loss;
    }
    const double loss = SoftmaxLoss(z, outputs, c, r);
    for (int k = 0; k < outputs; ++k) r[k] *= scale;
    return loss;
  }
};

}  // namespace dlbfgs::internal
