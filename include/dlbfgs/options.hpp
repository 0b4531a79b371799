#pragma once

#include <functional>
#include <string>

#include "dlbfgs/result.hpp"

namespace dlbfgs {

/// How the search direction d = -H g is computed from the (s, y) history.
enum class TwoLoopType {
  /// Vector-free two-loop on a replicated Gram matrix: no reduction of its own, one streaming
  /// pass over the history to form d; its partial sums ride in each evaluation's allreduce.
  kFused,
  /// Textbook two-loop recursion (Nocedal & Wright, Alg. 7.4) with a global dot product per
  /// step: 2m reductions per iteration plus one for the curvature pair. The reference.
  kClassic,
};

/// How the (s, y) history is stored.
enum class HistoryPrecision {
  /// Every stored vector in double precision.
  kFloat64,
  /// S and Y stored in single precision: half the history's memory and memory traffic. Every dot
  /// product, the Gram matrix and the direction are still formed in double precision, from the
  /// stored (rounded) vectors. See README, "float32 history", for when not to use it.
  kFloat32,
};

/// Which trials of a line search carry the fused direction's products of their gradient and
/// candidate pair with the 2m stored history vectors (6 per stored pair, in the trial's allreduce).
/// An accepted trial that did not carry them gets them from one extra pass over the history and
/// one extra allreduce, summed in the same blocked order: the iterates are bitwise those of
/// kEveryTrial whatever the choice. Fused two-loop only (classic forms no such products).
enum class TrialProducts {
  /// Every trial streams the history: no extra allreduce, 2m history vectors read per trial.
  kEveryTrial,
  /// Only the first trial of a search (the step the line search accepts most often): a rejected
  /// later trial reads no history; an accepted later trial costs one pass and one allreduce.
  kFirstTrial,
  /// No trial: each accepted step with a non-empty history costs one pass and one allreduce.
  kAfterSearch,
};

/// Step-length rule.
enum class LineSearchType {
  /// More & Thuente (1994): strong Wolfe conditions with safeguarded cubic interpolation.
  kMoreThuente,
  /// Backtracking by interpolation on the Armijo condition (optionally also weak Wolfe).
  kBacktracking,
};

/// What a run does when LbfgsOptions::checkpoint_dir already holds a checkpoint (a file LATEST)
/// that it is not resuming from.
enum class ExistingCheckpoint {
  /// Refuse to start: std::invalid_argument on every rank, and the checkpoint stays intact.
  kRefuse,
  /// Resume from it when there is one, start afresh when there is none: the mode for jobs that a
  /// scheduler requeues. A checkpoint that does not fit (another problem, size or algorithm) is
  /// still refused. With resume_dir set this means kRefuse.
  kResume,
  /// Start afresh and replace it.
  kOverwrite,
};

/// What an iteration callback asks the solver to do next.
enum class CallbackResult { kContinue, kStop };

/// Called on every rank at the start point (iteration 0) and after every accepted iteration, the
/// last one included, with a summary that is identical on all ranks. A kStop on any rank stops the
/// run on all ranks (the votes are combined in the next evaluation's allreduce, so that evaluation
/// is spent and discarded; the returned x is the one the summary describes).
using IterationCallback = std::function<CallbackResult(const IterationSummary&)>;

/// Options of Minimize(). A plain struct: every field has a documented default and range, and
/// Minimize() rejects out-of-range values with std::invalid_argument naming the field. Every rank
/// must pass the same values (checked collectively; the callback is not compared).
struct LbfgsOptions {
  /// Number m of (s, y) pairs kept. Range [0, 1000]; 0 is steepest descent (d = -g with the same
  /// line search and evaluation), a baseline for comparisons, not a recommendation. Memory: about
  /// (2m + 7) n_local doubles (3 n_local more with an L1 term), about (m + 7) n_local with
  /// history_precision = kFloat32.
  int history_size = 10;
  /// Storage of the history's vectors; kFloat64 (the default) or kFloat32.
  HistoryPrecision history_precision = HistoryPrecision::kFloat64;

  /// L1 regularisation: Minimize() minimises F(x) = f(x) + sum_i lambda_i |x_i| with OWL-QN
  /// (Andrew & Gao, ICML 2007), lambda_i = l1_weight * w_i for the per-variable weights w of the
  /// Minimize() overload that takes them (every w_i = 1 otherwise; w_i = 0 leaves x_i
  /// unpenalised, e.g. an intercept). The stopping tests then use the norm of the minimum-norm
  /// subgradient of F (LbfgsResult::optimality), and the line search is Armijo backtracking along
  /// the orthant-projected path (More-Thuente does not apply: with kMoreThuente the run uses
  /// backtracking and says so in LbfgsResult::line_search). Range >= 0 and finite; 0: plain
  /// L-BFGS, bitwise the run without this field.
  double l1_weight = 0;

  // Stopping tests, checked after every accepted step (and at the start point).
  /// Stop when ||g||_2 <= grad_tol (absolute, global 2-norm). Range >= 0.
  double grad_tol = 1e-5;
  /// Stop when ||g||_2 <= grad_rel_tol * ||g_0||_2. Range >= 0; 0 turns the test off.
  double grad_rel_tol = 0;
  /// Stop when (f_{k-past} - f_k) / max(1, |f_k|) <= f_rel_tol. Range >= 0; off when 0 or past ==
  /// 0.
  double f_rel_tol = 0;
  /// Distance in iterations of the f_rel_tol test. Range [0, 1000]; 0 turns the test off.
  int past = 0;
  /// Stop after this many iterations (accepted steps). Range >= 0.
  int max_iterations = 1000;
  /// Stop once this many objective evaluations have been spent. Range >= 0; 0: no limit.
  int max_evaluations = 0;

