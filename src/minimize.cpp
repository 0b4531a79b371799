// The L-BFGS driver: start-up checks, the iteration loop, the evaluation that carries every
// partial sum of a trial point in one allreduce, the history update and the stopping tests.
// Algorithm: Nocedal & Wright, "Numerical Optimization", 2nd ed., Alg. 7.5 (L-BFGS).

#include "dlbfgs/minimize.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "assert.hpp"
#include "checkpoint.hpp"
#include "dlbfgs/interrupt.hpp"
#include "fingerprint.hpp"
#include "first_touch.hpp"
#include "history.hpp"
#include "line_search.hpp"
#include "option_fields.hpp"
#include "passes.hpp"
#include "reducer.hpp"
#include "two_loop.hpp"

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

// Layout of the one allreduce per evaluation. The header is always sent; the fused two-loop
// appends 6 cross products per history slot, and a Gram refresh appends three (m+1)^2 blocks.
enum PayloadSlot : int {
  kF,            // this rank's share of f
  kSlope,        // g_t'd = phi'(alpha)
  kGradSq,       // g_t'g_t
  kErrors,       // ranks whose objective threw
  kStopVotes,    // ranks whose callback asked to stop
  kSignalVotes,  // ranks with a pending RequestStop() (SIGTERM/SIGINT)
  kNonFinite,    // ranks whose f or gradient block is not finite at this trial
  kCheckSlope,   // first trial of a search: g'd summed directly, to check the Gram slope
  kPairSY,       // candidate pair s_t'y_t
  kPairYY,       // y_t'y_t
  kPairSS,       // s_t's_t
  kPairSG,       // s_t'g_t
  kPairYG,       // y_t'g_t
  kHeaderSize,
};

// What the start-up check agreed on.
struct Startup {
  bool allocated = true;               // the workspace was allocated on every rank
  long long existing_checkpoint = -1;  // iteration of the checkpoint in checkpoint_dir; -1: none
};

// The name of the first option (or "the problem size") whose hash differs between ranks; the
// buffer holds each hash h and ~h, maximised over ranks, so equal values give max(~h) == ~min(h).
std::string FirstDifference(const std::uint64_t* hashes, const char* const* names, int count) {
  for (int k = 0; k < count; ++k) {
    if (hashes[2 * k] != ~hashes[2 * k + 1]) return names[k];
  }
  return "";
}

// Start-up check, the solver's one collective outside evaluations: options valid and identical on
// every rank (naming the first field that differs), x of the partition's size, the workspace
// allocated on every rank (`allocated`: this rank's outcome), and whether checkpoint_dir holds a
// checkpoint (probed on rank 0). Throws std::invalid_argument on every rank alike for bad input.
Startup CheckInputs(const LbfgsOptions& options, const Partition& part, Eigen::Index x_size,
                    const std::string& invalid, bool allocated, Reducer& reducer) {
  const auto fields = OptionFields(options);
  constexpr int kHashes = kOptionFieldCount + 1;  // the fields and n
  const char* names[kHashes];
  std::uint64_t buffer[2 * kHashes + 4];
  Fingerprint n_hash;
  n_hash.Add(static_cast<std::int64_t>(part.global_size()));
  names[0] = "the problem size n";
  buffer[0] = n_hash.value();
  for (int k = 0; k < kOptionFieldCount; ++k) {
    names[k + 1] = fields[k].name;
    buffer[2 * (k + 1)] = fields[k].hash;
  }
  for (int k = 0; k < kHashes; ++k) buffer[2 * k + 1] = ~buffer[2 * k];
  std::uint64_t* flags = buffer + 2 * kHashes;
  const bool bad_size = x_size != part.local_size();
  flags[0] = invalid.empty() ? 0 : 1;
  flags[1] = bad_size ? 1 : 0;
  flags[2] = allocated ? 0 : 1;
  flags[3] = part.rank() == 0 ? static_cast<std::uint64_t>(
                                    ProbeCheckpoint(options.checkpoint_dir, options.resume_dir) + 1)
                              : 0;
  reducer.Max(buffer, 2 * kHashes + 4);
  if (const std::string field = FirstDifference(buffer, names, kHashes); !field.empty()) {
    const bool n = field == names[0];
    throw std::invalid_argument((n ? field : "LbfgsOptions." + field) +
                                " differs between ranks (every rank must pass the same value)");
  }
  if (flags[0] != 0) {
    // Identical options on every rank: every rank has the same message.
    throw std::invalid_argument(invalid);
  }
  if (flags[1] != 0) {
    throw std::invalid_argument(
        bad_size ? "x has " + std::to_string(x_size) + " elements on rank " +
                       std::to_string(part.rank()) + " but the partition gives it " +
                       std::to_string(part.local_size())
                 : std::string("x does not match the partition on another rank"));
  }
  return {flags[2] == 0, static_cast<long long>(flags[3]) - 1};
}

