#include "dlbfgs/options.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace dlbfgs {
namespace {

// Builds "LbfgsOptions.<field> = <value>: must be <condition>".
template <typename T>
std::string Violation(const char* field, T value, const char* condition) {
  std::ostringstream out;
  out << "LbfgsOptions." << field << " = " << value << ": must be " << condition;
  return out.str();
}

}  // namespace

std::string ValidateOptions(const LbfgsOptions& o) {
  if (o.history_size < 1 || o.history_size > 1000) {
    return Violation("history_size", o.history_size, "in [1, 1000]");
  }
  if (!(o.grad_tol >= 0) || !std::isfinite(o.grad_tol)) {
    return Violation("grad_tol", o.grad_tol, ">= 0 and finite");
  }
  if (!(o.grad_rel_tol >= 0) || !std::isfinite(o.grad_rel_tol)) {
    return Violation("grad_rel_tol", o.grad_rel_tol, ">= 0 and finite");
  }
  if (!(o.f_rel_tol >= 0) || !std::isfinite(o.f_rel_tol)) {
    return Violation("f_rel_tol", o.f_rel_tol, ">= 0 and finite");
  }
  if (o.past < 0 || o.past > 1000) return Violation("past", o.past, "in [0, 1000]");
  if (o.max_iterations < 0) return Violation("max_iterations", o.max_iterations, ">= 0");
  if (o.max_evaluations < 0) return Violation("max_evaluations", o.max_evaluations, ">= 0");
  if (!(o.c1 > 0 && o.c1 < 0.5)) return Violation("c1", o.c1, "in (0, 0.5)");
  if (!(o.c2 > o.c1 && o.c2 < 1)) return Violation("c2", o.c2, "in (c1, 1)");
  if (o.max_line_search_evaluations < 1 || o.max_line_search_evaluations > 1000) {
    return Violation("max_line_search_evaluations", o.max_line_search_evaluations, "in [1, 1000]");
  }
  if (!(o.min_step > 0) || !std::isfinite(o.min_step)) {
    return Violation("min_step", o.min_step, "> 0 and finite");
  }
  if (!(o.max_step > o.min_step) || !std::isfinite(o.max_step)) {
    return Violation("max_step", o.max_step, "> min_step and finite");
  }
  if (!(o.curvature_eps >= 0) || !std::isfinite(o.curvature_eps)) {
    return Violation("curvature_eps", o.curvature_eps, ">= 0 and finite");
  }
  if (o.gram_refresh_interval < 0) {
    return Violation("gram_refresh_interval", o.gram_refresh_interval, ">= 0");
  }
  if (!(o.gram_check_tol >= 0) || !std::isfinite(o.gram_check_tol)) {
    return Violation("gram_check_tol", o.gram_check_tol, ">= 0 and finite");
  }
  if (o.checkpoint_every < 0) return Violation("checkpoint_every", o.checkpoint_every, ">= 0");
  if (o.checkpoint_every > 0 && o.checkpoint_dir.empty()) {
    return Violation("checkpoint_every", o.checkpoint_every, "0 when checkpoint_dir is empty");
  }
  return "";
}

TwoLoopType ParseTwoLoopType(const std::string& name) {
  if (name == "fused") return TwoLoopType::kFused;
  if (name == "classic") return TwoLoopType::kClassic;
  throw std::invalid_argument("unknown two-loop variant '" + name +
                              "' (expected fused or classic)");
}

LineSearchType ParseLineSearchType(const std::string& name) {
  if (name == "more-thuente") return LineSearchType::kMoreThuente;
  if (name == "backtracking") return LineSearchType::kBacktracking;
  throw std::invalid_argument("unknown line search '" + name +
                              "' (expected more-thuente or backtracking)");
}

const char* ToString(TwoLoopType type) { return type == TwoLoopType::kFused ? "fused" : "classic"; }

const char* ToString(LineSearchType type) {
  return type == LineSearchType::kMoreThuente ? "more-thuente" : "backtracking";
}

}  // namespace dlbfgs