  /// Direction computation; kFused is the default, kClassic the textbook reference.
  TwoLoopType two_loop = TwoLoopType::kFused;
  /// Step-length rule.
  LineSearchType line_search = LineSearchType::kMoreThuente;
  /// Sufficient-decrease (Armijo) constant c1. Range (0, 0.5).
  double c1 = 1e-4;
  /// Curvature constant c2 (strong Wolfe for More-Thuente, weak Wolfe for backtracking with
  /// backtracking_wolfe). Range (c1, 1).
  double c2 = 0.9;
  /// Backtracking only: also require the weak Wolfe curvature condition phi'(a) >= c2 phi'(0),
  /// growing the step when it fails. Must be false with l1_weight > 0.
  bool backtracking_wolfe = false;
  /// Most objective evaluations one line search may spend. Range [1, 1000].
  int max_line_search_evaluations = 20;
  /// Smallest and largest step length a line search may try. 0 < min_step < max_step.
  double min_step = 1e-20;
  double max_step = 1e20;

  /// Curvature safeguard: the pair (s, y) is skipped (and counted) when s'y <= curvature_eps * y'y.
  /// Range >= 0.
  double curvature_eps = 2.220446049250313e-16;
  /// Fused two-loop only: recompute the whole replicated Gram matrix from the stored vectors every
  /// this many iterations (its partial sums ride in an evaluation's allreduce). Every entry is
  /// computed directly from stored vectors when the vector is created, so there is no drift to
  /// correct; the refresh is a defence in depth. Range >= 0; 0: never.
  int gram_refresh_interval = 0;
  /// Fused two-loop only: the direction's slope g'd is known both from the Gram matrix (used by
  /// the line search) and as a direct partial sum (checked in the first trial's allreduce). When
  /// they differ by more than this relative amount the history is reset. Range >= 0.
  double gram_check_tol = 1e-8;
  /// Fused two-loop only: which trials carry the history products (see TrialProducts). It does
  /// not change the iterates (a resume may change it); it moves fewer bytes per rejected trial
  /// for one more allreduce latency in some iterations. kEveryTrial (the default, and for
  /// latency-bound runs); kAfterSearch for bandwidth-bound runs whose searches average clearly
  /// more than 1 + 3/(2m) evaluations per iteration; kFirstTrial where 3-trial searches
  /// outnumber 2-trial ones (README, "Cheaper rejected trials", has the measurements).
  /// LbfgsResult::product_allreduces counts the extra allreduces.
  TrialProducts trial_products = TrialProducts::kEveryTrial;

  /// Directory for checkpoints; "" writes none. Every rank writes its own file there (a shared
  /// file system on a cluster). A checkpoint is complete once its manifest is written and the
  /// file LATEST names it; the previous one is removed only then, so a crash at any moment leaves
  /// a good checkpoint. Written every checkpoint_every iterations, on a stop request and when the
  /// run ends.
  std::string checkpoint_dir;
  /// Iterations between checkpoints. Range >= 0; 0: only on a stop request and at the end.
  int checkpoint_every = 0;
  /// What to do when checkpoint_dir already holds a checkpoint that this run does not resume
  /// from (see ExistingCheckpoint). Default kRefuse: a run never silently destroys a checkpoint.
  ExistingCheckpoint existing_checkpoint = ExistingCheckpoint::kRefuse;
  /// Resume from the checkpoint named by DIR/LATEST; "" starts from x. On the same number of
  /// ranks the run continues bitwise as the uninterrupted run would; on another number the saved
  /// vectors are re-partitioned. The algorithm's options (history_size, two_loop, line search
  /// and its constants, curvature_eps, gram_*, past) must equal the saved ones; the stopping
  /// limits may differ. Iteration and evaluation counts continue from the checkpoint.
  std::string resume_dir;
  /// What a checkpoint belongs to beyond its size and algorithm options: the problem and its
  /// data (the dlbfgs program writes "problem=NAME condition=K"). Saved in the manifest; a
  /// resume whose label differs is refused, so that a checkpoint of another problem of the same
  /// size is not silently continued. Any text; "" matches only "".
  std::string checkpoint_label;

  /// Optional per-iteration callback (see IterationCallback). Empty: none.
  IterationCallback callback;
};

/// Returns "" when every field of `options` is in range, otherwise a one-line message naming the
/// first offending field and its condition. Local.
std::string ValidateOptions(const LbfgsOptions& options);

/// Parses "fused"/"classic" (throws std::invalid_argument otherwise). Local.
TwoLoopType ParseTwoLoopType(const std::string& name);
/// Parses "float64"/"float32" (throws std::invalid_argument otherwise). Local.
HistoryPrecision ParseHistoryPrecision(const std::string& name);
/// Parses "every"/"first"/"after" (throws std::invalid_argument otherwise). Local.
TrialProducts ParseTrialProducts(const std::string& name);
/// Parses "more-thuente"/"backtracking" (throws std::invalid_argument otherwise). Local.
LineSearchType ParseLineSearchType(const std::string& name);
/// "fused" or "classic". Local.
const char* ToString(TwoLoopType type);
/// "float64" or "float32". Local.
const char* ToString(HistoryPrecision precision);
/// "every", "first" or "after". Local.
const char* ToString(TrialProducts products);
/// "more-thuente" or "backtracking". Local.
const char* ToString(LineSearchType type);

}  // namespace dlbfgs
