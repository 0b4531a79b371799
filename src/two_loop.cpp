#include "two_loop.hpp"

#include <type_traits>

namespace dlbfgs::internal {

void FusedTwoLoop(const History& h, double gg, DirectionCoefficients& c) {
  (void)gg;  // g'g enters only through the slope, not the recursion
  const int count = h.count();
  c.cs.setZero();
  c.cy.setZero();
  c.cg = 1;
  // q = g - sum alpha_i y_i, newest to oldest; alpha_i = rho_i s_i'q.
  for (int i = count - 1; i >= 0; --i) {
    const int si = h.Slot(i);
    double sq = h.Sg(si) * c.cg;
    for (int k = i + 1; k < count; ++k) sq += h.SY(si, h.Slot(k)) * c.cy(k);
    c.alpha(i) = sq / h.SY(si, si);
    c.cy(i) -= c.alpha(i);
  }
  // r = gamma q.
  if (count > 0) {
    const int n = h.Newest();
    const double gamma = h.SY(n, n) / h.YY(n, n);
    c.cy.head(count) *= gamma;
    c.cg *= gamma;
  }
  // r += s_i (alpha_i - beta_i), oldest to newest; beta_i = rho_i y_i'r.
  for (int i = 0; i < count; ++i) {
    const int si = h.Slot(i);
    double yr = h.Yg(si) * c.cg;
    for (int k = 0; k < count; ++k) {
      const int sk = h.Slot(k);
      yr += h.SY(sk, si) * c.cs(k) + h.YY(si, sk) * c.cy(k);
    }
    c.cs(i) += c.alpha(i) - yr / h.SY(si, si);
  }
}

double GramSlope(const History& h, double gg, const DirectionCoefficients& c) {
  double hg_g = c.cg * gg;
  for (int k = 0; k < h.count(); ++k) {
    const int sk = h.Slot(k);
    hg_g += c.cs(k) * h.Sg(sk) + c.cy(k) * h.Yg(sk);
  }
  return -hg_g;
}

double GramSquaredNorm(const History& h, double gg, const DirectionCoefficients& c) {
  // (H g)'(H g) = c' B c over the basis {s_k, y_k, g}.
  double sum = c.cg * c.cg * gg;
  for (int k = 0; k < h.count(); ++k) {
    const int sk = h.Slot(k);
    sum += 2 * c.cg * (c.cs(k) * h.Sg(sk) + c.cy(k) * h.Yg(sk));
    for (int l = 0; l < h.count(); ++l) {
      const int sl = h.Slot(l);
      sum += c.cs(k) * c.cs(l) * h.SS(sk, sl) + 2 * c.cs(k) * c.cy(l) * h.SY(sk, sl) +
             c.cy(k) * c.cy(l) * h.YY(sk, sl);
    }
  }
  return sum;
}

namespace {

double GlobalDot(const Eigen::Ref<const Eigen::VectorXd>& a,
                 const Eigen::Ref<const Eigen::VectorXd>& b, Reducer& reducer) {
  double value = a.dot(b);
  reducer.Sum(&value, 1);
  return value;
}

// The textbook recursion on the stored columns S, Y (MatrixXd, or MatrixXf widened lazily: no
// temporary, every operation in double precision).
template <typename Matrix>
double ClassicTwoLoopOn(const History& h, const Matrix& S, const Matrix& Y,
                        const Eigen::VectorXd& g, Eigen::VectorXd& d, Eigen::VectorXd& alpha,
                        Reducer& reducer) {
  constexpr bool kSingle = std::is_same_v<typename Matrix::Scalar, float>;
  auto dot = [&reducer](const auto& column, const Eigen::VectorXd& v) {
    if constexpr (kSingle) {
      double value = column.template cast<double>().dot(v);
      reducer.Sum(&value, 1);
      return value;
    } else {
      return GlobalDot(column, v, reducer);
    }
  };
  const int count = h.count();
  d = g;  // q
  for (int i = count - 1; i >= 0; --i) {
    const int si = h.Slot(i);
    alpha(i) = dot(S.col(si), d) / h.SY(si, si);
    if constexpr (kSingle) {
      d -= alpha(i) * Y.col(si).template cast<double>();
    } else {
      d -= alpha(i) * Y.col(si);
    }
  }
  const int n = h.Newest();
  d *= h.SY(n, n) / h.YY(n, n);
  for (int i = 0; i < count; ++i) {
    const int si = h.Slot(i);
    const double beta = dot(Y.col(si), d) / h.SY(si, si);
    if constexpr (kSingle) {
      d += (alpha(i) - beta) * S.col(si).template cast<double>();
    } else {
      d += (alpha(i) - beta) * S.col(si);
    }
  }
  d = -d;
  return GlobalDot(g, d, reducer);
}

}  // namespace

double ClassicTwoLoop(const History& h, const Eigen::VectorXd& g, double gg, Eigen::VectorXd& d,
                      Eigen::VectorXd& alpha, Reducer& reducer) {
  if (h.count() == 0) {
    d = -g;
    return -gg;
  }
  return h.single() ? ClassicTwoLoopOn(h, h.Sf, h.Yf, g, d, alpha, reducer)
                    : ClassicTwoLoopOn(h, h.S, h.Y, g, d, alpha, reducer);
}

}  // namespace dlbfgs::internal