class Solver final : public PhiFunction {
 public:
  Solver(Objective& objective, const Partition& part, const LbfgsOptions& options, Reducer& reducer)
      : objective_(objective),
        part_(part),
        options_(options),
        reducer_(reducer),
        fused_(options.two_loop == TwoLoopType::kFused),
        n_local_(part.local_size()),
        m_(options.history_size),
        history_(n_local_, m_),
        coefficients_(m_),
        x_(Eigen::VectorXd::Zero(n_local_)),
        xt_(Eigen::VectorXd::Zero(n_local_)),
        g_(Eigen::VectorXd::Zero(n_local_)),
        gt_(Eigen::VectorXd::Zero(n_local_)),
        d_(Eigen::VectorXd::Zero(n_local_)),
        payload_(kHeaderSize + 6 * (m_ + 1) + 3 * (m_ + 1) * (m_ + 1), 0.0),
        past_f_(options.past + 1, 0.0),
        line_search_(MakeLineSearch(options)) {
    for (Eigen::VectorXd* v : {&x_, &xt_, &g_, &gt_, &d_}) FirstTouch(v->data(), v->size());
  }

  /// Runs from x, or from the checkpoint in `resume_from` when it is not empty.
  LbfgsResult Run(Eigen::Ref<Eigen::VectorXd> x, double setup_seconds,
                  const std::string& resume_from);
  PhiSample Evaluate(double alpha) override;

 private:
  bool EvaluateStart();
  void ComputeDirection();
  void AcceptStep(const PhiSample& sample);
  void UpdateGram();
  bool Stop(TerminationReason reason, std::string message) {
    reason_ = reason;
    message_ = std::move(message);
    stopped_ = true;
    return true;
  }
  bool CheckStoppingTests();
  void ObjectiveFailed(bool failed_here, const std::string& what);
  void ResetHistory() {
    history_.Clear();
    ++result_.history_resets;
  }
  IterationSummary Summary() const;
  bool Resume(const std::string& dir);
  void StopOnRequest(int ranks);
  std::string NonFiniteWhere(int ranks);
  bool Checkpoint();
  SolverScalars SaveScalars() const;
  void LoadScalars(const SolverScalars& s);

  Objective& objective_;
  const Partition& part_;
  const LbfgsOptions& options_;
  Reducer& reducer_;
  const bool fused_;
  const Eigen::Index n_local_;
  const int m_;

  History history_;
  DirectionCoefficients coefficients_;
  Eigen::VectorXd x_, xt_, g_, gt_, d_;  // iterate, trial point, their gradients, direction
  std::vector<double> payload_;
  std::vector<double> past_f_;  // f of the last `past` iterates, a ring by iteration number
  std::unique_ptr<LineSearch> line_search_;

  double f_ = std::numeric_limits<double>::quiet_NaN();  // NaN until the start point is known
  double gg_ = std::numeric_limits<double>::quiet_NaN();
  double g0_norm_ = 0;
  double gtd_ = 0;         // phi'(0) of the current search
  double gd_partial_ = 0;  // fused: this rank's direct g'd, checked in the first trial
  double gram_scale_ = 0;  // fused: ||g|| ||d|| from the Gram, the scale of that check
  bool first_trial_ = false;
  bool check_failed_ = false;
  // This rank's f or gradient block was not finite at the last trial.
  bool non_finite_here_ = false;
  bool refresh_pending_ = false;
  int stop_votes_ = 0;          // this rank's pending stop request (callback)
  std::string callback_error_;  // this rank's callback threw: reported in the next evaluation
  int iterations_ = 0;
  int evaluations_ = 0;
  double step_ = 0;           // last accepted step length
  double xt_alpha_ = 0;       // step length of the trial point in xt_
  int last_checkpoint_ = -1;  // iteration of the last checkpoint written
  double start_time_ = 0;

