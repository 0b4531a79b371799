#include "solve.hpp"

#include <mpi.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <stdexcept>

#include "report.hpp"

namespace dlbfgs::cli {
namespace {

// A bound: a number, -inf or inf (not nan, and not a number too large for a double, which
// strtod would silently turn into an infinite bound: no bound at all).
const CLI::Validator kBound = CLI::Validator(
    [](std::string& text) {
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || std::isnan(v)) {
        return "'" + text + "' is not a number, -inf or inf";
      }
      if (errno == ERANGE && std::isinf(v)) {
        return "'" + text + "' is out of the range of a double (write inf or -inf for no bound)";
      }
      return std::string();
    },
    "");

// The value of --lower / --upper: `fallback` (-inf or inf) when not given.
double BoundValue(const std::string& text, double fallback) {
  return text.empty() ? fallback : std::strtod(text.c_str(), nullptr);
}

// The options' ranges are the library's (ValidateOptions): the flags only parse numbers.
const CLI::Validator kNumber =
    AtLeast(-std::numeric_limits<double>::infinity(), false).description("");
const CLI::Validator kInteger =
    WholeNumber(std::numeric_limits<int>::min(), std::numeric_limits<int>::max()).description("");

// The flag of each LbfgsOptions field that `solve` sets, for the library's range messages.
const char* FlagOf(const std::string& field) {
  static const std::pair<const char*, const char*> kFlags[] = {
      {"history_size", "--history"},
      {"l1_weight", "--l1"},
      {"grad_tol", "--grad-tol"},
      {"grad_rel_tol", "--grad-rel-tol"},
      {"f_rel_tol", "--f-rel-tol"},
      {"past", "--past"},
      {"max_iterations", "--max-iterations"},
      {"max_evaluations", "--max-evaluations"},
      {"gram_refresh_interval", "--gram-refresh-interval"},
      {"trial_products", "--trial-products"},
      {"checkpoint_every", "--checkpoint-every"},
  };
  for (const auto& [name, flag] : kFlags) {
    if (field == name) return flag;
  }
  return nullptr;
}

// "LbfgsOptions.FIELD = V: must be C" from ValidateOptions as "--flag: must be C, got V".
std::string InFlagTerms(const std::string& invalid) {
  const std::string prefix = "LbfgsOptions.";
  const std::size_t eq = invalid.find(" = ");
  const std::size_t colon = invalid.find(": must be ");
  if (invalid.rfind(prefix, 0) != 0 || eq == std::string::npos || colon == std::string::npos) {
    return "invalid options: " + invalid;
  }
  const char* flag = FlagOf(invalid.substr(prefix.size(), eq - prefix.size()));
  if (flag == nullptr) return "invalid options: " + invalid;
  return std::string(flag) + invalid.substr(colon) + ", got " +
         invalid.substr(eq + 3, colon - eq - 3);
}

// Local checks of the combination of flags, the same on every rank. "" when fine.
std::string CheckArgs(const SolveArgs& a, const ProblemInfo& info) {
  if (a.n % info.granularity != 0) {
    return "--n: " + info.name + " needs n to be a multiple of " +
           std::to_string(info.granularity) + ", got " + std::to_string(a.n);
  }
  if (a.n < info.min_n) {
    return "--n: " + info.name + " needs n >= " + std::to_string(info.min_n) + ", got " +
           std::to_string(a.n);
  }
  if (a.condition_given && info.name != "quadratic") {
    return "--condition applies to the quadratic problem only, not to " + info.name;
  }
  if (a.options.checkpoint_every > 0 && a.options.checkpoint_dir.empty()) {
    return "--checkpoint-every needs --checkpoint DIR";
  }
  if (a.overwrite_checkpoint && a.options.checkpoint_dir.empty()) {
    return "--overwrite-checkpoint needs --checkpoint DIR";
  }
  if (a.check_gradient &&
      (!a.options.checkpoint_dir.empty() || !a.options.resume_dir.empty() || !a.trace.empty())) {
    return "--check-gradient checks the starting point and solves nothing: it does not combine "
           "with --checkpoint, --resume or --trace";
  }
  if (a.options.existing_checkpoint == ExistingCheckpoint::kResume) {
    if (a.options.checkpoint_dir.empty()) return "--resume auto needs --checkpoint DIR";
    if (a.overwrite_checkpoint)
      return "--resume auto and --overwrite-checkpoint exclude each other";
  }
  if (!a.lower.empty() || !a.upper.empty()) {
    const double inf = std::numeric_limits<double>::infinity();
    if (a.options.l1_weight > 0) {
      return "--l1 does not combine with --lower/--upper (L1 with bounds is not supported)";
    }
    if (BoundValue(a.lower, -inf) > BoundValue(a.upper, inf)) {
      return "--lower " + a.lower + " is above --upper " + a.upper;
    }
    if (BoundValue(a.lower, -inf) == inf || BoundValue(a.upper, inf) == -inf) {
      return "--lower inf or --upper -inf: no finite x satisfies the bounds";
    }
  }
  const std::string invalid = ValidateOptions(a.options);
  return invalid.empty() ? "" : InFlagTerms(invalid);
}

// Rank 0 opens the trace file; every rank learns whether that worked. Collective.
bool OpenTrace(const std::string& path, bool resuming, Trace& trace, std::string& error) {
  int ok = 1;
  if (WorldRank() == 0 && !path.empty()) {
    error = trace.Open(path, resuming);
    ok = error.empty() ? 1 : 0;
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!ok && error.empty()) error = "--trace: cannot open '" + path + "'";
  return ok != 0;
}

void PrintSummary(const LbfgsResult& r, const double times[3]) {
  // Rates are of this run: after a resume the counts continue from the checkpoint.
  const int iterations = r.iterations - r.resumed_iterations;
  const int evaluations = r.evaluations - r.resumed_evaluations;
  std::printf("\nreason: %s (%s)\n", ToString(r.reason), r.message.c_str());
  std::printf("f = %.15e, ||g|| = %.6e, %d iterations, %d evaluations", r.f, r.grad_norm,
              r.iterations, r.evaluations);
  if (r.active_bounds >= 0) {
    std::printf("\nbounds: optimality (||P(x - g) - x||) = %.6e, %lld variables on a bound",
                r.optimality, r.active_bounds);
  }
  if (r.nonzeros >= 0) {
    std::printf("\nL1: optimality (||pseudo-gradient||) = %.6e, ||x||_1 = %.6e, %lld non-zeros",
                r.optimality, r.l1_norm, r.nonzeros);
  }
  if (r.resumed) {
    std::printf(" (%d and %d in this run)", r.iterations - r.resumed_iterations,
                r.evaluations - r.resumed_evaluations);
  }
  std::printf("\ntime: %.3f s iterating", times[0]);
  if (iterations > 0) std::printf(" (%.3f ms per iteration)", 1e3 * times[0] / iterations);
  std::printf(", setup %.3f s, total %.3f s\n", times[1], times[2]);
  std::printf("communication: %lld allreduce calls", r.comm.allreduce_calls);
  if (iterations > 0) {
    std::printf(" (%.2f per iteration, %.3f per evaluation)",
                double(r.comm.allreduce_calls) / iterations,
                double(r.comm.allreduce_calls) / evaluations);
  } else if (evaluations > 0) {
    std::printf(" (%.3f per evaluation; no iteration ran)",
                double(r.comm.allreduce_calls) / evaluations);
  }
  std::printf(", %.3f s\n", r.comm.allreduce_seconds);
}

// The fields every JSON result of `solve` starts with.
nlohmann::json JsonHeader(const SolveArgs& a, int ranks) {
  return {{"solver", "dlbfgs"},
          {"version", kVersion},
          {"problem", a.problem},
          {"n", a.n},
          {"ranks", ranks}};
}

// JSON null for a flag not given / a count not computed (-1).
nlohmann::json TextOrNull(const std::string& s) {
  return s.empty() ? nlohmann::json() : nlohmann::json(s);
}
nlohmann::json CountOrNull(long long n) { return n >= 0 ? nlohmann::json(n) : nlohmann::json(); }

void PrintJson(const SolveArgs& a, const LbfgsResult& r, int ranks, const double times[3]) {
  nlohmann::json out = JsonHeader(a, ranks);
  out.update({{"history_size", a.options.history_size},
              {"two_loop", ToString(a.options.two_loop)},
              {"history_precision", ToString(a.options.history_precision)},
              {"trial_products", ToString(a.options.trial_products)},
              {"line_search",
               r.line_search.empty() ? ToString(a.options.line_search) : r.line_search.c_str()},
              {"l1", a.options.l1_weight},
              {"lower", TextOrNull(a.lower)},
              {"upper", TextOrNull(a.upper)},
              {"reason", ToString(r.reason)},
              {"converged", r.Converged()},
              {"message", r.message},
              {"f", Number(r.f)},
              {"grad_norm", Number(r.grad_norm)},
              {"optimality", Number(r.optimality)},
              {"l1_norm", r.nonzeros >= 0 ? Number(r.l1_norm) : nlohmann::json()},
              {"l1_penalty", r.nonzeros >= 0 ? Number(r.l1_penalty) : nlohmann::json()},
              {"nonzeros", r.nonzeros >= 0 ? nlohmann::json(r.nonzeros) : nlohmann::json()},
              {"active_bounds", CountOrNull(r.active_bounds)},
              {"iterations", r.iterations},
              {"evaluations", r.evaluations},
              {"skipped_updates", r.skipped_updates},
              {"history_resets", r.history_resets},
              {"gram_refreshes", r.gram_refreshes},
              {"product_allreduces", r.product_allreduces},
              {"checkpoints", r.checkpoints},
              {"resumed", r.resumed},
              {"seconds", Number(times[0])},
              {"setup_seconds", Number(times[1])},
              {"total_seconds", Number(times[2])},
              {"allreduce_calls", r.comm.allreduce_calls},
              {"allreduce_seconds", Number(r.comm.allreduce_seconds)},
              // Rank 0's time in the solver's allreduce calls during the iterations (without
              // the start-up check, which waits for the slowest rank to arrive): at most `seconds`.
              {"communication_seconds", Number(r.phases.communication)},
              {"resumed_iterations", r.resumed_iterations},
              {"resumed_evaluations", r.resumed_evaluations},
              // Per evaluation of this run: after a resume, `evaluations` continues from the
              // checkpoint while `allreduce_calls` counts this run.
              {"allreduce_calls_per_evaluation",
               Number(r.evaluations > r.resumed_evaluations
                          ? double(r.comm.allreduce_calls) / (r.evaluations - r.resumed_evaluations)
                          : NAN)}});
  std::printf("%s\n", out.dump().c_str());
}

}  // namespace

