#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "direction.hpp"
#include "dlbfgs/objective.hpp"
#include "dlbfgs/options.hpp"
#include "dlbfgs/result.hpp"
#include "line_search.hpp"
#include "reducer.hpp"
#include "solver_state.hpp"
#include "trial_geometry.hpp"

namespace dlbfgs::internal {

/// The vectors of a run, this rank's blocks: the iterate x and its gradient g, the trial point x_t
/// and its gradient g_t, and the direction d. Accepting a trial swaps (x, g) with (x_t, g_t).
struct SolverVectors {
  explicit SolverVectors(Eigen::Index n_local);
  Eigen::VectorXd x, xt, g, gt, d;
};

/// How the run ends, once something has ended it: identical on every rank.
struct RunEnd {
  bool stopped = false;
  TerminationReason reason = TerminationReason::kMaxIterations;
  std::string message;
  /// Records the end; returns true (for `return end.Stop(...)`).
  bool Stop(TerminationReason r, std::string m) {
    stopped = true;
    reason = r;
    message = std::move(m);
    return true;
  }
};

/// phi(alpha) for the line search: one evaluation is one allreduce. Forms the trial point through
/// the geometry, calls the objective, fills the payload (header, geometry block, direction block:
/// payload.hpp) and sums it, then agrees on the outcome on every rank: an objective that threw on
/// some rank, a stop vote of the callback, a pending stop signal, the evaluation budget. Any of
/// them aborts the search with the reason recorded in the RunEnd.
class TrialEvaluator final : public PhiFunction {
 public:
  TrialEvaluator(Objective& objective, const LbfgsOptions& options, Reducer& reducer,
                 TrialGeometry& geometry, Direction& direction, SolverVectors& v,
                 SolverState& state, RunEnd& end);

  /// Collective: one MPI_Allreduce (more only on the paths that end the run).
  PhiSample Evaluate(double alpha) override;

  /// The next evaluation is the first of a line search (it carries the fused Gram check, and a
  /// pending Gram refresh).
  void BeginSearch() { first_trial_ = true; }
  /// Collective, before the last evaluation is accepted: when it did not carry the history
  /// products (LbfgsOptions::trial_products) and the direction still reads them, forms them in
  /// one pass into its direction block and sums them in one extra allreduce (counted in
  /// product_allreduces()). Nothing otherwise. No error can arise: every rank takes the same
  /// branch on reduced values.
  void CompleteProducts();
  /// The extra allreduces of CompleteProducts() so far.
  int product_allreduces() const { return product_allreduces_; }
  /// The reduced payload of the last evaluation.
  const double* header() const { return payload_.data(); }
  const double* geometry_block() const { return payload_.data() + kGeometryOffset; }
  const double* direction_block() const { return payload_.data() + direction_offset_; }
  /// Step length of the trial point in x_t.
  double trial_alpha() const { return trial_alpha_; }
  /// Whether the first trial of the current search (its longest step) moved x.
  bool first_trial_moved() const { return first_trial_moved_; }
  /// " on rank R (and K other rank(s))" for the non-finite values of the last evaluation (error
  /// path only: one collective).
  std::string NonFiniteWhere();
  /// This rank's callback asked to stop / threw: agreed on in the next evaluation.
  void VoteStop() { stop_votes_ = 1; }
  void SetCallbackError(std::string what) { callback_error_ = std::move(what); }
  /// Seconds spent inside the objective on this rank.
  double objective_seconds() const { return objective_seconds_; }

 private:
  static constexpr int kGeometryOffset = 13;  // kHeaderSize, checked in the .cpp
  bool Agree(bool failed, const std::string& what);
  bool CarriesProducts(bool first) const;
  void StopOnRequest(int ranks);

  Objective& objective_;
  const LbfgsOptions& options_;
  Reducer& reducer_;
  TrialGeometry& geometry_;
  Direction& direction_;
  SolverVectors& v_;
  SolverState& state_;
  RunEnd& end_;
  const int direction_offset_;
  std::vector<double> payload_;
  bool first_trial_ = false;
  bool first_trial_moved_ = true;
  bool carried_products_ = true;         // the last evaluation carried the history products
  const Eigen::VectorXd* vt_ = nullptr;  // the direction's gradient at the last trial point
  int product_allreduces_ = 0;
  bool non_finite_here_ = false;  // this rank's f or gradient block was not finite
  int stop_votes_ = 0;
  std::string callback_error_;
  double trial_alpha_ = 0;
  double objective_seconds_ = 0;
};

}  // namespace dlbfgs::internal