  bool stopped_ = false;
  TerminationReason reason_ = TerminationReason::kMaxIterations;
  std::string message_;
  LbfgsResult result_;
};

PhiSample Solver::Evaluate(double alpha) {
  PhiSample sample;
  sample.alpha = alpha;
  if (options_.max_evaluations > 0 && evaluations_ >= options_.max_evaluations) {
    Stop(TerminationReason::kMaxEvaluations,
         "reached max_evaluations = " + std::to_string(options_.max_evaluations));
    sample.abort = true;
    return sample;
  }
  xt_.noalias() = x_ + alpha * d_;
  xt_alpha_ = alpha;

  bool failed = false;
  std::string what;
  double f_local = 0;
  const double objective_start = Now();
  try {
    f_local = objective_.EvaluateLocal(xt_, gt_);
  } catch (const std::exception& e) {
    failed = true;
    what = std::string("the objective threw: ") + e.what();
  } catch (...) {
    failed = true;
    what = "the objective threw an unknown exception";
  }
  if (!failed && !callback_error_.empty()) {
    failed = true;  // the objective was still called: it may be collective
    what = callback_error_;
  }
  result_.phases.objective += Now() - objective_start;

  const bool refresh = refresh_pending_ && first_trial_;
  const int old_size = fused_ ? 6 * (m_ + 1) : 0;
  const int count = kHeaderSize + old_size + (refresh ? 3 * (m_ + 1) * (m_ + 1) : 0);
  DLBFGS_ASSERT(count <= static_cast<int>(payload_.size()), "payload larger than preallocated");
  double* p = payload_.data();
  std::fill_n(p, count, 0.0);
  non_finite_here_ = false;
  if (!failed) {
    const TrialPartials t =
        TrialPass(history_, x_, xt_, g_, gt_, d_, fused_ ? p + kHeaderSize : nullptr);
    p[kF] = f_local;
    p[kSlope] = t.gtd;
    p[kGradSq] = t.gg;
    p[kPairSY] = t.sy;
    p[kPairYY] = t.yy;
    p[kPairSS] = t.ss;
    p[kPairSG] = t.sg;
    p[kPairYG] = t.yg;
    if (refresh) GramPartials(history_, p + kHeaderSize + old_size);
    non_finite_here_ = !std::isfinite(f_local) || !std::isfinite(t.gg);
  }
  p[kNonFinite] = non_finite_here_ ? 1 : 0;
  p[kErrors] = failed ? 1 : 0;
  p[kStopVotes] = stop_votes_;
  p[kSignalVotes] = StopRequested() ? 1 : 0;
  p[kCheckSlope] = first_trial_ ? gd_partial_ : 0;
  reducer_.Sum(p, count);
  ++evaluations_;

  if (p[kErrors] > 0) {
    ObjectiveFailed(failed, what);
    sample.abort = true;
    return sample;
  }
  if (p[kSignalVotes] > 0) {
    StopOnRequest(static_cast<int>(p[kSignalVotes]));
    sample.abort = true;
    return sample;
  }
  if (p[kStopVotes] > 0) {
    Stop(TerminationReason::kUserRequested, "the iteration callback asked to stop on " +
                                                std::to_string(static_cast<int>(p[kStopVotes])) +
                                                " rank(s)");
    sample.abort = true;
    return sample;
  }
  if (first_trial_ && fused_ && history_.count() > 0) {
    // The line search uses phi'(0) from the Gram matrix; the direct sum must agree with it to
    // rounding (see LbfgsOptions::gram_check_tol). Otherwise start the history afresh after
    // this step.
    check_failed_ = std::fabs(p[kCheckSlope] - gtd_) > options_.gram_check_tol * gram_scale_ ||
                    !std::isfinite(p[kCheckSlope]);
  }
  if (refresh) {
    const int slots = m_ + 1;
    const double* r = p + kHeaderSize + old_size;
    for (int k = 0; k < history_.count(); ++k) {
      for (int l = 0; l < history_.count(); ++l) {
        const int i = history_.Slot(k);
        const int j = history_.Slot(l);
        history_.SS(i, j) = r[i + slots * j];
        history_.SY(i, j) = r[slots * slots + i + slots * j];
        history_.YY(i, j) = r[2 * slots * slots + i + slots * j];
      }
    }
    refresh_pending_ = false;
    ++result_.gram_refreshes;
  }
  first_trial_ = false;

  sample.phi = p[kF];
  sample.dphi = p[kSlope];
  if (!std::isfinite(sample.phi) || !std::isfinite(sample.dphi) || !std::isfinite(p[kGradSq])) {
    sample.phi = std::numeric_limits<double>::infinity();
  }
  return sample;
}

