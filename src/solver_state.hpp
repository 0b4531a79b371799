#pragma once

#include <limits>

namespace dlbfgs::internal {

/// The solver's scalar state at an iteration boundary: the one place that holds it. With the
/// history, x, g and the ring of past f it is everything a run needs to continue exactly; the
/// checkpoint's manifest is written and read through ForEachScalar, and the result is filled
/// from it.
struct SolverState {
  int iterations = 0;   // accepted steps
  int evaluations = 0;  // objective evaluations, the start point included
  double f = std::numeric_limits<double>::quiet_NaN();   // F(x): NaN until the start is known
  double gg = std::numeric_limits<double>::quiet_NaN();  // v'v, v the direction's gradient
  double g0_norm = 0;                                    // ||v|| at the start point
  double step = 0;                                       // last accepted step length
  int skipped_updates = 0;
  int history_resets = 0;
  int gram_refreshes = 0;
  bool refresh_pending = false;  // fused: the next search's first trial refreshes the Gram
  // With an L1 term (the orthant geometry), at x: ||grad f||^2, sum lambda |x|, ||x||_1 and the
  // number of non-zeros.
  double smooth_gg = std::numeric_limits<double>::quiet_NaN();
  double penalty = 0;
  double l1_norm = 0;
  double nonzeros = -1;
  // The stopping measure squared (v'v, or with bounds ||P(x - g) - x||^2) and, with bounds, the
  // number of x_i on a bound.
  double optimality_sq = std::numeric_limits<double>::quiet_NaN();
  double active = -1;
  // With bounds, g'(P(x - g) - x): phi'(0) along the projected-gradient direction that an empty
  // history takes (TrialGeometry::SteepestDescent).
  double descent_slope = 0;
  double unclipped_sq = 0;
};

/// Calls f(key, field) for every field of `s`, in a fixed order: the checkpoint's manifest keys.
template <typename State, typename F>
void ForEachScalar(State& s, F&& f) {
  f("iterations", s.iterations);
  f("evaluations", s.evaluations);
  f("f", s.f);
  f("gg", s.gg);
  f("g0_norm", s.g0_norm);
  f("step", s.step);
  f("skipped_updates", s.skipped_updates);
  f("history_resets", s.history_resets);
  f("gram_refreshes", s.gram_refreshes);
  f("refresh_pending", s.refresh_pending);
  f("smooth_gg", s.smooth_gg);
  f("penalty", s.penalty);
  f("l1_norm", s.l1_norm);
  f("nonzeros", s.nonzeros);
  f("optimality_sq", s.optimality_sq);
  f("active", s.active);
  f("descent_slope", s.descent_slope);
  f("unclipped_sq", s.unclipped_sq);
}

}  // namespace dlbfgs::internal
