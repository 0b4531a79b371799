#include "dlbfgs/result.hpp"

namespace dlbfgs {

const char* ToString(TerminationReason reason) {
  switch (reason) {
    case TerminationReason::kGradientTolerance:
      return "gradient_tolerance";
    case TerminationReason::kRelativeGradientTolerance:
      return "relative_gradient_tolerance";
    case TerminationReason::kFunctionTolerance:
      return "function_tolerance";
    case TerminationReason::kMaxIterations:
      return "max_iterations";
    case TerminationReason::kMaxEvaluations:
      return "max_evaluations";
    case TerminationReason::kLineSearchFailed:
      return "line_search_failed";
    case TerminationReason::kNonFiniteValue:
      return "non_finite_value";
    case TerminationReason::kObjectiveError:
      return "objective_error";
    case TerminationReason::kUserRequested:
      return "user_requested";
    case TerminationReason::kInterrupted:
      return "interrupted";
    case TerminationReason::kCheckpointFailed:
      return "checkpoint_failed";
    case TerminationReason::kOutOfMemory:
      return "out_of_memory";
    case TerminationReason::kNoDescentDirection:
      return "no_descent_direction";
  }
  return "unknown";
}

}  // namespace dlbfgs