const char* SignalName(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return nullptr;
  }
}

void Solver::StopOnRequest(int ranks) {
  // Name the lowest rank with a pending request and what made it (error path only: one more
  // collective). A signal number fits in 7 bits.
  const int code = reducer_.MinInt(dlbfgs::StopRequested() ? 128 * reducer_.rank() + StopSignal()
                                                           : std::numeric_limits<int>::max());
  const int rank = code / 128;
  const int signal = code % 128;
  std::string source = "RequestStop()";
  if (signal != 0) {
    source = SignalName(signal) ? SignalName(signal) : "signal " + std::to_string(signal);
  }
  Stop(TerminationReason::kInterrupted,
       "stop requested by " + source + " on rank " + std::to_string(rank) +
           (ranks > 1 ? " (and " + std::to_string(ranks - 1) + " other rank(s))" : ""));
}

std::string Solver::NonFiniteWhere(int ranks) {
  // Error path only: one more collective to name the lowest such rank.
  const int first = reducer_.MinInt(non_finite_here_ ? reducer_.rank() : reducer_.size());
  if (ranks <= 0 || first >= reducer_.size()) {
    return " (every rank's share is finite: their sum is not)";
  }
  return " on rank " + std::to_string(first) +
         (ranks > 1 ? " (and " + std::to_string(ranks - 1) + " other rank(s))" : "");
}

void Solver::ObjectiveFailed(bool failed_here, const std::string& what) {
  // Every rank knows that some rank failed (the reduced count); agree on the lowest such rank and
  // take its message, so that the outcome is identical everywhere. Error path only.
  const int first = reducer_.MinInt(failed_here ? reducer_.rank() : reducer_.size());
  std::string text = what;
  reducer_.Broadcast(text, first);
  Stop(TerminationReason::kObjectiveError, "rank " + std::to_string(first) + ": " + text);
}

bool Solver::EvaluateStart() {
  // The start point is a trial at alpha = 0 along d = 0 with an empty history: the same single
  // allreduce as every other evaluation.
  d_.setZero();
  const PhiSample s = Evaluate(0.0);
  if (s.abort) return false;
  std::swap(x_, xt_);
  std::swap(g_, gt_);
  f_ = payload_[kF];
  gg_ = payload_[kGradSq];
  if (!std::isfinite(f_) || !std::isfinite(gg_)) {
    const std::string where = NonFiniteWhere(static_cast<int>(payload_[kNonFinite]));
    Stop(TerminationReason::kNonFiniteValue,
         "f or the gradient is not finite at the starting point" + where +
             " (f = " + Format("%g", f_) + ")");
    return false;
  }
  g0_norm_ = std::sqrt(gg_);
  return true;
}

void Solver::ComputeDirection() {
  if (!fused_) {
    gtd_ = ClassicTwoLoop(history_, g_, gg_, d_, coefficients_.alpha, reducer_);
    if (!(gtd_ < 0)) {
      ResetHistory();
      d_ = -g_;
      gtd_ = -gg_;
    }
    return;
  }
  FusedTwoLoop(history_, gg_, coefficients_);
  gtd_ = GramSlope(history_, gg_, coefficients_);
  if (!(gtd_ < 0) || !std::isfinite(gtd_)) {
    // Not a descent direction (rounding in a badly conditioned history): restart along -g.
    ResetHistory();
    FusedTwoLoop(history_, gg_, coefficients_);
    gtd_ = -gg_;
  }
  gram_scale_ = std::sqrt(gg_ * std::max(0.0, GramSquaredNorm(history_, gg_, coefficients_)));
  gd_partial_ = FormDirection(history_, coefficients_, g_, d_);
}

