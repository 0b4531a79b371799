// The two losses of the logistic models: their values and derivatives against direct formulas
// where those are accurate, and finite values (no overflow) at any margin.

#include "models/logistic_loss.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace {

using dlbfgs::internal::BinaryLoss;
using dlbfgs::internal::SoftmaxLoss;

TEST(LogisticLossTest, BinaryMatchesTheFormulaAndItsDerivative) {
  for (double z : {-30.0, -3.0, -0.5, 0.0, 0.25, 2.0, 30.0}) {
    for (double y : {-1.0, 1.0}) {
      double dz = 0;
      const double loss = BinaryLoss(z, y, &dz);
      EXPECT_NEAR(loss, std::log1p(std::exp(-y * z)), 1e-15 * std::max(1.0, loss)) << z;
      EXPECT_NEAR(dz, -y / (1 + std::exp(y * z)), 1e-16) << z;
      const double h = 1e-6;
      double unused = 0;
      const double fd = (BinaryLoss(z + h, y, &unused) - BinaryLoss(z - h, y, &unused)) / (2 * h);
      EXPECT_NEAR(dz, fd, 1e-8) << z;
    }
  }
}

TEST(LogisticLossTest, BinaryNeverOverflowsAndKeepsTinyLosses) {
  const double big = std::numeric_limits<double>::max();
  for (double z : {-big, -1e300, -800.0, 800.0, 1e300, big}) {
    for (double y : {-1.0, 1.0}) {
      double dz = 0;
      const double loss = BinaryLoss(z, y, &dz);
      EXPECT_TRUE(std::isfinite(loss)) << z << " " << y;
      EXPECT_TRUE(std::isfinite(dz)) << z << " " << y;
      EXPECT_GE(loss, 0);
    }
  }
  double dz = 0;
  EXPECT_EQ(BinaryLoss(800, -1, &dz), 800);  // t + log1p(exp(-t)), exact
  EXPECT_EQ(dz, 1);
  EXPECT_GT(BinaryLoss(40, 1, &dz), 0);  // exp(-40) ~ 4e-18, kept by log1p
  EXPECT_NEAR(BinaryLoss(40, 1, &dz), std::exp(-40.0), 1e-30);
}

TEST(LogisticLossTest, SoftmaxMatchesTheFormulaAndSumsToZero) {
  const std::vector<double> z = {0.5, -1.0, 2.0, 0.0};
  for (int y = 0; y < 4; ++y) {
    std::vector<double> dz(4);
    const double loss = SoftmaxLoss(z.data(), 4, y, dz.data());
    double sum = 0;
    for (double v : z) sum += std::exp(v);
    EXPECT_NEAR(loss, std::log(sum) - z[y], 1e-15);
    double total = 0;
    for (int k = 0; k < 4; ++k) {
      EXPECT_NEAR(dz[k], std::exp(z[k]) / sum - (k == y ? 1 : 0), 1e-15);
      total += dz[k];
    }
    EXPECT_NEAR(total, 0, 1e-15);
  }
}

TEST(LogisticLossTest, SoftmaxNeverOverflows) {
  const double big = std::numeric_limits<double>::max();
  const std::vector<std::vector<double>> cases = {
      {1e300, 0, -1e300}, {big, big}, {1e300, 1e300, 1e300}, {-1e300, -1e300}, {800, -800, 0}};
  for (const auto& z : cases) {
    const int K = static_cast<int>(z.size());
    for (int y = 0; y < K; ++y) {
      std::vector<double> dz(static_cast<std::size_t>(K));
      const double loss = SoftmaxLoss(z.data(), K, y, dz.data());
      EXPECT_TRUE(std::isfinite(loss));
      EXPECT_GE(loss, 0);
      for (double v : dz) EXPECT_TRUE(std::isfinite(v));
    }
  }
  std::vector<double> dz(3);
  const std::vector<double> z = {1e300, 1e300, 1e300};
  EXPECT_NEAR(SoftmaxLoss(z.data(), 3, 1, dz.data()), std::log(3.0), 1e-15);
}

}  // namespace