namespace {

void PrintLine(const std::string& prefix, const std::string& message) {
  if (WorldRank() != 0) return;
  std::string line = message;
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::fprintf(stderr, "dlbfgs: %s%s\n", prefix.c_str(), line.c_str());
  std::fflush(stderr);
}

}  // namespace

void PrintError(const std::string& message) { PrintLine("error: ", message); }

void PrintStop(const LbfgsResult& r) {
  PrintLine(std::string("stopped without converging: ") + ToString(r.reason) + ": ", r.message);
}

void AddSolveFlags(CLI::App& sub, SolveArgs& a) {
  LbfgsOptions& o = a.options;
  const int kMaxInt = std::numeric_limits<int>::max();
  sub.add_option("--problem", a.problem, "built-in problem (see `dlbfgs problems`)")
      ->required()
      ->type_name("NAME");
  sub.add_option("--n", a.n, "number of variables (1e6 is accepted)")
      ->required()
      ->type_name("N")
      ->transform(WholeNumber(1, 9e15));
  sub.add_option("--history", o.history_size,
                 "history size m (0: steepest descent, a baseline for comparisons)")
      ->type_name("M")
      ->transform(kInteger)
      ->capture_default_str();
  sub.add_option("--l1", o.l1_weight,
                 "minimise f + L1 * ||x||_1 with OWL-QN (Armijo backtracking; 0: plain L-BFGS)")
      ->type_name("L1")
      ->check(kNumber);
  sub.add_option("--lower", a.lower,
                 "lower bound of every variable (a number, -inf or inf; projected L-BFGS)")
      ->type_name("V")
      ->check(kBound);
  sub.add_option("--upper", a.upper,
                 "upper bound of every variable (a number, -inf or inf; projected L-BFGS)")
      ->type_name("V")
      ->check(kBound);
  sub.add_option("--grad-tol", o.grad_tol, "stop when ||g|| <= this")
      ->type_name("G")
      ->check(kNumber)
      ->capture_default_str();
  sub.add_option("--grad-rel-tol", o.grad_rel_tol, "stop when ||g|| <= this * ||g0|| (0: off)")
      ->type_name("R")
      ->check(kNumber);
  sub.add_option("--f-rel-tol", o.f_rel_tol, "relative decrease of f over --past iterations")
      ->type_name("T")
      ->check(kNumber);
  sub.add_option("--past", o.past, "iterations of the --f-rel-tol test (0: off)")
      ->type_name("P")
      ->transform(kInteger);
  sub.add_option("--max-iterations", o.max_iterations,
                 "iteration limit (after --resume: the total, counted from the first run)")
      ->type_name("K")
      ->transform(kInteger)
      ->capture_default_str();
  sub.add_option("--max-evaluations", o.max_evaluations, "evaluation limit (0: none)")
      ->type_name("E")
      ->transform(kInteger);
  sub.add_option("--line-search", a.line_search, "more-thuente or backtracking")
      ->type_name("NAME")
      ->check(CLI::IsMember({"more-thuente", "backtracking"}))
      ->capture_default_str();
  sub.add_option("--two-loop", a.two_loop, "fused or classic")
      ->type_name("NAME")
      ->check(CLI::IsMember({"fused", "classic"}))
      ->capture_default_str();
  sub.add_option("--history-precision", a.history_precision,
                 "storage of the s, y history: float64 or float32")
      ->type_name("NAME")
      ->check(CLI::IsMember({"float64", "float32"}))
      ->capture_default_str();
  sub.add_option("--trial-products", a.trial_products,
                 "fused: which line-search trials carry the history products: every, first or "
                 "after (an accepted trial without them costs one more allreduce; same iterates)")
      ->type_name("NAME")
      ->check(CLI::IsMember({"every", "first", "after"}))
      ->capture_default_str();
  sub.add_option("--gram-refresh-interval", o.gram_refresh_interval,
                 "fused: recompute the Gram matrix every K iterations (0: never)")
      ->type_name("K")
      ->transform(kInteger);
  sub.add_option("--condition", a.condition, "quadratic only: largest / smallest eigenvalue")
      ->type_name("K")
      ->check(AtLeast(1, false))
      ->capture_default_str();
  sub.add_option("--progress-every", a.progress_every, "progress line every K iterations (0: off)")
      ->type_name("K")
      ->transform(WholeNumber(0, kMaxInt))
      ->capture_default_str();
  sub.add_flag("--quiet", a.quiet, "no progress and no summary (errors are still reported)");
  sub.add_flag("--json", a.json, "last line of output: the result as one JSON object");
  sub.add_option("--trace", a.trace, "CSV file with one row per iteration (appended on resume)")
      ->type_name("FILE");
  sub.add_option("--checkpoint", o.checkpoint_dir, "directory for checkpoints")->type_name("DIR");
  sub.add_option("--checkpoint-every", o.checkpoint_every, "iterations between checkpoints")
      ->type_name("K")
      ->transform(kInteger);
  sub.add_option("--resume", o.resume_dir,
                 "resume from the newest checkpoint in DIR; 'auto': from --checkpoint DIR when it "
                 "holds one, else start afresh (for requeued jobs)")
      ->type_name("DIR|auto");
  sub.add_flag("--check-gradient", a.check_gradient,
               "compare the gradient with central differences at the starting point and exit "
               "(0: relative error <= 1e-5; use a small n such as 1000)");
  sub.add_flag("--overwrite-checkpoint", a.overwrite_checkpoint,
               "start afresh even if --checkpoint DIR holds a checkpoint, replacing it");
}