void Solver::UpdateGram() {
  // Fused: new Sg/Yg for every stored pair, and the candidate's cross products, all read from the
  // payload of the accepted trial (no communication).
  const double* o = payload_.data() + kHeaderSize;
  for (int k = 0; k < history_.count(); ++k) {
    const int j = history_.Slot(k);
    history_.Sg(j) = o[6 * j + 0];
    history_.Yg(j) = o[6 * j + 1];
  }
}

void Solver::AcceptStep(const PhiSample& sample) {
  std::swap(x_, xt_);
  std::swap(g_, gt_);
  f_ = sample.phi;
  gg_ = payload_[kGradSq];
  ++iterations_;
  if (check_failed_) {
    ResetHistory();
    check_failed_ = false;
  }
  const double* p = payload_.data();
  if (fused_) UpdateGram();
  // Curvature safeguard: keep the pair only when s'y > eps y'y (Nocedal & Wright, Section 7.2).
  const double sy = p[kPairSY];
  const double yy = p[kPairYY];
  if (!(sy > options_.curvature_eps * yy) || !(yy > 0)) {
    ++result_.skipped_updates;
    return;
  }
  const int t = history_.Spare();
  history_.SY(t, t) = sy;
  history_.YY(t, t) = yy;
  history_.SS(t, t) = p[kPairSS];
  history_.Sg(t) = p[kPairSG];
  history_.Yg(t) = p[kPairYG];
  if (fused_) {
    const double* o = p + kHeaderSize;
    for (int k = 0; k < history_.count(); ++k) {
      const int j = history_.Slot(k);
      history_.SY(j, t) = o[6 * j + 2];
      history_.YY(j, t) = history_.YY(t, j) = o[6 * j + 3];
      history_.SS(j, t) = history_.SS(t, j) = o[6 * j + 4];
      history_.SY(t, j) = o[6 * j + 5];
    }
  }
  history_.AcceptSpare();
}

bool Solver::CheckStoppingTests() {
  const double gnorm = std::sqrt(gg_);
  // At the start point a small ||g0|| (a badly scaled problem) would "converge" at once: say so.
  const char* at_start = iterations_ == 0 ? " at the starting point" : "";
  if (gnorm <= options_.grad_tol) {
    return Stop(TerminationReason::kGradientTolerance,
                Format("||g|| = %.3e <= grad_tol = %.3e", gnorm, options_.grad_tol) + at_start);
  }
  if (options_.grad_rel_tol > 0 && gnorm <= options_.grad_rel_tol * g0_norm_) {
    return Stop(TerminationReason::kRelativeGradientTolerance,
                Format("||g|| = %.3e <= grad_rel_tol * ||g0|| = %.3e", gnorm,
                       options_.grad_rel_tol * g0_norm_));
  }
  if (options_.past > 0 && options_.f_rel_tol > 0 && iterations_ >= options_.past) {
    const double f_past = past_f_[(iterations_ - options_.past) % (options_.past + 1)];
    const double decrease = (f_past - f_) / std::max(1.0, std::fabs(f_));
    if (decrease <= options_.f_rel_tol) {
      return Stop(TerminationReason::kFunctionTolerance,
                  Format("relative decrease %.3e over %g iterations <= f_rel_tol = %.3e", decrease,
                         options_.past, options_.f_rel_tol));
    }
  }
  if (iterations_ >= options_.max_iterations) {
    return Stop(TerminationReason::kMaxIterations,
                "reached max_iterations = " + std::to_string(options_.max_iterations));
  }
  if (options_.max_evaluations > 0 && evaluations_ >= options_.max_evaluations) {
    return Stop(TerminationReason::kMaxEvaluations,
                "reached max_evaluations = " + std::to_string(options_.max_evaluations));
  }
  return false;
}

IterationSummary Solver::Summary() const {
  IterationSummary s;
  s.iteration = iterations_;
  s.f = f_;
  s.grad_norm = std::sqrt(gg_);
  s.step = step_;
  s.evaluations = evaluations_;
  s.history_count = history_.count();
  s.seconds = Now() - start_time_;
  s.x_local = x_.data();
  s.g_local = g_.data();
  s.local_size = n_local_;
  return s;
}

SolverScalars Solver::SaveScalars() const {
  SolverScalars s;
  s.iterations = iterations_;
  s.evaluations = evaluations_;
  s.f = f_;
  s.gg = gg_;
  s.g0_norm = g0_norm_;
  s.step = step_;
  s.skipped_updates = result_.skipped_updates;
  s.history_resets = result_.history_resets;
  s.gram_refreshes = result_.gram_refreshes;
  s.refresh_pending = refresh_pending_;
  return s;
}

