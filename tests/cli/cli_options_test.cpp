// Every option of `dlbfgs solve` that changes the run, each asserted by its effect on the result
// (the --json line, the --trace rows, the progress lines), not only by being accepted. Child
// processes as in cli_test.cpp, each bounded by `timeout`.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli_support.hpp"

namespace {

using namespace dlbfgs_cli_test;  // NOLINT: the shared helpers of the CLI tests

// A --trace file: one row per iteration (iteration,f,grad_norm,step,evaluations,seconds), the
// numbers written with 17 significant digits, so that they are the solver's doubles.
struct TraceRow {
  int iteration = 0;
  double f = 0;
  double grad_norm = 0;
  int evaluations = 0;
};

std::vector<TraceRow> ReadTrace(const std::string& path) {
  std::vector<TraceRow> rows;
  const auto lines = Lines(ReadFile(path));
  for (std::size_t i = 1; i < lines.size(); ++i) {  // after the header
    TraceRow r;
    double step = 0;
    if (std::sscanf(lines[i].c_str(), "%d,%lf,%lf,%lf,%d", &r.iteration, &r.f, &r.grad_norm, &step,
                    &r.evaluations) == 5) {
      rows.push_back(r);
    }
  }
  return rows;
}

// Runs with --json and --trace into a fresh file; returns the result and the rows.
struct Traced {
  Output output;
  nlohmann::json json;
  std::vector<TraceRow> rows;
};

Traced RunTraced(const std::string& args, int ranks) {
  const std::string trace = TempPath("trace.csv");
  std::filesystem::remove(trace);
  Traced t;
  t.output = RunCli(args + " --json --quiet --trace " + trace, ranks);
  t.json = LastJson(t.output);
  t.rows = ReadTrace(trace);
  std::filesystem::remove(trace);
  return t;
}

// Kills: the flag ignored (the default More-Thuente search runs instead) or not reported.
TEST(CliOptionsTest, LineSearchBacktrackingConvergesAndIsReported) {
  const std::string cmd = "solve --problem rosenbrock --n 1000 --json --quiet";
  const Output mt = RunCli(cmd, 2);
  const Output bt = RunCli(cmd + " --line-search backtracking", 2);
  ASSERT_EQ(bt.status, 0) << bt.err;
  ASSERT_EQ(mt.status, 0) << mt.err;
  const nlohmann::json a = LastJson(mt), b = LastJson(bt);
  EXPECT_EQ(a["line_search"], "more-thuente");
  EXPECT_EQ(b["line_search"], "backtracking");
  EXPECT_EQ(b["reason"], "gradient_tolerance");
  EXPECT_LE(b["grad_norm"].get<double>(), 1e-5);
  // Another search takes other steps: the path differs.
  EXPECT_NE(b["evaluations"], a["evaluations"]);
  EXPECT_NE(b["f"], a["f"]);
}

// --l1: OWL-QN runs with backtracking (said in the JSON), reports the L1 fields, and its F is the
// smooth f plus the penalty; --l1 0 is the plain run exactly.
TEST(CliOptionsTest, L1RunsOwlqnAndReportsSparsity) {
  const std::string cmd = "solve --problem quadratic --n 200 --condition 100 --json --quiet";
  const Output plain = RunCli(cmd, 2), zero = RunCli(cmd + " --l1 0", 2),
               l1 = RunCli(cmd + " --l1 0.5", 2);
  ASSERT_EQ(l1.status, 0) << l1.err;
  const nlohmann::json a = LastJson(plain), z = LastJson(zero), b = LastJson(l1);
  EXPECT_EQ(z["f"], a["f"]);
  EXPECT_EQ(z["iterations"], a["iterations"]);
  EXPECT_TRUE(a["nonzeros"].is_null());
  EXPECT_EQ(b["line_search"], "backtracking");
  EXPECT_EQ(b["l1"], 0.5);
  EXPECT_EQ(b["reason"], "gradient_tolerance");
  EXPECT_LE(b["optimality"].get<double>(), 1e-5);
  const long long nonzeros = b["nonzeros"].get<long long>();
  EXPECT_GT(nonzeros, 0);
  EXPECT_LE(nonzeros, 200);
  EXPECT_NEAR(b["l1_penalty"].get<double>(), 0.5 * b["l1_norm"].get<double>(), 1e-12);
  EXPECT_GT(b["f"].get<double>(), a["f"].get<double>()) << "F includes the penalty";
}

// --history 0 is steepest descent: it converges on an easy quadratic, with more iterations than
// L-BFGS and no stored pair.
TEST(CliOptionsTest, HistoryZeroIsSteepestDescent) {
  const std::string cmd = "solve --problem quadratic --n 100 --condition 10 --json --quiet";
  const Output gd = RunCli(cmd + " --history 0", 2), lbfgs = RunCli(cmd, 2);
  ASSERT_EQ(gd.status, 0) << gd.err;
  const nlohmann::json a = LastJson(gd), b = LastJson(lbfgs);
  EXPECT_EQ(a["history_size"], 0);
  EXPECT_EQ(a["skipped_updates"], 0);
  EXPECT_GT(a["iterations"].get<int>(), b["iterations"].get<int>());
  EXPECT_EQ(a["allreduce_calls"].get<long long>(), a["evaluations"].get<long long>() + 1);
}

// --trial-products first and after: the same run bit for bit (f, iterations, evaluations), the
// mode and the extra allreduces reported, and allreduce_calls = evaluations + 1 + the extra.
// Kills: the flag ignored (no extra allreduce), or the extra ones not reported.
TEST(CliOptionsTest, TrialProductsKeepsTheRunAndCountsTheExtraAllreduces) {
  const std::string cmd = "solve --problem trigonometric --n 200 --json --quiet";
  const Output every = RunCli(cmd, 2), first = RunCli(cmd + " --trial-products first", 2),
               after = RunCli(cmd + " --trial-products after", 2);
  ASSERT_EQ(every.status, 0) << every.err;
  const nlohmann::json e = LastJson(every);
  EXPECT_EQ(e["trial_products"], "every");
  EXPECT_EQ(e["product_allreduces"], 0);
  for (const Output* o : {&first, &after}) {
    ASSERT_EQ(o->status, 0) << o->err;
    const nlohmann::json j = LastJson(*o);
    EXPECT_EQ(j["trial_products"], o == &first ? "first" : "after");
    EXPECT_EQ(j["f"], e["f"]);
    EXPECT_EQ(j["iterations"], e["iterations"]);
    EXPECT_EQ(j["evaluations"], e["evaluations"]);
    const long long extra = j["product_allreduces"].get<long long>();
    EXPECT_GT(extra, 0);
    EXPECT_EQ(j["allreduce_calls"].get<long long>(), j["evaluations"].get<long long>() + 1 + extra);
  }
  EXPECT_GT(LastJson(after)["product_allreduces"], LastJson(first)["product_allreduces"]);
}

// Kills: the relative test measured against another ||g0||, or stopping late or early.
TEST(CliOptionsTest, GradRelTolStopsAtItsFractionOfTheFirstGradientNorm) {
  const double rel = 1e-4;
  const Traced t = RunTraced(
      "solve --problem quadratic --n 2000 --condition 1e3 --grad-tol 0 --grad-rel-tol 1e-4", 2);
  ASSERT_EQ(t.output.status, 0) << t.output.err;
  EXPECT_EQ(t.json["reason"], "relative_gradient_tolerance");
  ASSERT_EQ(static_cast<int>(t.rows.size()), t.json["iterations"].get<int>() + 1);
  const double g0 = t.rows.front().grad_norm;
  EXPECT_EQ(t.rows.back().grad_norm, t.json["grad_norm"].get<double>());
  EXPECT_LE(t.json["grad_norm"].get<double>(), rel * g0);
  for (std::size_t k = 0; k + 1 < t.rows.size(); ++k) {
    EXPECT_GT(t.rows[k].grad_norm, rel * g0) << "iteration " << k;
  }
}

// Kills: --past or --f-rel-tol ignored, or the decrease measured over another distance.
TEST(CliOptionsTest, FRelTolStopsAtTheFirstSmallDecreaseOverPastIterations) {
  const int past = 3;
  const double tol = 1e-6;
  const Traced t =
      RunTraced("solve --problem rosenbrock --n 1000 --grad-tol 0 --f-rel-tol 1e-6 --past 3", 2);
  ASSERT_EQ(t.output.status, 0) << t.output.err;
  EXPECT_EQ(t.json["reason"], "function_tolerance");
  const int iterations = t.json["iterations"].get<int>();
  ASSERT_EQ(static_cast<int>(t.rows.size()), iterations + 1);
  auto decrease = [&](int k) {
    return (t.rows[k - past].f - t.rows[k].f) / std::max(1.0, std::fabs(t.rows[k].f));
  };
  ASSERT_GE(iterations, past);
  EXPECT_LE(decrease(iterations), tol);
  for (int k = past; k < iterations; ++k) EXPECT_GT(decrease(k), tol) << "iteration " << k;
}

// Kills: an evaluation limit that is off by any amount. (Mostly without mpiexec: a run that
// exits 1 under mpiexec takes its abort path, which costs seconds.)
TEST(CliOptionsTest, MaxEvaluationsSpendsExactlyThatMany) {
  for (const auto& [limit, ranks] :
       std::vector<std::pair<int, int>>{{1, 0}, {2, 0}, {7, 2}, {23, 0}}) {
    SCOPED_TRACE(testing::Message() << limit << " evaluations, " << ranks << " ranks");
    const Output o =
        RunCli("solve --problem rosenbrock --n 1000 --json --quiet --max-evaluations " +
                   std::to_string(limit),
               ranks);
    EXPECT_EQ(o.status, 1) << o.err;
    const nlohmann::json j = LastJson(o);
    EXPECT_EQ(j["reason"], "max_evaluations");
    EXPECT_EQ(j["evaluations"], limit);
    EXPECT_EQ(j["allreduce_calls"], limit + 1);
  }
}

// The progress lines on standard output: "iteration f ||g|| step evals seconds", six numbers.
std::vector<int> ProgressIterations(const std::string& out) {
  std::vector<int> iterations;
  for (const std::string& line : Lines(out)) {
    std::istringstream in(line);
    int it = 0;
    double f = 0, g = 0, step = 0, seconds = 0;
    int evals = 0;
    std::string rest;
    if ((in >> it >> f >> g >> step >> evals >> seconds) && !(in >> rest)) iterations.push_back(it);
  }
  return iterations;
}

// Kills: the interval ignored (every 10), or lines missing or extra.
TEST(CliOptionsTest, ProgressEveryPrintsExactlyTheMultiplesAndTheLastIteration) {
  for (int every : {1, 7}) {
    SCOPED_TRACE(every);
    const Output o = RunCli(
        "solve --problem rosenbrock --n 100 --json --progress-every " + std::to_string(every), 2);
    ASSERT_EQ(o.status, 0) << o.err;
    const int iterations = LastJson(o)["iterations"].get<int>();
    std::vector<int> expected;
    for (int k = 0; k <= iterations; k += every) expected.push_back(k);
    if (expected.back() != iterations) expected.push_back(iterations);
    EXPECT_EQ(ProgressIterations(o.out), expected) << o.out;
  }
  // 0: no progress lines at all, the result still comes.
  const Output off = RunCli("solve --problem rosenbrock --n 100 --json --progress-every 0", 2);
  ASSERT_EQ(off.status, 0) << off.err;
  EXPECT_TRUE(ProgressIterations(off.out).empty()) << off.out;
}

// Kills: --condition not passed to the problem (both runs would be the default 1e4).
TEST(CliOptionsTest, ConditionChangesTheQuadraticsDifficulty) {
  const std::string cmd = "solve --problem quadratic --n 1000 --json --quiet --condition ";
  const Output easy = RunCli(cmd + "10", 2), hard = RunCli(cmd + "1e4", 2);
  ASSERT_EQ(easy.status, 0) << easy.err;
  ASSERT_EQ(hard.status, 0) << hard.err;
  const int a = LastJson(easy)["iterations"].get<int>(),
            b = LastJson(hard)["iterations"].get<int>();
  // L-BFGS needs far more iterations as the eigenvalues spread (about sqrt(condition) for CG).
  EXPECT_LT(3 * a, b) << a << " vs " << b;
}

// The classic two-loop's reductions, derived from src/two_loop.cpp (ClassicTwoLoop: none with an
// empty history, else 2 count + 1: count for the first loop, count for the second, one for g'd)
// and src/minimize.cpp (one direction per iterate but the last, where the run stops; one
// allreduce per evaluation; one at start-up). Without resets or skipped pairs the history holds
// min(k, m) pairs at iteration k, so
//   allreduce_calls = evaluations + 1 + sum_{k=1}^{iterations-1} (2 min(k, m) + 1).
long long ClassicAllreduceCalls(long long evaluations, int iterations, int m) {
  long long calls = evaluations + 1;
  for (int k = 1; k < iterations; ++k) calls += 2 * std::min(k, m) + 1;
  return calls;
}

// Kills: a classic two-loop with more (or fewer) reductions than the textbook 2m + 1, and a
// fused one that adds any.
TEST(CliOptionsTest, ClassicAllreduceCountIsExactlyTheTextbookOne) {
  for (int m : {3, 10}) {
    SCOPED_TRACE(m);
    const std::string cmd =
        "solve --problem rosenbrock --n 1000 --history " + std::to_string(m) + " --two-loop ";
    const Traced classic = RunTraced(cmd + "classic", 2);
    const Traced fused = RunTraced(cmd + "fused", 2);
    ASSERT_EQ(classic.output.status, 0) << classic.output.err;
    ASSERT_EQ(fused.output.status, 0) << fused.output.err;
    const nlohmann::json& c = classic.json;
    ASSERT_EQ(c["history_resets"], 0);
    ASSERT_EQ(c["skipped_updates"], 0);
    const int iterations = c["iterations"].get<int>();
    ASSERT_EQ(static_cast<int>(classic.rows.size()), iterations + 1);
    EXPECT_GT(iterations, m) << "the history must fill up";
    // The trace's evaluation count at the last iterate is the result's.
    EXPECT_EQ(classic.rows.back().evaluations, c["evaluations"].get<int>());
    EXPECT_EQ(c["allreduce_calls"].get<long long>(),
              ClassicAllreduceCalls(c["evaluations"].get<long long>(), iterations, m));
    EXPECT_EQ(fused.json["allreduce_calls"].get<long long>(),
              fused.json["evaluations"].get<long long>() + 1);
  }
}

// Problems whose values never repeat (eigenvalues spread geometrically; residuals that depend on
// their index), with more than two kernel blocks (8192 rows) per rank: a kernel that reads a
// column from the wrong block breaks the fused Gram identities (history resets) and the
// agreement with the classic two-loop, which forms its dot products with Eigen.
TEST(CliOptionsTest, NonPeriodicProblemsRunCleanAndAlikeInBothTwoLoops) {
  for (const std::string problem : {"quadratic --condition 100", "trigonometric"}) {
    SCOPED_TRACE(problem);
    const std::string cmd = "solve --problem " + problem + " --n 40000 --json --quiet --two-loop ";
    const Output fused = RunCli(cmd + "fused", 2);
    const Output classic = RunCli(cmd + "classic", 2);
    ASSERT_EQ(fused.status, 0) << fused.err;
    ASSERT_EQ(classic.status, 0) << classic.err;
    const nlohmann::json a = LastJson(fused), b = LastJson(classic);
    for (const nlohmann::json* j : {&a, &b}) {
      EXPECT_EQ((*j)["history_resets"], 0);
      EXPECT_EQ((*j)["skipped_updates"], 0);
    }
    EXPECT_EQ(a["iterations"], b["iterations"]);
    EXPECT_EQ(a["evaluations"], b["evaluations"]);
    EXPECT_NEAR(a["f"].get<double>(), b["f"].get<double>(),
                1e-8 * std::fabs(b["f"].get<double>()) + 1e-20);
  }
}

}  // namespace
