// The L-BFGS driver: the iteration loop, the stopping tests, the retry and reset policy, the
// callback and the checkpoint cadence. Algorithm: Nocedal & Wright, "Numerical Optimization",
// 2nd ed., Alg. 7.5 (L-BFGS); with an L1 term, OWL-QN (Andrew & Gao, ICML 2007); with bounds,
// projected L-BFGS (Benson & More 2001). The pieces it drives: the trial evaluator (one allreduce
// per evaluation), the direction (fused or classic), the trial geometry (plain, orthant or box)
// and the line search.

#include "dlbfgs/minimize.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "assert.hpp"
#include "checkpoint.hpp"
#include "direction.hpp"
#include "line_search.hpp"
#include "payload.hpp"
#include "reducer.hpp"
#include "solver_state.hpp"
#include "startup_check.hpp"
#include "trial_evaluator.hpp"
#include "trial_geometry.hpp"

namespace dlbfgs {
namespace internal {
namespace {

double Now() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

std::string Format(const char* fmt, double a, double b = 0, double c = 0) {
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer), fmt, a, b, c);
  return buffer;
}

bool HasL1(const LbfgsOptions& o) { return o.l1_weight > 0; }

// Which geometry forms the trial points.
enum class Geometry { kPlain, kOrthant, kBox };

// OWL-QN's line search, and that of bounds, is Armijo backtracking on the projected path.
LbfgsOptions LineSearchOptions(const LbfgsOptions& o, Geometry geometry) {
  LbfgsOptions ls = o;
  if (geometry != Geometry::kPlain) ls.line_search = LineSearchType::kBacktracking;
  return ls;
}

std::unique_ptr<TrialGeometry> MakeGeometry(Geometry kind, const LbfgsOptions& o,
                                            Eigen::Index n_local, const double* weights,
                                            const BoundsInput& bounds) {
  switch (kind) {
    case Geometry::kOrthant:
      return MakeOrthantGeometry(n_local, o.l1_weight, weights);
    case Geometry::kBox:
      return MakeBoxGeometry(n_local, bounds.lower, bounds.upper);
    case Geometry::kPlain:
      break;
  }
  return MakePlainGeometry();
}

class Driver {
 public:
  // Allocates the workspace; Configure() completes the driver after the start-up check.
  Driver(Objective& objective, const Partition& part, const LbfgsOptions& options,
         const double* l1_weights, const BoundsInput& bounds, Reducer& reducer)
      : objective_(objective),
        part_(part),
        bounds_(bounds),
        options_(options),
        reducer_(reducer),
        v_(part.local_size()),
        kind_(HasL1(options) ? Geometry::kOrthant
              : bounds.given ? Geometry::kBox
                             : Geometry::kPlain),
        geometry_(MakeGeometry(kind_, options, part.local_size(), l1_weights, bounds)),
        direction_(MakeDirection(options, part.local_size(), reducer)),
        past_f_(options.past + 1, 0.0) {}

  /// After the start-up check: bounds that are infinite on every rank are no bounds (the plain
  /// geometry, bit for bit the run without them).
  void Configure(bool finite_bounds) {
    if (kind_ == Geometry::kBox && !finite_bounds) {
      kind_ = Geometry::kPlain;
      geometry_ = MakePlainGeometry();
    }
    line_search_options_ = LineSearchOptions(options_, kind_);
    // With bounds, backtracking interpolates with the cubic that fits phi'(alpha) too: the slope
    // along the path rides in every trial's payload (kBoxPathSlope) at no extra cost.
    line_search_ = kind_ == Geometry::kBox
                       ? MakeBacktracking(line_search_options_, Interpolation::kCubic)
                       : MakeLineSearch(line_search_options_);
    evaluator_.emplace(objective_, options_, reducer_, *geometry_, *direction_, v_, state_, end_);
  }

  /// Runs from x, or from the checkpoint in `resume_from` when it is not empty.
  LbfgsResult Run(Eigen::Ref<Eigen::VectorXd> x, double setup_seconds,
                  const std::string& resume_from);