void Solver::LoadScalars(const SolverScalars& s) {
  iterations_ = s.iterations;
  evaluations_ = s.evaluations;
  f_ = s.f;
  gg_ = s.gg;
  g0_norm_ = s.g0_norm;
  step_ = s.step;
  result_.skipped_updates = s.skipped_updates;
  result_.history_resets = s.history_resets;
  result_.gram_refreshes = s.gram_refreshes;
  refresh_pending_ = s.refresh_pending;
}

bool Solver::Resume(const std::string& dir) {
  SolverScalars s;
  const std::string error =
      ReadCheckpoint(dir, part_, options_, {s, past_f_, history_, x_, g_}, reducer_);
  if (!error.empty()) throw std::invalid_argument(error);
  LoadScalars(s);
  result_.resumed = true;
  result_.resumed_iterations = iterations_;
  result_.resumed_evaluations = evaluations_;
  last_checkpoint_ = iterations_;
  return true;
}

bool Solver::Checkpoint() {
  SolverScalars s = SaveScalars();
  const std::string error = WriteCheckpoint(options_.checkpoint_dir, part_, options_,
                                            {s, past_f_, history_, x_, g_}, reducer_);
  if (!error.empty()) {
    const std::string before = stopped_ ? " (after: " + message_ + ")" : "";
    Stop(TerminationReason::kCheckpointFailed, error + before);
    return false;
  }
  last_checkpoint_ = iterations_;
  ++result_.checkpoints;
  return true;
}

LbfgsResult Solver::Run(Eigen::Ref<Eigen::VectorXd> x, double setup_seconds,
                        const std::string& resume_from) {
  start_time_ = Now();
  const double comm_before = reducer_.stats().allreduce_seconds;  // the start-up check's
  x_ = x;
  const bool started = resume_from.empty() ? EvaluateStart() : Resume(resume_from);
  if (started) {
    bool retry = false;  // a failed search along the quasi-Newton direction is retried along -g
    while (true) {
      if (!retry) {
        if (options_.past > 0) past_f_[iterations_ % (options_.past + 1)] = f_;
        if (options_.callback) {
          // A throwing callback is agreed on like a throwing objective, in the next evaluation.
          try {
            if (options_.callback(Summary()) == CallbackResult::kStop) stop_votes_ = 1;
          } catch (const std::exception& e) {
            callback_error_ = std::string("the iteration callback threw: ") + e.what();
          } catch (...) {
            callback_error_ = "the iteration callback threw an unknown exception";
          }
        }
        if (CheckStoppingTests()) break;
        // Periodic checkpoints start at iteration 0: an unwritable directory is reported at
        // once, not K iterations (perhaps hours) later, and a requeued job finds a checkpoint.
        if (options_.checkpoint_every > 0 && iterations_ % options_.checkpoint_every == 0 &&
            last_checkpoint_ != iterations_ && !Checkpoint()) {
          break;
        }
      }
      retry = false;
      const double direction_start = Now();
      const double direction_comm = reducer_.stats().allreduce_seconds;
      ComputeDirection();
      result_.phases.direction +=
          Now() - direction_start - (reducer_.stats().allreduce_seconds - direction_comm);
      // First step min(1, 1/||g||) while the history is empty (no scale known yet), then 1.
      const double alpha0 = history_.count() == 0 ? std::min(1.0, 1.0 / std::sqrt(gg_)) : 1.0;
      first_trial_ = true;
      const LineSearchOutcome ls = line_search_->Search({0, f_, gtd_, false}, alpha0, *this);
      if (ls.status == LineSearchStatus::kAborted) break;
      if (ls.status == LineSearchStatus::kSuccess) {
        // x_t, g_t and the payload belong to the last evaluation: it must be the accepted one.
        DLBFGS_ASSERT(ls.last.alpha == xt_alpha_, "accepted step is not the last evaluated one");
        step_ = ls.last.alpha;
        AcceptStep(ls.last);
        if (options_.gram_refresh_interval > 0 && fused_ &&
            iterations_ % options_.gram_refresh_interval == 0) {
          refresh_pending_ = true;
        }
        continue;
      }
      if (history_.count() > 0) {
        // No acceptable step along the quasi-Newton direction: retry once along -g.
        ResetHistory();
        check_failed_ = false;
        retry = true;
        continue;
      }
      if (!std::isfinite(ls.last.phi)) {
        const std::string where = NonFiniteWhere(static_cast<int>(payload_[kNonFinite]));
        Stop(TerminationReason::kNonFiniteValue,
             Format("f or the gradient is not finite at every trial step, down to alpha = %.3e",
                    ls.last.alpha) +
                 where);
      } else {
        Stop(TerminationReason::kLineSearchFailed,
             Format("no acceptable step along steepest descent after %g evaluations (last alpha "
                    "= %.3e)",
                    ls.evaluations, ls.last.alpha));
      }
      break;
    }
    // No lost work: the state at the last accepted iterate is saved whatever ended the run.
    if (!options_.checkpoint_dir.empty() && last_checkpoint_ != iterations_ &&
        reason_ != TerminationReason::kCheckpointFailed) {
      Checkpoint();
    }
  }
  // The iterate is the last accepted point: with a monotone line search, the best one.
  x = x_;
  result_.reason = reason_;
  result_.message = message_;
  result_.f = f_;
  result_.grad_norm = std::sqrt(gg_);
  result_.iterations = iterations_;
  result_.evaluations = evaluations_;
  result_.seconds = Now() - start_time_;
  result_.setup_seconds = setup_seconds;
  result_.comm = reducer_.stats();
  result_.phases.communication = result_.comm.allreduce_seconds - comm_before;
  result_.phases.other = result_.seconds - result_.phases.objective - result_.phases.direction -
                         result_.phases.communication;
  return result_;
}

}  // namespace
}  // namespace internal

