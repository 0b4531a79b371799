#pragma once

#include <Eigen/Core>

namespace dlbfgs::internal {

/// Maps every page of a freshly allocated, zero-filled block by writing the zero already there,
/// one element per 4 KiB page, through a volatile pointer.
///
/// GCC turns an allocation followed by a zero fill (Eigen's Zero()) into calloc, and for a large
/// block calloc returns pages that the kernel has not mapped yet: each one would then fault on its
/// first write, inside the timed iterations instead of at setup. On the development VM this put
/// the first m iterations' page faults (2(m + 1) vectors) into the line search and doubled the
/// time of a 39-iteration run at n = 10^7. It also places each page on the rank's NUMA node.
template <typename T>
inline void FirstTouch(T* data, Eigen::Index size) {
  constexpr Eigen::Index kPageElements = 4096 / sizeof(T);
  volatile T* v = data;
  for (Eigen::Index i = 0; i < size; i += kPageElements) v[i] = T(0);
}

}  // namespace dlbfgs::internal
