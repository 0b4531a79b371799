#include "line_search.hpp"

namespace dlbfgs::internal {

std::unique_ptr<LineSearch> MakeLineSearch(const LbfgsOptions& options) {
  if (options.line_search == LineSearchType::kBacktracking) return MakeBacktracking(options);
  return MakeMoreThuente(options);
}

}  // namespace dlbfgs::internal