namespace {

// Largest relative error of a gradient that passes `--check-gradient`. At n = 1000 a correct
// gradient of every built-in problem agrees to 4e-7 or better (broyden-tridiagonal is the worst:
// its g.v is small against f), and an entry off by 10% shows as 1e-3 or more. The rounding of f
// grows with n, so the check is meant for small n.
constexpr double kGradientCheckTolerance = 1e-5;

// `solve --check-gradient`: the check at the starting point, reported like a run. Collective.
int CheckProblemGradient(const SolveArgs& a, Problem& problem, const Partition& part,
                         const Eigen::VectorXd& x, int ranks) {
  const GradientCheckResult c = CheckGradient(problem, part, x);
  const bool passed = c.completed && c.max_relative_error <= kGradientCheckTolerance;
  if (WorldRank() == 0) {
    if (!a.quiet) {
      std::printf("gradient check of %s, n = %lld, %d rank(s): %s\n", a.problem.c_str(), a.n, ranks,
                  c.message.c_str());
    }
    if (a.json) {
      nlohmann::json out = JsonHeader(a, ranks);
      out.update({{"check", "gradient"},
                  {"passed", passed},
                  {"tolerance", kGradientCheckTolerance},
                  {"max_relative_error", Number(c.max_relative_error)},
                  {"directions", c.directions},
                  {"evaluations", c.evaluations},
                  {"step", Number(c.step)},
                  {"message", c.message}});
      std::printf("%s\n", out.dump().c_str());
    }
    std::fflush(stdout);
  }
  if (passed) return kConverged;
  PrintLine("gradient check failed: ", c.message);
  return kNotConverged;
}

// Minimize with progress lines, the trace and the stop-signal handlers. Collective.
LbfgsResult SolveProblem(SolveArgs& a, Problem& problem, const Partition& part, Eigen::VectorXd& x,
                         Trace* trace, int rank, int ranks) {
  char banner[256] = "";
  if (!a.quiet) {
    const bool l1 = a.options.l1_weight > 0;  // OWL-QN: backtracking whatever was asked
    const bool box = !a.lower.empty() || !a.upper.empty();
    std::snprintf(banner, sizeof banner,
                  "dlbfgs %s: %s, n = %lld, %d rank(s), m = %d%s, %s two-loop, %s line search%s%s",
                  kVersion, a.problem.c_str(), a.n, ranks, a.options.history_size,
                  a.options.history_precision == HistoryPrecision::kFloat32 ? " (float32)" : "",
                  a.two_loop.c_str(), l1 || box ? "backtracking" : a.line_search.c_str(),
                  l1 ? ", L1 (OWL-QN)" : "", box ? ", bounds" : "");
  }
  // The banner and the header come with the first iterate, so that a run refused at start (a
  // bad checkpoint) prints only its error.
  Progress progress(rank, a.quiet ? 0 : a.progress_every, trace, banner);
  a.options.callback = [&progress](const IterationSummary& s) {
    progress.Iteration(s);
    return CallbackResult::kContinue;
  };
  // A checkpoint is bound to the problem and its parameters, not only to its size.
  a.options.checkpoint_label = problem.CheckpointLabel();
  InstallStopSignalHandlers();
  LbfgsResult r;
  if (a.lower.empty() && a.upper.empty()) {
    r = Minimize(problem, part, x, a.options);
  } else {
    const double inf = std::numeric_limits<double>::infinity();
    const Eigen::VectorXd lower = Eigen::VectorXd::Constant(x.size(), BoundValue(a.lower, -inf));
    const Eigen::VectorXd upper = Eigen::VectorXd::Constant(x.size(), BoundValue(a.upper, inf));
    r = Minimize(problem, part, x, a.options, lower, upper);
  }
  progress.Final(r, r.seconds);
  return r;
}

}  // namespace