 private:
  enum class Step { kAccepted, kRetry, kEnded };
  bool EvaluateStart();
  bool BeginIteration();
  void Callback();
  bool CheckStoppingTests();
  double ComputeDirection();
  Step SearchAndStep();
  void AcceptStep(const PhiSample& sample);
  Step SearchFailed(const LineSearchOutcome& ls);
  void ResetHistory() {
    direction_->Reset();
    ++state_.history_resets;
  }
  IterationSummary Summary() const;
  bool Resume(const std::string& dir);
  bool Checkpoint();
  CheckpointState Saved() {
    return {state_, past_f_, direction_->history(), v_.x, v_.g, BoundsTagOfRun()};
  }
  const std::string& BoundsTagOfRun();
  LbfgsResult Finish(Eigen::Ref<Eigen::VectorXd> x, double setup_seconds, double comm_before);

  Objective& objective_;
  const Partition& part_;
  BoundsInput bounds_;
  std::string bounds_tag_;  // BoundsTagOfRun(), computed on first use
  const LbfgsOptions& options_;
  Reducer& reducer_;
  SolverState state_;
  SolverVectors v_;
  Geometry kind_;
  std::unique_ptr<TrialGeometry> geometry_;
  std::unique_ptr<Direction> direction_;
  LbfgsOptions line_search_options_;
  std::unique_ptr<LineSearch> line_search_;
  RunEnd end_;
  std::optional<TrialEvaluator> evaluator_;
  std::vector<double> past_f_;  // f of the last `past` iterates, a ring by iteration number
  double gtd_ = 0;              // phi'(0) of the current search
  int last_checkpoint_ = -1;    // iteration of the last checkpoint written
  double start_time_ = 0;
  double direction_seconds_ = 0;
  LbfgsResult result_;  // the counts that are not solver state (checkpoints, resume)
};

// Takes the reduced scalars of the evaluation that became the iterate.
void Record(const TrialEvaluator& e, Geometry kind, SolverState& s) {
  s.gg = e.header()[kGradSq];
  const double* b = e.geometry_block();
  if (kind == Geometry::kBox) {
    s.smooth_gg = b[kBoxGradSq];
    s.optimality_sq = b[kBoxProjGradSq];
    s.active = b[kBoxActive];
    s.descent_slope = b[kBoxDescentSlope];
    s.unclipped_sq = b[kBoxUnclippedSq];
    return;
  }
  s.optimality_sq = s.gg;
  if (kind == Geometry::kPlain) {
    s.smooth_gg = s.gg;
    return;
  }
  s.smooth_gg = b[kSmoothGradSq];
  s.penalty = b[kPenalty];
  s.l1_norm = b[kL1Norm];
  s.nonzeros = b[kNonzeros];
}

bool Driver::EvaluateStart() {
  // The start point is a trial at alpha = 0 along d = 0 with an empty history: the same single
  // allreduce as every other evaluation.
  v_.d.setZero();
  const PhiSample s = evaluator_->Evaluate(0.0);
  if (s.abort) return false;
  std::swap(v_.x, v_.xt);
  std::swap(v_.g, v_.gt);
  geometry_->Accept();
  state_.f = geometry_->Phi(evaluator_->header()[kF], evaluator_->geometry_block());
  Record(*evaluator_, kind_, state_);
  if (!std::isfinite(state_.f) || !std::isfinite(state_.gg) ||
      !std::isfinite(state_.optimality_sq)) {
    const std::string where = evaluator_->NonFiniteWhere();
    end_.Stop(TerminationReason::kNonFiniteValue,
              "f or the gradient is not finite at the starting point" + where +
                  " (f = " + Format("%g", state_.f) + ")");
    return false;
  }
  state_.g0_norm = std::sqrt(state_.optimality_sq);
  return true;
}

void Driver::Callback() {
  if (!options_.callback) return;
  // A throwing callback is agreed on like a throwing objective, in the next evaluation.
  try {
    if (options_.callback(Summary()) == CallbackResult::kStop) evaluator_->VoteStop();
  } catch (const std::exception& e) {
    evaluator_->SetCallbackError(std::string("the iteration callback threw: ") + e.what());
  } catch (...) {
    evaluator_->SetCallbackError("the iteration callback threw an unknown exception");
  }
}

// At an accepted iterate: the callback, the stopping tests and the checkpoint cadence. Returns
// false when the run ends.
bool Driver::BeginIteration() {
  if (options_.past > 0) past_f_[state_.iterations % (options_.past + 1)] = state_.f;
  Callback();
  if (CheckStoppingTests()) return false;
  // Periodic checkpoints start at iteration 0: an unwritable directory is reported at once, not
  // K iterations (perhaps hours) later, and a requeued job finds a checkpoint.
  const int k = state_.iterations;
  if (options_.checkpoint_every > 0 && k % options_.checkpoint_every == 0 &&
      last_checkpoint_ != k && !Checkpoint()) {
    return false;
  }
  return true;
}

bool Driver::CheckStoppingTests() {
  const SolverState& s = state_;
  const double gnorm = std::sqrt(s.optimality_sq);
  const char* measure = kind_ == Geometry::kOrthant ? "||pseudo-gradient||"
                        : kind_ == Geometry::kBox   ? "||P(x - g) - x||"
                                                    : "||g||";
  // At the start point a small ||g0|| (a badly scaled problem) would "converge" at once: say so.
  const char* at_start = s.iterations == 0 ? " at the starting point" : "";
  if (gnorm <= options_.grad_tol) {
    return end_.Stop(
        TerminationReason::kGradientTolerance,
        measure + Format(" = %.3e <= grad_tol = %.3e", gnorm, options_.grad_tol) + at_start);
  }
  if (options_.grad_rel_tol > 0 && gnorm <= options_.grad_rel_tol * s.g0_norm) {
    return end_.Stop(TerminationReason::kRelativeGradientTolerance,
                     measure + Format(" = %.3e <= grad_rel_tol * ||g0|| = %.3e", gnorm,
                                      options_.grad_rel_tol * s.g0_norm));
  }
  if (options_.past > 0 && options_.f_rel_tol > 0 && s.iterations >= options_.past) {
    const double f_past = past_f_[(s.iterations - options_.past) % (options_.past + 1)];
    const double decrease = (f_past - s.f) / std::max(1.0, std::fabs(s.f));
    if (decrease <= options_.f_rel_tol) {
      return end_.Stop(TerminationReason::kFunctionTolerance,
                       Format("relative decrease %.3e over %g iterations <= f_rel_tol = %.3e",
                              decrease, options_.past, options_.f_rel_tol));
    }
  }
  if (s.iterations >= options_.max_iterations) {
    return end_.Stop(TerminationReason::kMaxIterations,
                     "reached max_iterations = " + std::to_string(options_.max_iterations));
  }
  if (options_.max_evaluations > 0 && s.evaluations >= options_.max_evaluations) {
    return end_.Stop(TerminationReason::kMaxEvaluations,
                     "reached max_evaluations = " + std::to_string(options_.max_evaluations));
  }
  return false;
}

double Driver::ComputeDirection() {
  const double start = Now();
  const double comm = reducer_.stats().allreduce_seconds;
  bool reset = false;
  const double gtd = direction_->Compute(geometry_->Gradient(v_.g), state_.gg, v_.d, reset);
  if (reset) ++state_.history_resets;
  geometry_->ProjectDirection(geometry_->Gradient(v_.g), v_.d);
  direction_seconds_ += Now() - start - (reducer_.stats().allreduce_seconds - comm);
  return gtd;
}

// One line search along d, then the step: accepted, retried along -v, or the end of the run.
Driver::Step Driver::SearchAndStep() {
  gtd_ = ComputeDirection();
  // First step min(1, 1/||v||) while the history is empty (no scale known yet), then 1. With
  // bounds an empty history's d is the projected gradient P(x - v) - x, whose phi'(0) =
  // g'(P(x - g) - x) is a reduced scalar of x, and the first step min(1, 1/||d~||), d~ the
  // coordinates of d that no bound clips (also reduced): where every coordinate stops at its
  // bound, the unit step (L-BFGS-B's first Cauchy point, B0 = I) lands on that face whole; steps
  // of the coordinates no bound stops stay as long as without bounds.
  const bool empty = direction_->history().count() == 0;
  double dd = state_.gg;
  if (empty && geometry_->SteepestDescent(v_.x, geometry_->Gradient(v_.g), v_.d)) {
    gtd_ = state_.descent_slope;
    dd = state_.unclipped_sq;
  }
  const double alpha0 = empty && dd > 1 ? 1.0 / std::sqrt(dd) : 1.0;
  evaluator_->BeginSearch();
  const LineSearchOutcome ls =
      line_search_->Search({0, state_.f, gtd_, false}, alpha0, *evaluator_);
  if (ls.status == LineSearchStatus::kAborted) return Step::kEnded;
  // With an L1 term, a projected step that leaves x where it is (a zero direction, or steps below
  // the resolution of x) satisfies the Armijo test with equality: it is not progress
  // (rust-lbfgs #13).
  const bool moved = geometry_->Moved(evaluator_->geometry_block());
  if (ls.status != LineSearchStatus::kSuccess || !moved) return SearchFailed(ls);
  // x_t, g_t and the payload belong to the last evaluation: it must be the accepted one.
  DLBFGS_ASSERT(ls.last.alpha == evaluator_->trial_alpha(),
                "accepted step is not the last evaluated one");
  state_.step = ls.last.alpha;
  AcceptStep(ls.last);
  if (options_.gram_refresh_interval > 0 && options_.two_loop == TwoLoopType::kFused &&
      state_.iterations % options_.gram_refresh_interval == 0) {
    state_.refresh_pending = true;
  }
  return Step::kAccepted;
}

void Driver::AcceptStep(const PhiSample& sample) {
  // The trial's products with the stored pairs, when it did not carry them (before the swap: they
  // are formed from x_t's gradient).
  evaluator_->CompleteProducts();
  std::swap(v_.x, v_.xt);
  std::swap(v_.g, v_.gt);
  geometry_->Accept();
  state_.f = sample.phi;
  Record(*evaluator_, kind_, state_);
  ++state_.iterations;
  if (direction_->CheckFailed()) ++state_.history_resets;
  if (!direction_->Accept(evaluator_->header(), evaluator_->direction_block(),
                          options_.curvature_eps)) {
    ++state_.skipped_updates;
  }
}

// No acceptable step: retry once along -v with an empty history, else end the run. The iterate
// stays the last accepted one (the best point: every accepted step decreased F).
Driver::Step Driver::SearchFailed(const LineSearchOutcome& ls) {
  if (direction_->history().count() > 0) {
    ResetHistory();
    return Step::kRetry;
  }
  if (!std::isfinite(ls.last.phi)) {
    end_.Stop(TerminationReason::kNonFiniteValue,
              Format("f or the gradient is not finite at every trial step, down to alpha = %.3e",
                     ls.last.alpha) +
                  evaluator_->NonFiniteWhere());
  } else if (!evaluator_->first_trial_moved()) {
    end_.Stop(TerminationReason::kNoDescentDirection,
              std::string(kind_ == Geometry::kBox ? "the box" : "the orthant") +
                  "-projected steepest-descent step leaves every coordinate where it is "
                  "(no coordinate can move at the resolution of x)");
  } else if (ls.status == LineSearchStatus::kSuccess) {
    end_.Stop(TerminationReason::kLineSearchFailed,
              Format("no step along the projected steepest descent decreases F by more than its "
                     "rounding (%g evaluations): grad_tol is below what F's precision resolves",
                     ls.evaluations));
  } else {
    end_.Stop(TerminationReason::kLineSearchFailed,
              Format("no acceptable step along steepest descent after %g evaluations (last alpha "
                     "= %.3e)",
                     ls.evaluations, ls.last.alpha));
  }
  return Step::kEnded;
}

IterationSummary Driver::Summary() const {
  IterationSummary s;
  s.iteration = state_.iterations;
  s.f = state_.f;
  s.grad_norm = std::sqrt(state_.smooth_gg);
  s.optimality = std::sqrt(state_.optimality_sq);
  s.step = state_.step;
  s.evaluations = state_.evaluations;
  s.history_count = direction_->history().count();
  s.seconds = Now() - start_time_;
  s.x_local = v_.x.data();
  s.g_local = v_.g.data();
  s.local_size = v_.x.size();
  return s;
}

// The tag of this run's bounds in a checkpoint's manifest: bounds that are infinite on every
// rank are no bounds (the plain geometry). Collective on its first call (one allreduce, and only
// in runs that write or read checkpoints with bounds).
const std::string& Driver::BoundsTagOfRun() {
  if (bounds_tag_.empty()) {
    bounds_tag_ = kind_ == Geometry::kBox ? BoundsTag(bounds_.lower, bounds_.upper, part_, reducer_)
                                          : kNoBounds;
  }
  return bounds_tag_;
}

bool Driver::Resume(const std::string& dir) {
  const std::string error = ReadCheckpoint(dir, part_, options_, Saved(), reducer_);
  if (!error.empty()) throw std::invalid_argument(error);
  geometry_->Restore(v_.x, v_.g);
  result_.resumed = true;
  result_.resumed_iterations = state_.iterations;
  result_.resumed_evaluations = state_.evaluations;
  last_checkpoint_ = state_.iterations;
  return true;
}

bool Driver::Checkpoint() {
  const std::string error =
      WriteCheckpoint(options_.checkpoint_dir, part_, options_, Saved(), reducer_);
  if (!error.empty()) {
    const std::string before = end_.stopped ? " (after: " + end_.message + ")" : "";
    end_.Stop(TerminationReason::kCheckpointFailed, error + before);
    return false;
  }
  last_checkpoint_ = state_.iterations;
  ++result_.checkpoints;
  return true;
}

LbfgsResult Driver::Run(Eigen::Ref<Eigen::VectorXd> x, double setup_seconds,
                        const std::string& resume_from) {
  start_time_ = Now();
  const double comm_before = reducer_.stats().allreduce_seconds;  // the start-up check's
  v_.x = x;
  if (resume_from.empty() ? EvaluateStart() : Resume(resume_from)) {
    Step step = Step::kAccepted;
    while (step != Step::kEnded) {
      // A retry along -v starts from the same iterate: no callback, tests or checkpoint.
      if (step == Step::kAccepted && !BeginIteration()) break;
      step = SearchAndStep();
    }
    // No lost work: the state at the last accepted iterate is saved whatever ended the run.
    if (!options_.checkpoint_dir.empty() && last_checkpoint_ != state_.iterations &&
        end_.reason != TerminationReason::kCheckpointFailed) {
      Checkpoint();
    }
  }
  return Finish(x, setup_seconds, comm_before);
}

LbfgsResult Driver::Finish(Eigen::Ref<Eigen::VectorXd> x, double setup_seconds,
                           double comm_before) {
  // The iterate is the last accepted point: with a monotone line search, the best one.
  x = v_.x;
  LbfgsResult& r = result_;
  const SolverState& s = state_;
  r.reason = end_.reason;
  r.message = end_.message;
  r.f = s.f;
  r.grad_norm = std::sqrt(s.smooth_gg);
  r.optimality = std::sqrt(s.optimality_sq);
  if (kind_ == Geometry::kBox) r.active_bounds = static_cast<long long>(s.active);
  if (HasL1(options_)) {
    r.l1_norm = s.l1_norm;
    r.l1_penalty = s.penalty;
    r.nonzeros = static_cast<long long>(s.nonzeros);
  }
  r.line_search = ToString(line_search_options_.line_search);
  r.iterations = s.iterations;
  r.evaluations = s.evaluations;
  r.skipped_updates = s.skipped_updates;
  r.history_resets = s.history_resets;
  r.gram_refreshes = s.gram_refreshes;
  r.product_allreduces = evaluator_->product_allreduces();
  r.seconds = Now() - start_time_;
  r.setup_seconds = setup_seconds;
  r.comm = reducer_.stats();
  r.phases.objective = evaluator_->objective_seconds();
  r.phases.direction = direction_seconds_;
  r.phases.communication = r.comm.allreduce_seconds - comm_before;
  r.phases.other = r.seconds - r.phases.objective - r.phases.direction - r.phases.communication;
  return r;
}

// The result of a run that could not allocate its workspace on some rank.
LbfgsResult OutOfMemory(const LbfgsOptions& options, const Partition& part, bool allocated,
                        Reducer& reducer) {
  // Error path only: name the lowest rank that failed.
  const int first = reducer.LowestRank(!allocated);
  LbfgsResult result;
  result.reason = TerminationReason::kOutOfMemory;
  result.message = "cannot allocate the workspace of about " +
                   std::to_string((options.history_precision == HistoryPrecision::kFloat32
                                       ? options.history_size + 7
                                       : 2 * options.history_size + 7) *
                                  8 * part.LocalSizeOf(first) / (1 << 20)) +
                   " MiB on rank " + std::to_string(first) + " (history_size " +
                   std::to_string(options.history_size) + ")";
  result.f = std::numeric_limits<double>::quiet_NaN();
  result.grad_norm = std::numeric_limits<double>::quiet_NaN();
  result.optimality = std::numeric_limits<double>::quiet_NaN();
  result.comm = reducer.stats();
  return result;
}

// The checkpoint a run resumes from: resume_dir, or checkpoint_dir in requeue mode. Never
// destroys a checkpoint silently (the values are agreed: every rank takes the same branch).
std::string ResumeFrom(const LbfgsOptions& options, long long existing) {
  if (existing < 0) return options.resume_dir;
  if (options.existing_checkpoint == ExistingCheckpoint::kResume && options.resume_dir.empty()) {
    return options.checkpoint_dir;
  }
  if (options.existing_checkpoint != ExistingCheckpoint::kOverwrite) {
    throw std::invalid_argument(
        "checkpoint directory " + options.checkpoint_dir + " already holds the checkpoint of " +
        "iteration " + std::to_string(existing) +
        ": resume from it, or overwrite it explicitly (LbfgsOptions::existing_checkpoint; " +
        "dlbfgs solve --resume auto or --overwrite-checkpoint)");
  }
  return options.resume_dir;
}

LbfgsResult Run(Objective& objective, const Partition& part, Eigen::Ref<Eigen::VectorXd> x,
                const LbfgsOptions& options, const double* weights, Eigen::Index weights_size,
                const BoundsInput& bounds) {
  Reducer reducer(part.comm());
  // Allocate (and first-touch) the workspace before the start-up check, so that a rank that runs
  // out of memory is reported by the same collective instead of leaving the others waiting.
  std::string invalid = ValidateOptions(options);
  if (invalid.empty() && bounds.given && HasL1(options)) {
    invalid =
        "LbfgsOptions.l1_weight > 0 together with bounds is not supported (OWL-QN's orthant "
        "projection and the box projection do not compose into a method with a convergence "
        "proof): use one or the other";
  }
  const double setup_start = Now();
  const bool weights_fit = weights == nullptr || weights_size == part.local_size();
  const bool bounds_fit = !bounds.given || (bounds.lower_size == part.local_size() &&
                                            bounds.upper_size == part.local_size());
  std::unique_ptr<Driver> driver;
  if (invalid.empty() && weights_fit && bounds_fit) {
    try {
      driver = std::make_unique<Driver>(objective, part, options, weights, bounds, reducer);
    } catch (const std::bad_alloc&) {
      driver.reset();
    }
  }
  const double setup_seconds = Now() - setup_start;
  const bool allocated = driver != nullptr || !invalid.empty() || !weights_fit || !bounds_fit;
  const Startup startup = CheckInputs(options, part, x.size(), weights, weights_size, bounds,
                                      invalid, allocated, reducer);
  if (!startup.allocated) return OutOfMemory(options, part, allocated, reducer);
  driver->Configure(startup.finite_bounds);
  const std::string resume_from = ResumeFrom(options, startup.existing_checkpoint);
  return driver->Run(x, setup_seconds, resume_from);
}

}  // namespace
}  // namespace internal

LbfgsResult Minimize(Objective& objective, const Partition& part, Eigen::Ref<Eigen::VectorXd> x,
                     const LbfgsOptions& options) {
  return internal::Run(objective, part, x, options, nullptr, 0, {});
}

LbfgsResult Minimize(Objective& objective, const Partition& part, Eigen::Ref<Eigen::VectorXd> x,
                     const LbfgsOptions& options,
                     const Eigen::Ref<const Eigen::VectorXd>& l1_weights) {
  return internal::Run(objective, part, x, options, l1_weights.data(), l1_weights.size(), {});
}

LbfgsResult Minimize(Objective& objective, const Partition& part, Eigen::Ref<Eigen::VectorXd> x,
                     const LbfgsOptions& options, const Eigen::Ref<const Eigen::VectorXd>& lower,
                     const Eigen::Ref<const Eigen::VectorXd>& upper) {
  return internal::Run(objective, part, x, options, nullptr, 0,
                       {true, lower.data(), lower.size(), upper.data(), upper.size()});
}

}  // namespace dlbfgs