LbfgsResult Minimize(Objective& objective, const Partition& part, Eigen::Ref<Eigen::VectorXd> x,
                     const LbfgsOptions& options) {
  internal::Reducer reducer(part.comm());
  // Allocate (and first-touch) the workspace before the start-up check, so that a rank that runs
  // out of memory is reported by the same collective instead of leaving the others waiting.
  const std::string invalid = ValidateOptions(options);
  const double setup_start = internal::Now();
  std::unique_ptr<internal::Solver> solver;
  if (invalid.empty()) {
    try {
      solver = std::make_unique<internal::Solver>(objective, part, options, reducer);
    } catch (const std::bad_alloc&) {
      solver.reset();
    }
  }
  const double setup_seconds = internal::Now() - setup_start;
  const bool allocated = solver != nullptr || !invalid.empty();
  const internal::Startup startup =
      internal::CheckInputs(options, part, x.size(), invalid, allocated, reducer);
  if (!startup.allocated) {
    // Error path only: name the lowest rank that failed.
    const int first = reducer.MinInt(allocated ? reducer.size() : reducer.rank());
    LbfgsResult result;
    result.reason = TerminationReason::kOutOfMemory;
    result.message =
        "cannot allocate the workspace of about " +
        std::to_string((2 * options.history_size + 7) * 8 * part.LocalSizeOf(first) / (1 << 20)) +
        " MiB on rank " + std::to_string(first) + " (history_size " +
        std::to_string(options.history_size) + ")";
    result.f = std::numeric_limits<double>::quiet_NaN();
    result.grad_norm = std::numeric_limits<double>::quiet_NaN();
    result.comm = reducer.stats();
    return result;
  }
  // Never destroy a checkpoint silently (the values are agreed: every rank takes this branch).
  std::string resume_from = options.resume_dir;
  if (startup.existing_checkpoint >= 0) {
    if (options.existing_checkpoint == ExistingCheckpoint::kResume && options.resume_dir.empty()) {
      resume_from = options.checkpoint_dir;
    } else if (options.existing_checkpoint != ExistingCheckpoint::kOverwrite) {
      throw std::invalid_argument(
          "checkpoint directory " + options.checkpoint_dir + " already holds the checkpoint of " +
          "iteration " + std::to_string(startup.existing_checkpoint) +
          ": resume from it, or overwrite it explicitly (LbfgsOptions::existing_checkpoint; " +
          "dlbfgs solve --resume auto or --overwrite-checkpoint)");
    }
  }
  return solver->Run(x, setup_seconds, resume_from);
}

}  // namespace dlbfgs