int RunSolve(SolveArgs& a) {
  const double start = MPI_Wtime();
  const int rank = WorldRank();
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);

  // 1. Everything that can be checked locally; every rank reaches the same verdict.
  const ProblemInfo* info = nullptr;
  try {
    info = &FindProblem(a.problem);
  } catch (const std::invalid_argument& e) {
    PrintError(std::string("--problem: ") + e.what());
    return kBadInput;
  }
  a.options.line_search = ParseLineSearchType(a.line_search);
  a.options.two_loop = ParseTwoLoopType(a.two_loop);
  a.options.history_precision = ParseHistoryPrecision(a.history_precision);
  a.options.trial_products = ParseTrialProducts(a.trial_products);
  if (a.options.resume_dir == "auto") {
    a.options.resume_dir.clear();
    a.options.existing_checkpoint = ExistingCheckpoint::kResume;
  } else if (a.overwrite_checkpoint) {
    a.options.existing_checkpoint = ExistingCheckpoint::kOverwrite;
  }
  if (const std::string error = CheckArgs(a, *info); !error.empty()) {
    PrintError(error);
    return kBadInput;
  }
  const bool resuming = !a.options.resume_dir.empty() ||
                        (a.options.existing_checkpoint == ExistingCheckpoint::kResume &&
                         std::filesystem::exists(a.options.checkpoint_dir + "/LATEST"));
  Trace trace;
  std::string error;
  if (!OpenTrace(a.trace, resuming, trace, error)) {
    PrintError(error);
    return kBadInput;
  }

  // 2. The solve. Library errors about input are thrown on every rank alike.
  LbfgsResult r;
  bool started = false;  // the problem was allocated and Minimize ran
  try {
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, a.n, info->granularity);
    ProblemParams params;
    params.condition = a.condition;
    // Bad parameters throw std::invalid_argument on every rank alike (before allocating); a rank
    // that runs out of memory is agreed on, so that no rank waits for it in a collective.
    std::unique_ptr<Problem> problem;
    Eigen::VectorXd x;
    int out_of_memory = 0;
    try {
      problem = MakeProblem(a.problem, part, params);
      x.resize(part.local_size());
      problem->StartingPoint(x);
    } catch (const std::bad_alloc&) {
      out_of_memory = 1;
    }
    MPI_Allreduce(MPI_IN_PLACE, &out_of_memory, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (out_of_memory) {
      // Reported like the solver's own out-of-memory end (exit 1, one line, the JSON result).
      r.reason = TerminationReason::kOutOfMemory;
      r.message = "cannot allocate the problem " + a.problem + " with n = " + std::to_string(a.n) +
                  " on " + std::to_string(ranks) + " rank(s)";
      r.f = r.grad_norm = r.optimality = std::numeric_limits<double>::quiet_NaN();
    } else if (a.check_gradient) {
      return CheckProblemGradient(a, *problem, part, x, ranks);
    } else {
      started = true;
      r = SolveProblem(a, *problem, part, x, a.trace.empty() ? nullptr : &trace, rank, ranks);
    }
  } catch (const std::invalid_argument& e) {
    PrintError(e.what());
    return kBadInput;
  }

  // 3. Report: times are the maximum over ranks. Every run that does not converge says why in
  // one line on standard error, whatever --quiet says.
  double times[3] = {r.seconds, r.setup_seconds, MPI_Wtime() - start};
  MPI_Allreduce(MPI_IN_PLACE, times, 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0) {
    if (!a.quiet && started) PrintSummary(r, times);
    if (a.json) PrintJson(a, r, ranks, times);
    std::fflush(stdout);
  }
  if (!r.Converged()) PrintStop(r);
  return r.Converged() ? kConverged : kNotConverged;
}

}  // namespace dlbfgs::cli
