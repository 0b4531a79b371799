#pragma once

#include <vector>

#include "history.hpp"
#include "payload.hpp"

namespace dlbfgs::test_support {

/// Sets the Gram scalars of `h` through History's own update methods (a refresh block and a
/// gradient-products block), from functions of the slots: ss(i, j) = s_i's_j, sy(i, j) = s_i'y_j,
/// yy(i, j) = y_i'y_j, sg(i) = s_i'g, yg(i) = y_i'g. Local.
template <typename SS, typename SY, typename YY, typename Sg, typename Yg>
void SetGram(internal::History& h, SS ss, SY sy, YY yy, Sg sg, Yg yg) {
  const int n = h.slots();
  std::vector<double> blocks(internal::RefreshSize(n), 0.0);
  std::vector<double> cross(internal::kCrossPerPair * n, 0.0);
  for (int k = 0; k < h.count(); ++k) {
    const int i = h.Slot(k);
    for (int l = 0; l < h.count(); ++l) {
      const int j = h.Slot(l);
      blocks[i + n * j] = ss(i, j);
      blocks[n * n + i + n * j] = sy(i, j);
      blocks[2 * n * n + i + n * j] = yy(i, j);
    }
    cross[internal::kCrossPerPair * i + internal::kSjVt] = sg(i);
    cross[internal::kCrossPerPair * i + internal::kYjVt] = yg(i);
  }
  h.ApplyRefresh(blocks.data());
  h.ApplyGradientProducts(cross.data());
}

}  // namespace dlbfgs::test_support
