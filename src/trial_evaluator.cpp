#include "trial_evaluator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <limits>

#include "assert.hpp"
#include "dlbfgs/interrupt.hpp"
#include "first_touch.hpp"
#include "payload.hpp"

namespace dlbfgs::internal {
namespace {

static_assert(kHeaderSize == 13, "update TrialEvaluator::kGeometryOffset");

double Now() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
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

std::string AndOthers(int ranks) {
  return ranks > 1 ? " (and " + std::to_string(ranks - 1) + " other rank(s))" : "";
}

}  // namespace

SolverVectors::SolverVectors(Eigen::Index n_local)
    : x(Eigen::VectorXd::Zero(n_local)),
      xt(Eigen::VectorXd::Zero(n_local)),
      g(Eigen::VectorXd::Zero(n_local)),
      gt(Eigen::VectorXd::Zero(n_local)),
      d(Eigen::VectorXd::Zero(n_local)) {
  for (Eigen::VectorXd* v : {&x, &xt, &g, &gt, &d}) FirstTouch(v->data(), v->size());
}

TrialEvaluator::TrialEvaluator(Objective& objective, const LbfgsOptions& options, Reducer& reducer,
                               TrialGeometry& geometry, Direction& direction, SolverVectors& v,
                               SolverState& state, RunEnd& end)
    : objective_(objective),
      options_(options),
      reducer_(reducer),
      geometry_(geometry),
      direction_(direction),
      v_(v),
      state_(state),
      end_(end),
      direction_offset_(kGeometryOffset + geometry.PayloadSize()),
      payload_(direction_offset_ + direction.PayloadCapacity(), 0.0) {}

PhiSample TrialEvaluator::Evaluate(double alpha) {
  PhiSample sample;
  sample.alpha = alpha;
  if (options_.max_evaluations > 0 && state_.evaluations >= options_.max_evaluations) {
    end_.Stop(TerminationReason::kMaxEvaluations,
              "reached max_evaluations = " + std::to_string(options_.max_evaluations));
    sample.abort = true;
    return sample;
  }
  const TrialRequest request{first_trial_, first_trial_ && state_.refresh_pending,
                             CarriesProducts(first_trial_)};
  const int count = direction_offset_ + direction_.PayloadSize(request);
  DLBFGS_ASSERT(count <= static_cast<int>(payload_.size()), "payload larger than preallocated");
  double* p = payload_.data();
  std::fill_n(p, count, 0.0);
  double* geometry_block = p + kGeometryOffset;
  const Eigen::VectorXd& v = geometry_.Gradient(v_.g);
  geometry_.FormTrial(v_.x, v, v_.d, alpha, v_.xt, geometry_block);
  trial_alpha_ = alpha;

  bool failed = false;
  std::string what;
  double f_local = 0;
  const double objective_start = Now();
  try {
    f_local = objective_.EvaluateLocal(v_.xt, v_.gt);
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
  objective_seconds_ += Now() - objective_start;

  non_finite_here_ = false;
  if (!failed) {
    const Eigen::VectorXd& vt = geometry_.TrialGradient(v_.xt, v_.gt, v_.d, geometry_block);
    const Eigen::VectorXd& gy = geometry_.PairGradient(v_.g, v_.gt, v_.d);
    direction_.Trial({v_.x, v_.xt, v_.g, gy, vt, v_.d}, request, p, p + direction_offset_);
    vt_ = &vt;
    p[kF] = f_local;
    non_finite_here_ = !std::isfinite(f_local) || !std::isfinite(p[kGradSq]);
  }
  p[kNonFinite] = non_finite_here_ ? 1 : 0;
  p[kErrors] = failed ? 1 : 0;
  p[kStopVotes] = stop_votes_;
  p[kSignalVotes] = StopRequested() ? 1 : 0;
  reducer_.Sum(p, count);
  ++state_.evaluations;
  if (!Agree(failed, what)) {
    sample.abort = true;
    return sample;
  }
  direction_.ReadTrial(request, p, p + direction_offset_);
  if (request.refresh) {
    state_.refresh_pending = false;
    ++state_.gram_refreshes;
  }
  if (request.first) first_trial_moved_ = geometry_.Moved(geometry_block);
  first_trial_ = false;
  carried_products_ = request.products;

  sample.phi = geometry_.Phi(p[kF], geometry_block);
  sample.dphi = geometry_.Slope(p[kSlope], geometry_block);
  sample.model = geometry_.Model(geometry_block);
  if (!std::isfinite(sample.phi) || !std::isfinite(sample.dphi) || !std::isfinite(p[kGradSq])) {
    sample.phi = std::numeric_limits<double>::infinity();
  }
  return sample;
}

bool TrialEvaluator::CarriesProducts(bool first) const {
  switch (options_.trial_products) {
    case TrialProducts::kFirstTrial:
      return first;
    case TrialProducts::kAfterSearch:
      return false;
    case TrialProducts::kEveryTrial:
      break;
  }
  return true;
}

void TrialEvaluator::CompleteProducts() {
  if (carried_products_ || !direction_.NeedsProducts()) return;
  double* block = payload_.data() + direction_offset_;
  const int count = direction_.ProductsSize();
  std::fill_n(block, count, 0.0);
  direction_.Products(*vt_, block);
  reducer_.Sum(block, count);
  ++product_allreduces_;
}

// The reduced votes, in order: an objective error, a stop signal, a callback's stop request.
bool TrialEvaluator::Agree(bool failed, const std::string& what) {
  const double* p = payload_.data();
  if (p[kErrors] > 0) {
    // Every rank knows that some rank failed; take the lowest such rank's message.
    const Reducer::Failure f = reducer_.FirstFailure(failed, what);
    end_.Stop(TerminationReason::kObjectiveError,
              "rank " + std::to_string(f.rank) + ": " + f.message);
    return false;
  }
  if (p[kSignalVotes] > 0) {
    StopOnRequest(static_cast<int>(p[kSignalVotes]));
    return false;
  }
  if (p[kStopVotes] > 0) {
    end_.Stop(TerminationReason::kUserRequested,
              "the iteration callback asked to stop on " +
                  std::to_string(static_cast<int>(p[kStopVotes])) + " rank(s)");
    return false;
  }
  return true;
}

void TrialEvaluator::StopOnRequest(int ranks) {
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
  end_.Stop(TerminationReason::kInterrupted,
            "stop requested by " + source + " on rank " + std::to_string(rank) + AndOthers(ranks));
}

std::string TrialEvaluator::NonFiniteWhere() {
  const int ranks = static_cast<int>(payload_[kNonFinite]);
  const int first = reducer_.LowestRank(non_finite_here_);
  if (ranks <= 0 || first >= reducer_.size()) {
    return " (every rank's share is finite: their sum is not)";
  }
  return " on rank " + std::to_string(first) + AndOthers(ranks);
}

}  // namespace dlbfgs::internal
