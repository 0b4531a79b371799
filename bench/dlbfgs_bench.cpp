// dlbfgs-bench: time L-BFGS iterations of a built-in problem for the fused and classic two-loop
// variants (and their float32-history forms, fused-f32 and classic-f32) side by side in one run,
// next to this machine's streaming bandwidth (a triad over arrays of the same size, all ranks at
// once) and its allreduce latency, and report the time per iteration against the bandwidth bound.
// Medians over repeats. Public API only.
// --triad-only measures the triad and the allreduce latency alone (no solve): scripts/scaling.py
// runs it at each rank count next to the `dlbfgs` program it times.

#include <mpi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"

namespace {

struct Config {
  std::string problem = "rosenbrock";
  long long n = 1000000;
  int history = 10;
  std::vector<std::string> variants = {"fused", "classic"};
  int iterations = 1000;
  double grad_tol = 1e-5;
  double l1 = 0;  // LbfgsOptions::l1_weight (OWL-QN: more trials per search)
  int repeats = 3;
  bool triad_only = false;
};

// A positive whole number, also written as 1e6 or 2.5e7: rewritten to digits for the conversion
// (the same rule as the dlbfgs program's --n, apps/solve.cpp).
const CLI::Validator kCount(
    [](std::string& text) {
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0') return "'" + text + "' is not a number";
      if (!(v >= 1) || v > 9e15 || v != std::floor(v) || errno == ERANGE) {
        return "must be a whole number in [1, 9e15], got " + text;
      }
      text = std::to_string(static_cast<long long>(v));
      return std::string();
    },
    "COUNT");

// One line on standard error, from rank 0 only: every rank parsed the same arguments and reached
// the same error, so the others stay silent.
void PrintError(int rank, std::string message) {
  if (rank != 0) return;
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::fprintf(stderr, "dlbfgs-bench: error: %s\n", message.c_str());
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t k = v.size() / 2;
  return v.size() % 2 ? v[k] : 0.5 * (v[k - 1] + v[k]);
}

double Min(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
double Max(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

double MaxOverRanks(double v) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return v;
}

// Aggregate triad bandwidth a = b + s c over n_local-sized arrays on every rank at once, bytes
// counted as 24 per element (STREAM's convention). Median of `repeats` after a warm-up.
double TriadBandwidth(Eigen::Index n_local, long long n, int repeats) {
  Eigen::VectorXd a = Eigen::VectorXd::Zero(n_local), b = Eigen::VectorXd::Constant(n_local, 1),
                  c = Eigen::VectorXd::Constant(n_local, 2);
  std::vector<double> rates;
  for (int r = 0; r <= repeats; ++r) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    a.noalias() = b + 3.0 * c;
    const double seconds = MaxOverRanks(MPI_Wtime() - start);
    if (r > 0) rates.push_back(24.0 * static_cast<double>(n) / seconds);
    b[0] = a[n_local > 0 ? n_local - 1 : 0];  // keep the loop live
  }
  return Median(rates);
}

// Median latency of a one-double MPI_Allreduce.
double AllreduceLatency() {
  std::vector<double> t;
  double v = 1;
  for (int r = 0; r < 200; ++r) {
    const double start = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    t.push_back(MaxOverRanks(MPI_Wtime() - start));
  }
  return Median(t);
}

// --triad-only: the triad over n/p doubles per rank, `repeats` samples (each after its own
// warm-up), and the allreduce latency, as one JSON line on rank 0. Collective.
void PrintTriad(long long n, int repeats, int rank, int ranks) {
  const dlbfgs::Partition part = dlbfgs::Partition::Uniform(MPI_COMM_WORLD, n);
  std::vector<double> triads;
  for (int r = 0; r < repeats; ++r) triads.push_back(TriadBandwidth(part.local_size(), n, 1));
  const nlohmann::json report = {{"bench", "triad"},
                                 {"n", n},
                                 {"ranks", ranks},
                                 {"repeats", repeats},
                                 {"triad_bytes_per_second", Median(triads)},
                                 {"triad_bytes_per_second_min", Min(triads)},
                                 {"triad_bytes_per_second_max", Max(triads)},
                                 {"allreduce_latency_seconds", AllreduceLatency()}};
  if (rank == 0) std::printf("%s\n", report.dump().c_str());
}

// A variant name: "fused" or "classic", with "-f32" for a float32 history, then "-first" or
// "-after" for LbfgsOptions::trial_products = kFirstTrial or kAfterSearch (fused only).
struct Variant {
  dlbfgs::TwoLoopType two_loop;
  dlbfgs::HistoryPrecision precision;
  dlbfgs::TrialProducts products;
};

// Removes `suffix` from the end of `name` when it is there; returns whether it was.
bool StripSuffix(std::string& name, const std::string& suffix) {
  if (name.size() <= suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  name.resize(name.size() - suffix.size());
  return true;
}

Variant ParseVariant(std::string name) {
  dlbfgs::TrialProducts products = dlbfgs::TrialProducts::kEveryTrial;
  if (StripSuffix(name, "-first")) {
    products = dlbfgs::TrialProducts::kFirstTrial;
  } else if (StripSuffix(name, "-after")) {
    products = dlbfgs::TrialProducts::kAfterSearch;
  }
  const bool f32 = StripSuffix(name, "-f32");
  const dlbfgs::TwoLoopType two_loop = dlbfgs::ParseTwoLoopType(name);
  if (two_loop == dlbfgs::TwoLoopType::kClassic && products != dlbfgs::TrialProducts::kEveryTrial) {
    throw std::invalid_argument("-first and -after apply to the fused two-loop only");
  }
  return {two_loop, f32 ? dlbfgs::HistoryPrecision::kFloat32 : dlbfgs::HistoryPrecision::kFloat64,
          products};
}

// The solver's vectors per rank, in n_local doubles: S and Y (2m + 2 columns, half as many
// doubles in float32), x, g, x_t, g_t, d (rosenbrock has no L1 term).
double MemoryVectors(const Variant& v, int m) {
  const double history = 2.0 * m + 2;
  return (v.precision == dlbfgs::HistoryPrecision::kFloat32 ? history / 2 : history) + 5;
}

// Bytes this implementation streams per iteration with `e` evaluations, in n-vectors of doubles.
// Fused: direction pass 2m + 2 (reads S, Y, g; writes d), then per evaluation the trial point 3,
// the objective 2 (rosenbrock: reads x, writes g) and the trial pass 7 (reads x, x_t, g, g_t, d;
// writes s_t, y_t), plus 2m (reads S, Y) in each trial that carries the history products: all of
// them (trial_products every), one per search (first) or none (after); each extra products pass
// (`extra` per iteration) reads S, Y, v_t, s_t, y_t: 2m + 3. Classic: per stored pair a dot (2)
// and an axpy (3) in each loop, plus 8 for copying g, scaling, negating and g'd; per evaluation
// 3 + 2 + 7 (no history). A float32 history counts each of its columns as half a vector (fused:
// m + 2, m + 12 and, for the extra pass, m + 2; classic: 3 per stored pair's dot and axpy in
// each loop).
double ModelBytes(const Variant& variant, int m, long long n, double e, double extra) {
  const bool f32 = variant.precision == dlbfgs::HistoryPrecision::kFloat32;
  const double h = f32 ? 0.5 : 1.0;  // one stored column, in vectors of doubles
  const double carrying = variant.products == dlbfgs::TrialProducts::kEveryTrial   ? e
                          : variant.products == dlbfgs::TrialProducts::kFirstTrial ? 1.0
                                                                                   : 0.0;
  const double vectors =
      variant.two_loop == dlbfgs::TwoLoopType::kFused
          ? (2.0 * m * h + 2) + e * 12 + carrying * 2.0 * m * h + extra * (2.0 * m * h + 2 * h + 1)
          : (2.0 * m * (1 + h) + 2.0 * m * (2 + h) + 8) + e * 12.0;
  return 8 * vectors * static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);

  Config cfg;
  CLI::App app{"dlbfgs-bench: fused vs classic L-BFGS iterations against the bandwidth bound"};
  app.add_option("--problem", cfg.problem, "built-in problem");
  app.add_option("--n", cfg.n, "number of variables (1e6 is accepted)")->transform(kCount);
  app.add_option("--history", cfg.history, "history size m")->check(CLI::Range(1, 1000));
  app.add_option(
         "--two-loop", cfg.variants,
         "variants to run (fused, classic, fused-f32, classic-f32: float32 history; fused ones "
         "with -first or -after: trial_products first or after, e.g. fused-f32-first)")
      ->delimiter(',');
  app.add_option("--iterations", cfg.iterations, "iteration limit per run")
      ->check(CLI::PositiveNumber);
  app.add_option("--grad-tol", cfg.grad_tol, "stop when ||g|| <= this (0: run --iterations)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--l1", cfg.l1,
                 "L1 weight (OWL-QN, backtracking: more trials per search; the traffic model "
                 "does not count the orthant's vectors)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--repeats", cfg.repeats, "runs per variant (median)")->check(CLI::PositiveNumber);
  app.add_flag("--triad-only", cfg.triad_only,
               "measure only the triad over n/p doubles per rank (--repeats times, after a "
               "warm-up) and the allreduce latency; print one JSON line");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    if (rank == 0) std::printf("%s", app.help().c_str());
    MPI_Finalize();
    return 0;
  } catch (const CLI::ParseError& e) {
    const int code = e.get_exit_code();
    if (code != 0) PrintError(rank, e.what());
    MPI_Finalize();
    return code == 0 ? 0 : 2;
  }

