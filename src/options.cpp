#include "dlbfgs/options.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "fingerprint.hpp"
#include "option_fields.hpp"

namespace dlbfgs {
namespace {

// Builds "LbfgsOptions.<field> = <value>: must be <condition>".
template <typename T>
std::string Violation(const char* field, T value, const char* condition) {
  std::ostringstream out;
  out << "LbfgsOptions." << field << " = " << value << ": must be " << condition;
  return out.str();
}

// An algorithm option (it shapes the iterates) and a limit or location (it does not).
enum Kind : bool { kLimit = false, kAlgorithm = true };

template <typename T>
internal::OptionField Field(const char* name, const T& value, Kind kind) {
  internal::Fingerprint h;
  h.Add(value);
  return {name, h.value(), kind == kAlgorithm};
}

// The number of fields of an aggregate: the largest N for which T{AnyField x N} compiles (the
// technique of Boost.PFR). It is the compile-time tripwire of OptionFields().
struct AnyField {
  template <typename T>
  operator T() const;  // never defined: unevaluated contexts only
};

template <typename T, typename... A>
constexpr auto BraceConstructible(int) -> decltype(T{std::declval<A>()...}, true) {
  return true;
}
template <typename T, typename... A>
constexpr bool BraceConstructible(...) {
  return false;
}

template <typename T, typename... A>
constexpr int FieldCount() {
  if constexpr (BraceConstructible<T, A..., AnyField>(0)) {
    return FieldCount<T, A..., AnyField>();
  } else {
    return static_cast<int>(sizeof...(A));
  }
}

static_assert(FieldCount<LbfgsOptions>() == internal::kOptionFieldCount + 1,
              "LbfgsOptions gained or lost a field: list it in OptionFields() (algorithm or "
              "limit), check it in ValidateOptions(), then update kOptionFieldCount");

}  // namespace

namespace internal {

std::array<OptionField, kOptionFieldCount> OptionFields(const LbfgsOptions& o) {
  return {{
      Field("history_size", o.history_size, kAlgorithm),
      Field("history_precision", static_cast<int>(o.history_precision), kAlgorithm),
      Field("l1_weight", o.l1_weight, kAlgorithm),
      Field("grad_tol", o.grad_tol, kLimit),
      Field("grad_rel_tol", o.grad_rel_tol, kLimit),
      Field("f_rel_tol", o.f_rel_tol, kLimit),
      Field("past", o.past, kAlgorithm),  // sizes the saved ring of past f
      Field("max_iterations", o.max_iterations, kLimit),
      Field("max_evaluations", o.max_evaluations, kLimit),
      Field("two_loop", static_cast<int>(o.two_loop), kAlgorithm),
      Field("line_search", static_cast<int>(o.line_search), kAlgorithm),
      Field("c1", o.c1, kAlgorithm),
      Field("c2", o.c2, kAlgorithm),
      Field("backtracking_wolfe", o.backtracking_wolfe, kAlgorithm),
      Field("max_line_search_evaluations", o.max_line_search_evaluations, kAlgorithm),
      Field("min_step", o.min_step, kAlgorithm),
      Field("max_step", o.max_step, kAlgorithm),
      Field("curvature_eps", o.curvature_eps, kAlgorithm),
      Field("gram_refresh_interval", o.gram_refresh_interval, kAlgorithm),
      Field("gram_check_tol", o.gram_check_tol, kAlgorithm),
      // Bitwise the same iterates in every mode: only where the products are summed changes.
      Field("trial_products", static_cast<int>(o.trial_products), kLimit),
      Field("checkpoint_dir", o.checkpoint_dir, kLimit),
      Field("checkpoint_every", o.checkpoint_every, kLimit),
      Field("existing_checkpoint", static_cast<int>(o.existing_checkpoint), kLimit),
      Field("resume_dir", o.resume_dir, kLimit),
      Field("checkpoint_label", o.checkpoint_label, kLimit),
  }};
}

std::uint64_t AlgorithmFingerprint(const LbfgsOptions& o) {
  Fingerprint h;
  for (const OptionField& field : OptionFields(o)) {
    if (field.algorithm) h.Add(field.hash);
  }
  return h.value();
}

}  // namespace internal

std::string ValidateOptions(const LbfgsOptions& o) {
  if (o.history_size < 0 || o.history_size > 1000) {
    return Violation("history_size", o.history_size, "in [0, 1000]");
  }
  if (o.history_precision != HistoryPrecision::kFloat64 &&
      o.history_precision != HistoryPrecision::kFloat32) {
    return Violation("history_precision", static_cast<int>(o.history_precision),
                     "kFloat64 or kFloat32");
  }
  if (!(o.l1_weight >= 0) || !std::isfinite(o.l1_weight)) {
    return Violation("l1_weight", o.l1_weight, ">= 0 and finite");
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
  if (o.two_loop != TwoLoopType::kFused && o.two_loop != TwoLoopType::kClassic) {
    return Violation("two_loop", static_cast<int>(o.two_loop), "kFused or kClassic");
  }
  if (o.line_search != LineSearchType::kMoreThuente &&
      o.line_search != LineSearchType::kBacktracking) {
    return Violation("line_search", static_cast<int>(o.line_search),
                     "kMoreThuente or kBacktracking");
  }
  if (!(o.c1 > 0 && o.c1 < 0.5)) return Violation("c1", o.c1, "in (0, 0.5)");
  if (!(o.c2 > o.c1 && o.c2 < 1)) return Violation("c2", o.c2, "in (c1, 1)");
  if (o.backtracking_wolfe && o.l1_weight > 0) {
    return Violation("backtracking_wolfe", "true",
                     "false when l1_weight > 0 (OWL-QN's line search is Armijo backtracking)");
  }
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
  if (o.trial_products != TrialProducts::kEveryTrial &&
      o.trial_products != TrialProducts::kFirstTrial &&
      o.trial_products != TrialProducts::kAfterSearch) {
    return Violation("trial_products", static_cast<int>(o.trial_products),
                     "kEveryTrial, kFirstTrial or kAfterSearch");
  }
  if (o.checkpoint_every < 0) return Violation("checkpoint_every", o.checkpoint_every, ">= 0");
  if (o.checkpoint_every > 0 && o.checkpoint_dir.empty()) {
    return Violation("checkpoint_every", o.checkpoint_every, "0 when checkpoint_dir is empty");
  }
  if (o.existing_checkpoint != ExistingCheckpoint::kRefuse &&
      o.existing_checkpoint != ExistingCheckpoint::kResume &&
      o.existing_checkpoint != ExistingCheckpoint::kOverwrite) {
    return Violation("existing_checkpoint", static_cast<int>(o.existing_checkpoint),
                     "kRefuse, kResume or kOverwrite");
  }
  return "";
}

TwoLoopType ParseTwoLoopType(const std::string& name) {
  if (name == "fused") return TwoLoopType::kFused;
  if (name == "classic") return TwoLoopType::kClassic;
  throw std::invalid_argument("unknown two-loop variant '" + name +
                              "' (expected fused or classic)");
}

HistoryPrecision ParseHistoryPrecision(const std::string& name) {
  if (name == "float64") return HistoryPrecision::kFloat64;
  if (name == "float32") return HistoryPrecision::kFloat32;
  throw std::invalid_argument("unknown history precision '" + name +
                              "' (expected float64 or float32)");
}

TrialProducts ParseTrialProducts(const std::string& name) {
  if (name == "every") return TrialProducts::kEveryTrial;
  if (name == "first") return TrialProducts::kFirstTrial;
  if (name == "after") return TrialProducts::kAfterSearch;
  throw std::invalid_argument("unknown trial products '" + name +
                              "' (expected every, first or after)");
}

LineSearchType ParseLineSearchType(const std::string& name) {
  if (name == "more-thuente") return LineSearchType::kMoreThuente;
  if (name == "backtracking") return LineSearchType::kBacktracking;
  throw std::invalid_argument("unknown line search '" + name +
                              "' (expected more-thuente or backtracking)");
}

const char* ToString(TwoLoopType type) { return type == TwoLoopType::kFused ? "fused" : "classic"; }

const char* ToString(HistoryPrecision precision) {
  return precision == HistoryPrecision::kFloat32 ? "float32" : "float64";
}

const char* ToString(TrialProducts products) {
  switch (products) {
    case TrialProducts::kFirstTrial:
      return "first";
    case TrialProducts::kAfterSearch:
      return "after";
    case TrialProducts::kEveryTrial:
      break;
  }
  return "every";
}

const char* ToString(LineSearchType type) {
  return type == LineSearchType::kMoreThuente ? "more-thuente" : "backtracking";
}

}  // namespace dlbfgs