  int status = 0;
  try {
    if (cfg.triad_only) {
      PrintTriad(cfg.n, cfg.repeats, rank, ranks);
      MPI_Finalize();
      return 0;
    }
    const dlbfgs::ProblemInfo& info = dlbfgs::FindProblem(cfg.problem);
    const dlbfgs::Partition part =
        dlbfgs::Partition::Uniform(MPI_COMM_WORLD, cfg.n, info.granularity);
    auto problem = dlbfgs::MakeProblem(cfg.problem, part);
    // The machine's bandwidth drifts on shared hosts (this VM: 35-65 GB/s within minutes), so
    // every solve is bracketed by a triad just before and just after it, and its ratio to the
    // bound uses the mean of the two. Ratios and speed-ups are medians of these per-run values.
    const double latency = AllreduceLatency();
    const double bound_bytes = 8.0 * (4 * cfg.history + 7) * static_cast<double>(cfg.n);
    std::vector<Variant> variants;
    for (const std::string& name : cfg.variants) variants.push_back(ParseVariant(name));
    std::vector<double> triads;

    // Repeats interleave the variants (A B A B ...) so that drifts of the machine hit both alike.
    struct Samples {
      std::vector<double> per_iter, per_eval, obj, dir, comm, other, ratio, ratio_eval;
      double calls_per_iter = 0, calls_per_eval = 0, evals_per_iter = 0, iterations = 0;
      double extra_per_iter = 0;  // product_allreduces per iteration
      std::string reason;
    };
    std::vector<Samples> samples(cfg.variants.size());
    for (int r = 0; r < cfg.repeats; ++r) {
      for (size_t v = 0; v < cfg.variants.size(); ++v) {
        dlbfgs::LbfgsOptions o;
        o.history_size = cfg.history;
        o.two_loop = variants[v].two_loop;
        o.history_precision = variants[v].precision;
        o.trial_products = variants[v].products;
        o.grad_tol = cfg.grad_tol;
        o.l1_weight = cfg.l1;
        o.max_iterations = cfg.iterations;
        Eigen::VectorXd x(part.local_size());
        problem->StartingPoint(x);
        const double before = TriadBandwidth(part.local_size(), cfg.n, 5);
        const dlbfgs::LbfgsResult res = dlbfgs::Minimize(*problem, part, x, o);
        const double after = TriadBandwidth(part.local_size(), cfg.n, 5);
        triads.push_back(before);
        triads.push_back(after);
        const double run_bound_seconds = bound_bytes / (0.5 * (before + after));
        const double it = std::max(1, res.iterations);
        Samples& s = samples[v];
        const double seconds = MaxOverRanks(res.seconds);
        s.per_iter.push_back(seconds / it);
        s.per_eval.push_back(seconds / std::max(1, res.evaluations));
        s.ratio.push_back(s.per_iter.back() / run_bound_seconds);
        s.ratio_eval.push_back(s.per_eval.back() / run_bound_seconds);
        s.obj.push_back(MaxOverRanks(res.phases.objective) / it);
        s.dir.push_back(MaxOverRanks(res.phases.direction) / it);
        s.comm.push_back(MaxOverRanks(res.phases.communication) / it);
        s.other.push_back(MaxOverRanks(res.phases.other) / it);
        s.calls_per_iter = static_cast<double>(res.comm.allreduce_calls) / it;
        s.calls_per_eval = static_cast<double>(res.comm.allreduce_calls) / res.evaluations;
        s.evals_per_iter = res.evaluations / it;
        s.extra_per_iter = res.product_allreduces / it;
        s.iterations = res.iterations;
        s.reason = dlbfgs::ToString(res.reason);
      }
    }
    const double triad = Median(triads);
    const double bound_seconds = bound_bytes / triad;
    nlohmann::json report = {{"bench", "dlbfgs"},
                             {"problem", cfg.problem},
                             {"n", cfg.n},
                             {"ranks", ranks},
                             {"history_size", cfg.history},
                             {"max_iterations", cfg.iterations},
                             {"grad_tol", cfg.grad_tol},
                             {"l1", cfg.l1},
                             {"repeats", cfg.repeats},
                             {"triad_bytes_per_second", triad},
                             {"triad_bytes_per_second_min", Min(triads)},
                             {"triad_bytes_per_second_max", Max(triads)},
                             {"allreduce_latency_seconds", latency},
                             {"bound_bytes_per_iteration", bound_bytes},
                             {"bound_seconds_per_iteration", bound_seconds},
                             {"variants", nlohmann::json::object()}};
    if (rank == 0) {
      std::printf(
          "dlbfgs-bench: %s, n = %lld, m = %d, %d rank(s), grad_tol %g (at most %d "
          "iterations), %d repeats\n",
          cfg.problem.c_str(), cfg.n, cfg.history, ranks, cfg.grad_tol, cfg.iterations,
          cfg.repeats);
      std::printf(
          "triad bandwidth %.2f GB/s (all ranks; median of %zu, range %.2f-%.2f), "
          "allreduce latency %.2f us\n",
          triad / 1e9, triads.size(), Min(triads) / 1e9, Max(triads) / 1e9, latency * 1e6);
      std::printf(
          "bandwidth bound 8(4m+7)n = %.1f MB per iteration -> %.3f ms at the median triad; "
          "x bound: each run against the triads just before and after it (median, range)\n\n",
          bound_bytes / 1e6, bound_seconds * 1e3);
      std::printf("%-15s %6s %6s %10s %9s %9s %9s %9s %8s %8s %9s %8s %11s %9s\n", "variant",
                  "iters", "ev/it", "ms/iter", "objective", "direction", "comm", "other", "ar/iter",
                  "ar/eval", "GB/s", "x bound", "range", "MB/rank");
    }
    for (size_t v = 0; v < cfg.variants.size(); ++v) {
      const std::string& variant = cfg.variants[v];
      const Samples& s = samples[v];
      const double t = Median(s.per_iter);
      const double model =
          ModelBytes(variants[v], cfg.history, cfg.n, s.evals_per_iter, s.extra_per_iter);
      const double memory = MemoryVectors(variants[v], cfg.history);
      const double memory_bytes = 8 * memory * static_cast<double>(part.local_size());
      report["variants"][variant] = {{"seconds_per_iteration", t},
                                     {"seconds_per_evaluation", Median(s.per_eval)},
                                     {"objective_seconds_per_iteration", Median(s.obj)},
                                     {"direction_seconds_per_iteration", Median(s.dir)},
                                     {"communication_seconds_per_iteration", Median(s.comm)},
                                     {"other_seconds_per_iteration", Median(s.other)},
                                     {"allreduce_calls_per_iteration", s.calls_per_iter},
                                     {"allreduce_calls_per_evaluation", s.calls_per_eval},
                                     {"iterations", s.iterations},
                                     {"evaluations_per_iteration", s.evals_per_iter},
                                     {"product_allreduces_per_iteration", s.extra_per_iter},
                                     {"model_bytes_per_iteration", model},
                                     {"achieved_bytes_per_second", model / t},
                                     {"ratio_to_bound_per_evaluation", Median(s.ratio_eval)},
                                     {"ratio_to_bound", Median(s.ratio)},
                                     {"ratio_to_bound_min", Min(s.ratio)},
                                     {"ratio_to_bound_max", Max(s.ratio)},
                                     {"memory_vectors_per_rank", memory},
                                     {"memory_bytes_per_rank", memory_bytes},
                                     {"reason", s.reason}};
      if (rank == 0) {
        std::printf(
            "%-15s %6.0f %6.2f %10.3f %9.3f %9.3f %9.3f %9.3f %8.2f %8.2f %9.2f %8.2f %5.2f-%.2f "
            "%9.1f\n",
            variant.c_str(), s.iterations, s.evals_per_iter, t * 1e3, Median(s.obj) * 1e3,
            Median(s.dir) * 1e3, Median(s.comm) * 1e3, Median(s.other) * 1e3, s.calls_per_iter,
            s.calls_per_eval, model / t / 1e9, Median(s.ratio), Min(s.ratio), Max(s.ratio),
            memory_bytes / 1e6);
      }
    }
    // "fast is X faster than slow": the median over the repeats of slow's time per iteration
    // over fast's (both within one repeat), with its range, into report[key] (key_min, key_max)
    // and printed on rank 0; nothing unless both variants ran.
    const auto speedup = [&](const std::string& fast, const std::string& slow,
                             const std::string& key) {
      const auto f = std::find(cfg.variants.begin(), cfg.variants.end(), fast);
      const auto w = std::find(cfg.variants.begin(), cfg.variants.end(), slow);
      if (f == cfg.variants.end() || w == cfg.variants.end()) return;
      const Samples& a = samples[f - cfg.variants.begin()];
      const Samples& b = samples[w - cfg.variants.begin()];
      std::vector<double> ratios;
      for (size_t r = 0; r < a.per_iter.size(); ++r)
        ratios.push_back(b.per_iter[r] / a.per_iter[r]);
      report[key] = Median(ratios);
      report[key + "_min"] = Min(ratios);
      report[key + "_max"] = Max(ratios);
      if (rank == 0) {
        std::printf(
            "%s is %.2fx faster than %s per iteration (median of the repeats' ratios, range "
            "%.2f-%.2f)\n",
            fast.c_str(), Median(ratios), slow.c_str(), Min(ratios), Max(ratios));
      }
    };
    if (rank == 0) std::printf("\n");
    speedup("fused", "classic", "fused_speedup_over_classic");
    // The float32 history against float64, and the trial_products modes against every.
    for (const std::string base : {"fused", "classic"}) {
      speedup(base + "-f32", base, base + "_f32_speedup");
    }
    for (const std::string base : {"fused", "fused-f32"}) {
      for (const char* mode : {"-first", "-after"}) {
        speedup(base + mode, base, base + mode + "_speedup");
      }
    }
    if (rank == 0) std::printf("%s\n", report.dump().c_str());
  } catch (const std::exception& e) {
    PrintError(rank, e.what());
    status = 2;
  }
  MPI_Finalize();
  return status;
}
