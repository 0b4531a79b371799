// The dlbfgs program as a user runs it: child processes (directly and under mpiexec), their exit
// status, standard error and the JSON result line. Every child is bounded by `timeout`, so a
// hang fails the test instead of blocking it.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.hpp"

namespace {

using namespace dlbfgs_cli_test;  // NOLINT: the shared helpers of the CLI tests

TEST(CliTest, SolveWritesTheJsonResultAsTheLastLine) {
  for (int ranks : {0, 2, 3}) {
    const Output o = RunCli("solve --problem rosenbrock --n 100 --json", ranks);
    ASSERT_EQ(o.status, 0) << o.err;
    const nlohmann::json j = LastJson(o);
    ASSERT_TRUE(j.is_object()) << o.out;
    for (const char* key : {"solver",
                            "version",
                            "problem",
                            "n",
                            "ranks",
                            "history_size",
                            "reason",
                            "converged",
                            "f",
                            "grad_norm",
                            "iterations",
                            "evaluations",
                            "seconds",
                            "setup_seconds",
                            "total_seconds",
                            "allreduce_calls",
                            "allreduce_seconds",
                            "two_loop",
                            "line_search",
                            "message",
                            "skipped_updates",
                            "history_resets",
                            "gram_refreshes",
                            "checkpoints",
                            "resumed",
                            "resumed_iterations",
                            "resumed_evaluations"}) {
      EXPECT_TRUE(j.contains(key)) << key;
    }
    EXPECT_EQ(j["ranks"], ranks == 0 ? 1 : ranks);
    EXPECT_EQ(j["converged"], true);
    EXPECT_EQ(j["reason"], "gradient_tolerance");
    EXPECT_LE(j["grad_norm"].get<double>(), 1e-5);
    EXPECT_LE(j["f"].get<double>(), 1e-10);
    EXPECT_LE(j["seconds"].get<double>(), j["total_seconds"].get<double>());
    // Fused: one allreduce per evaluation plus the start-up check.
    EXPECT_EQ(j["allreduce_calls"].get<long long>(), j["evaluations"].get<long long>() + 1);
  }
}

TEST(CliTest, AllreduceCallsAreEvaluationsPlusOneAtEveryHistorySize) {
  for (int m : {5, 10, 20}) {
    const Output o = RunCli(
        "solve --problem rosenbrock --n 1000 --json --quiet --history " + std::to_string(m), 2);
    ASSERT_EQ(o.status, 0) << o.err;
    const nlohmann::json j = LastJson(o);
    EXPECT_EQ(j["allreduce_calls"].get<long long>(), j["evaluations"].get<long long>() + 1)
        << "m = " << m;
    // The classic two-loop pays 2m + 1 more per iteration once the history is full.
    const Output c = RunCli(
        "solve --problem rosenbrock --n 1000 --json --quiet --two-loop classic "
        "--history " +
            std::to_string(m),
        2);
    ASSERT_EQ(c.status, 0) << c.err;
    const nlohmann::json k = LastJson(c);
    EXPECT_GT(k["allreduce_calls"].get<long long>(), k["evaluations"].get<long long>() + 1);
    EXPECT_EQ(k["iterations"], j["iterations"]);
  }
}

// A Gram refresh rides in an evaluation's allreduce (no call of its own) and rebuilds the entries
// bit for bit, so the run is the same as without it.
TEST(CliTest, GramRefreshCostsNoAllreduceAndChangesNothing) {
  const std::string cmd = "solve --problem rosenbrock --n 1000 --json --quiet";
  const Output plain = RunCli(cmd, 2);
  const Output refreshed = RunCli(cmd + " --gram-refresh-interval 3", 2);
  ASSERT_EQ(plain.status, 0) << plain.err;
  ASSERT_EQ(refreshed.status, 0) << refreshed.err;
  const nlohmann::json a = LastJson(plain);
  const nlohmann::json b = LastJson(refreshed);
  EXPECT_EQ(a["gram_refreshes"], 0);
  const int iterations = b["iterations"].get<int>();
  // Requested every 3 iterations, done at the next evaluation: the last one may not come.
  EXPECT_GE(b["gram_refreshes"].get<int>(), iterations / 3 - 1);
  EXPECT_LE(b["gram_refreshes"].get<int>(), iterations / 3);
  EXPECT_GT(b["gram_refreshes"].get<int>(), 5);
  EXPECT_EQ(b["allreduce_calls"].get<long long>(), b["evaluations"].get<long long>() + 1);
  EXPECT_EQ(b["iterations"], a["iterations"]);
  EXPECT_EQ(b["f"], a["f"]);
}

TEST(CliTest, SameIterationCountOnOneToFourRanks) {
  std::vector<int> iterations;
  for (int ranks = 1; ranks <= 4; ++ranks) {
    const Output o = RunCli("solve --problem rosenbrock --n 100000 --json --quiet", ranks);
    ASSERT_EQ(o.status, 0) << o.err;
    iterations.push_back(LastJson(o)["iterations"].get<int>());
  }
  for (int it : iterations) EXPECT_NEAR(it, iterations[0], 2);
}

TEST(CliTest, ProblemsListsEveryBuiltinProblem) {
  const Output o = RunCli("problems");
  ASSERT_EQ(o.status, 0);
  for (const char* name : {"rosenbrock", "powell", "broyden-tridiagonal", "trigonometric",
                           "discrete-boundary-value", "quadratic"}) {
    EXPECT_NE(o.out.find(name), std::string::npos) << name;
  }
  const Output j = RunCli("problems --json");
  ASSERT_EQ(j.status, 0);
  EXPECT_EQ(nlohmann::json::parse(j.out).size(), 6u);
}

TEST(CliTest, BadInputIsOneLineAndExitTwo) {
  struct Case {
    const char* args;
    const char* names;  // what the message must mention
  };
  const Case cases[] = {
      {"solve --problem nope --n 10", "nope"},
      {"solve --problem rosenbrock --n 0", "--n"},
      {"solve --problem rosenbrock --n 2.5", "--n"},
      {"solve --problem rosenbrock --n -4", "--n"},
      {"solve --problem rosenbrock --n abc", "abc"},
      {"solve --problem rosenbrock --n 7", "multiple of 2"},
      {"solve --problem powell --n 2", "multiple of 4"},
      {"solve --problem rosenbrock --n 10 --history 1001", "--history"},
      {"solve --problem rosenbrock --n 10 --l1 -0.5", "--l1"},
      {"solve --problem rosenbrock --n 10 --l1 nan", "--l1"},
      {"solve --problem rosenbrock --n 10 --history -1", "--history"},
      {"solve --problem rosenbrock --n 10 --grad-tol -1", "--grad-tol"},
      {"solve --problem rosenbrock --n 10 --grad-tol 1e999", "1e999"},
      {"solve --problem rosenbrock --n 10 --grad-tol nan", "--grad-tol"},
      {"solve --problem rosenbrock --n 10 --max-iterations 1.5", "--max-iterations"},
      {"solve --problem rosenbrock --n 10 --gram-refresh-interval -2", "--gram-refresh-interval"},
      {"solve --problem rosenbrock --n 10 --line-search wolfe", "wolfe"},
      {"solve --problem rosenbrock --n 10 --two-loop fast", "fast"},
      {"solve --problem rosenbrock --n 10 --trial-products sometimes", "--trial-products"},
      {"solve --problem rosenbrock --n 10 --unknown-flag", "unknown option '--unknown-flag'"},
      {"solve --problem rosenbrock --n 10 --histroy 5", "did you mean --history?"},
      {"solve --problem rosenbrock --n 10 7", "unexpected argument(s): 7"},
      {"solve --problem rosenbrock --problem powell --n 8", "--problem: given 2 times"},
      {"solve --problem rosenbrock --n 10 --history 1e4", "must be in [0, 1000], got 10000"},
      {"solve --problem rosenbrock --n 10 --condition 10", "quadratic problem only"},
      {"solve --problem rosenbrock --n 10 --resume auto", "--resume auto needs --checkpoint"},
      {"solve --problem rosenbrock --n 10 --overwrite-checkpoint", "needs --checkpoint"},
      {"solve --n 10", "--problem"},
      {"solve --problem quadratic --n 10 --condition 0.5", "--condition"},
      {"solve --problem rosenbrock --n 10 --trace /nonexistent-dir/t.csv", "--trace"},
      {"solve --problem rosenbrock --n 10 --checkpoint-every 2", "--checkpoint"},
      {"solve --problem rosenbrock --n 10 --resume /nonexistent-dir", "nonexistent-dir"},
      {"frobnicate", "subcommand"},
  };
  std::vector<std::string> commands;
  for (const auto& c : cases) commands.push_back(c.args);
  const std::vector<Output> outputs = RunEachDirectlyAndOnTwoRanks(commands);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    SCOPED_TRACE(std::string(cases[i / 2].args) + " at " + std::to_string(i % 2 == 0 ? 0 : 2) +
                 " ranks");
    ExpectOneLineExitTwo(outputs[i], cases[i / 2].names);
  }
}

// Bad --lower / --upper: exit 2 and one line naming the flag, directly and on 2 ranks.
TEST(CliTest, BadBoundsAreOneLineNamingTheFlagAndExitTwo) {
  struct Case {
    const char* args;
    const char* names;
  };
  const Case cases[] = {
      {"--lower 1 --upper 0", "--lower 1 is above --upper 0"},
      {"--lower 0.5 --upper 0.25", "--lower 0.5 is above --upper 0.25"},
      {"--lower nan", "--lower: 'nan' is not a number"},
      {"--upper nan", "--upper: 'nan' is not a number"},
      {"--lower abc", "--lower: 'abc' is not a number"},
      {"--upper 1x", "--upper: '1x' is not a number"},
      {"--upper 1e999", "--upper: '1e999' is out of the range"},
      {"--lower inf", "--lower inf or --upper -inf"},
      {"--upper -inf", "--lower inf or --upper -inf"},
      {"--lower 0 --lower 1", "--lower: given 2 times"},
      {"--upper 1 --l1 0.1", "--l1 does not combine with --lower/--upper"},
  };
  std::vector<std::string> commands;
  for (const auto& c : cases) {
    commands.push_back(std::string("solve --problem rosenbrock --n 10 --quiet ") + c.args);
  }
  const std::vector<Output> outputs = RunEachDirectlyAndOnTwoRanks(commands);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    SCOPED_TRACE(std::string(cases[i / 2].args) + " at " + std::to_string(i % 2 == 0 ? 0 : 2) +
                 " ranks");
    ExpectOneLineExitTwo(outputs[i], cases[i / 2].names);
    EXPECT_EQ(outputs[i].out.find('{'), std::string::npos) << "no result";
  }
}

TEST(CliTest, SizesInScientificNotationAreAccepted) {
  const Output o = RunCli("solve --problem rosenbrock --n 1e3 --json --quiet", 2);
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(LastJson(o)["n"], 1000);
  // Every whole-number option reads them too.
  const Output k = RunCli(
      "solve --problem rosenbrock --n 1e3 --json --quiet --max-iterations 1e1 --history 2e0", 2);
  EXPECT_EQ(k.status, 1) << k.err;
  EXPECT_EQ(LastJson(k)["iterations"], 10);
  EXPECT_EQ(LastJson(k)["history_size"], 2);
}

TEST(CliTest, VersionAndHelpAreReadable) {
  for (int ranks : {0, 2}) {
    const Output v = RunCli("--version", ranks);
    EXPECT_EQ(v.status, 0);
    EXPECT_EQ(Lines(v.out), std::vector<std::string>{"dlbfgs " DLBFGS_VERSION}) << v.out;
  }
  const Output h = RunCli("solve --help");
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("--resume DIR|auto"), std::string::npos) << h.out;
  EXPECT_EQ(h.out.find("0.000000"), std::string::npos) << h.out;  // no raw double ranges
}

// Every run that stops without converging says why in exactly one line on standard error,
// --quiet or not; the JSON result still comes.
TEST(CliTest, EveryAbnormalEndIsOneLineOnStderrEvenWhenQuiet) {
  struct Case {
    std::string args;
    std::string before;  // shell commands before the run
    int ranks;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"--checkpoint /proc/ckpt", "", 2, "checkpoint_failed"},
      {"--max-iterations 3", "", 2, "max_iterations"},
      {"--max-evaluations 4", "", 0, "max_evaluations"},
      // The solver's workspace does not fit, the problem's own vectors do.
      {"--n 1e8 --history 10", "ulimit -v 3000000; ", 0, "out_of_memory"},
      // The problem's own vectors do not fit.
      {"--n 4e15", "", 0, "out_of_memory"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const std::string n = c.args.find("--n ") == std::string::npos ? " --n 1000" : "";
    const Output o = RunCli("solve --problem rosenbrock --quiet --json" + n + " " + c.args, c.ranks,
                            60, c.before);
    EXPECT_EQ(o.status, 1) << o.err;
    const auto lines = Lines(o.err);
    ASSERT_EQ(lines.size(), 1u) << o.err;
    EXPECT_EQ(lines[0].rfind("dlbfgs: stopped without converging: " + c.reason + ": ", 0), 0u)
        << lines[0];
    EXPECT_EQ(LastJson(o)["reason"], c.reason);
  }
}

TEST(CliTest, RatesPerIterationOnlyWhenAnIterationRan) {
  const Output o = RunCli("solve --problem rosenbrock --n 100 --max-iterations 0", 0);
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.out.find("per iteration"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("no iteration ran"), std::string::npos) << o.out;
}

// The issue a user hit: a second run into the same directory destroyed the first run's
// checkpoint. Now it is refused; requeued jobs use --resume auto; overwriting is explicit.
TEST(CliTest, CheckpointDirectoryIsNeverSilentlyOverwritten) {
  const std::string dir = TempPath("ckpt-keep");
  std::filesystem::remove_all(dir);
  const std::string rosenbrock = "solve --problem rosenbrock --n 100000 --json --checkpoint " + dir;
  const Output first = RunCli(rosenbrock + " --checkpoint-every 5 --max-iterations 20 --quiet", 2);
  ASSERT_EQ(first.status, 1) << first.err;
  const std::string manifest = ReadFile(dir + "/ckpt-00000020/manifest");
  ASSERT_FALSE(manifest.empty());

  const Output other = RunCli("solve --problem powell --n 1000 --checkpoint " + dir, 2);
  ExpectOneLineExitTwo(other, "already holds the checkpoint of iteration 20");
  EXPECT_TRUE(other.out.empty()) << other.out;  // no progress header before the error
  EXPECT_EQ(ReadFile(dir + "/LATEST"), "ckpt-00000020\n");
  EXPECT_EQ(ReadFile(dir + "/ckpt-00000020/manifest"), manifest);

  // The requeue mode refuses a checkpoint of another problem, and resumes its own.
  ExpectOneLineExitTwo(
      RunCli("solve --problem powell --n 100000 --resume auto --checkpoint " + dir, 2),
      "problem=rosenbrock");
  const Output resumed = RunCli(rosenbrock + " --resume auto --quiet", 2);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(LastJson(resumed)["resumed"], true);
  EXPECT_EQ(LastJson(resumed)["resumed_iterations"], 20);

  // An explicit overwrite starts afresh.
  const Output fresh = RunCli(rosenbrock + " --overwrite-checkpoint --max-iterations 2 --quiet", 2);
  EXPECT_EQ(fresh.status, 1) << fresh.err;
  EXPECT_EQ(LastJson(fresh)["resumed"], false);
  EXPECT_EQ(ReadFile(dir + "/LATEST"), "ckpt-00000002\n");
  std::filesystem::remove_all(dir);

  // The requeue mode in an empty directory starts afresh.
  const Output empty = RunCli(rosenbrock + " --resume auto --max-iterations 3 --quiet", 2);
  EXPECT_EQ(empty.status, 1) << empty.err;
  EXPECT_EQ(LastJson(empty)["resumed"], false);
  std::filesystem::remove_all(dir);
}

// `solve --check-gradient` compares the gradient with central differences at the start point:
// every built-in problem passes, at any rank count, and nothing is solved.
TEST(CliTest, CheckGradientPassesOnEveryBuiltinProblem) {
  for (const char* problem : {"rosenbrock", "powell", "broyden-tridiagonal", "trigonometric",
                              "discrete-boundary-value", "quadratic"}) {
    for (int ranks : {0, 3}) {
      SCOPED_TRACE(std::string(problem) + " at " + std::to_string(ranks) + " ranks");
      const Output o = RunCli(
          "solve --problem " + std::string(problem) + " --n 1000 --check-gradient --json", ranks);
      EXPECT_EQ(o.status, 0) << o.err;
      const nlohmann::json j = LastJson(o);
      ASSERT_TRUE(j.is_object()) << o.out;
      EXPECT_EQ(j["check"], "gradient");
      EXPECT_EQ(j["passed"], true);
      EXPECT_LT(j["max_relative_error"].get<double>(), 1e-5);
      EXPECT_EQ(j["tolerance"], 1e-5);
      EXPECT_EQ(j["evaluations"], 7);  // x, then x +- h v along 3 directions
      EXPECT_FALSE(j.contains("iterations"));
    }
  }
  ExpectOneLineExitTwo(
      RunCli("solve --problem rosenbrock --n 10 --check-gradient --checkpoint /tmp/x"),
      "does not combine");
}

// A resumed run continues the trace: every iteration has exactly one row, in order.
TEST(CliTest, TraceContinuesOnResume) {
  const std::string dir = TempPath("ckpt-trace");
  const std::string trace = TempPath("resumed-trace.csv");
  std::filesystem::remove_all(dir);
  const std::string cmd = "solve --problem rosenbrock --n 1000 --quiet --json --trace " + trace +
                          " --checkpoint " + dir;
  ASSERT_EQ(RunCli(cmd + " --max-iterations 6", 2).status, 1);
  const Output resumed = RunCli(cmd + " --resume auto", 2);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  const auto rows = Lines(ReadFile(trace));
  ASSERT_EQ(static_cast<int>(rows.size()), LastJson(resumed)["iterations"].get<int>() + 2);
  EXPECT_EQ(rows[0], "iteration,f,grad_norm,step,evaluations,seconds");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(std::atoi(rows[i].c_str()), static_cast<int>(i - 1)) << rows[i];
  }
  std::filesystem::remove_all(dir);
  std::filesystem::remove(trace);
}

TEST(CliTest, ProblemTooLargeForMemoryIsOneLineAndExitOne) {
  for (int ranks : {0, 2}) {
    const Output o = RunCli("solve --problem rosenbrock --n 4e15 --json", ranks, 60);
    EXPECT_EQ(o.status, 1) << o.err;
    const auto lines = Lines(o.err);
    ASSERT_EQ(lines.size(), 1u) << o.err;
    EXPECT_NE(lines[0].find("out_of_memory: cannot allocate the problem"), std::string::npos)
        << lines[0];
    // A script driving many sizes still gets its result line.
    const nlohmann::json j = LastJson(o);
    ASSERT_TRUE(j.is_object()) << o.out;
    EXPECT_EQ(j["reason"], "out_of_memory");
    EXPECT_EQ(j["converged"], false);
    EXPECT_TRUE(j["f"].is_null());
  }
}

TEST(CliTest, TraceHasAHeaderAndOneRowPerIteration) {
  const std::string path = TempPath("trace.csv");
  const Output o = RunCli("solve --problem rosenbrock --n 100 --json --trace " + path, 2);
  ASSERT_EQ(o.status, 0) << o.err;
  const auto rows = Lines(ReadFile(path));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0], "iteration,f,grad_norm,step,evaluations,seconds");
  EXPECT_EQ(static_cast<int>(rows.size()), LastJson(o)["iterations"].get<int>() + 2);
  std::filesystem::remove(path);
}

TEST(CliTest, StoppingWithoutConvergingExitsOne) {
  const Output o = RunCli("solve --problem rosenbrock --n 100 --json --max-iterations 3", 2);
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_EQ(LastJson(o)["reason"], "max_iterations");
  EXPECT_EQ(LastJson(o)["converged"], false);
}

// A run in its own session, so that the whole job (mpiexec and the ranks, which Open MPI puts in
// process groups of their own) can be signalled at once.
class BackgroundJob {
 public:
  explicit BackgroundJob(const std::string& args, int ranks)
      : pid_file_(TempPath("job.pid")), out_(TempPath("job.out")) {
    // The shell traps TERM (a handler, which exec resets) so that it survives a TERM sent to
    // the session and records the job's exit status.
    const std::string cmd = "setsid sh -c 'trap : TERM; echo $$ > " + pid_file_ + "; timeout 120 " +
                            kMpiexec + " -q -n " + std::to_string(ranks) + " " + kExe + " " + args +
                            " > " + out_ + " 2>&1; echo $? >> " + out_ + ".status' &";
    std::system(cmd.c_str());
    for (int i = 0; i < 100 && ReadFile(pid_file_).empty(); ++i) Sleep(0.05);
    sid_ = std::atoi(ReadFile(pid_file_).c_str());
  }
  ~BackgroundJob() {
    Signal("KILL");
    std::filesystem::remove(pid_file_);
    std::filesystem::remove(out_);
    std::filesystem::remove(out_ + ".status");
  }
  // Sends SIG to every process of the job's session.
  void Signal(const std::string& sig) const {
    if (sid_ > 0) std::system(("pkill -" + sig + " -s " + std::to_string(sid_)).c_str());
  }
  // Sends SIG to the ranks only, as a batch scheduler signals a job's tasks (mpiexec itself would
  // SIGKILL its ranks one second after forwarding a SIGTERM: odls_base_sigkill_timeout).
  void SignalRanks(const std::string& sig) const {
    if (sid_ > 0)
      std::system(("pkill -" + sig + " -s " + std::to_string(sid_) + " -x dlbfgs").c_str());
  }
  // Waits for the exit status written by the job's shell; -1 if it never came.
  int Wait(double seconds) const {
    for (double t = 0; t < seconds; t += 0.05) {
      const std::string status = ReadFile(out_ + ".status");
      if (!status.empty()) return std::atoi(status.c_str());
      Sleep(0.05);
    }
    return -1;
  }
  std::string Output() const { return ReadFile(out_); }
  static void Sleep(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

 private:
  std::string pid_file_;
  std::string out_;
  int sid_ = 0;
};

// Waits until dir/LATEST names a checkpoint of at least `iteration`.
bool WaitForCheckpoint(const std::string& dir, int iteration, double seconds) {
  for (double t = 0; t < seconds; t += 0.02) {
    const std::string latest = ReadFile(dir + "/LATEST");
    if (latest.rfind("ckpt-", 0) == 0 && std::atoi(latest.c_str() + 5) >= iteration) return true;
    BackgroundJob::Sleep(0.02);
  }
  return false;
}

const char* kLongRun = "solve --problem rosenbrock --n 200000 --json --quiet --checkpoint-every 1";

TEST(CliTest, KilledJobResumesToTheUninterruptedResult) {
  const std::string dir = TempPath("ckpt-kill");
  std::filesystem::remove_all(dir);
  const Output whole = RunCli("solve --problem rosenbrock --n 200000 --json --quiet", 2);
  ASSERT_EQ(whole.status, 0) << whole.err;
  {
    BackgroundJob job(std::string(kLongRun) + " --checkpoint " + dir, 2);
    ASSERT_TRUE(WaitForCheckpoint(dir, 5, 60)) << job.Output();
    job.Signal("KILL");
    BackgroundJob::Sleep(0.3);
  }
  const Output resumed =
      RunCli("solve --problem rosenbrock --n 200000 --json --quiet --resume " + dir, 2);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  const nlohmann::json a = LastJson(whole), b = LastJson(resumed);
  EXPECT_EQ(b["resumed"], true);
  EXPECT_EQ(b["iterations"], a["iterations"]);
  EXPECT_EQ(b["evaluations"], a["evaluations"]);
  EXPECT_EQ(b["f"].get<double>(), a["f"].get<double>());  // bitwise: same ranks
  EXPECT_EQ(b["grad_norm"].get<double>(), a["grad_norm"].get<double>());
  // Counts continue from the checkpoint; the allreduce calls are this run's: its evaluations,
  // the start-up check and the resume's two.
  const long long evaluations_here =
      b["evaluations"].get<long long>() - b["resumed_evaluations"].get<long long>();
  EXPECT_GE(b["resumed_iterations"].get<int>(), 5);
  EXPECT_EQ(b["allreduce_calls"].get<long long>(), evaluations_here + 3);
  EXPECT_DOUBLE_EQ(b["allreduce_calls_per_evaluation"].get<double>(),
                   double(evaluations_here + 3) / evaluations_here);
  // On another number of ranks the checkpoint is re-partitioned.
  const Output other =
      RunCli("solve --problem rosenbrock --n 200000 --json --quiet --resume " + dir, 3);
  ASSERT_EQ(other.status, 0) << other.err;
  EXPECT_NEAR(LastJson(other)["iterations"].get<int>(), a["iterations"].get<int>(), 2);
  std::filesystem::remove_all(dir);
}

TEST(CliTest, SigtermCheckpointsAndExitsCleanly) {
  const std::string dir = TempPath("ckpt-term");
  std::filesystem::remove_all(dir);
  const Output whole = RunCli("solve --problem rosenbrock --n 200000 --json --quiet", 2);
  BackgroundJob job(std::string(kLongRun) + " --checkpoint " + dir, 2);
  ASSERT_TRUE(WaitForCheckpoint(dir, 3, 60)) << job.Output();
  job.SignalRanks("TERM");
  const int status = job.Wait(60);
  EXPECT_EQ(status, 1) << job.Output();
  // Standard output and error are merged here: the JSON line, and the one line saying why.
  nlohmann::json j;
  for (const std::string& line : Lines(job.Output())) {
    const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
    if (parsed.is_object()) j = parsed;
  }
  ASSERT_TRUE(j.is_object()) << job.Output();
  EXPECT_EQ(j["reason"], "interrupted") << job.Output();
  EXPECT_NE(job.Output().find("stopped without converging: interrupted: stop requested by SIGTERM "
                              "on rank "),
            std::string::npos)
      << job.Output();
  // The state at the stop is saved and resumes to the uninterrupted answer.
  const Output resumed =
      RunCli("solve --problem rosenbrock --n 200000 --json --quiet --resume " + dir, 2);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(LastJson(resumed)["f"].get<double>(), LastJson(whole)["f"].get<double>());
  EXPECT_EQ(LastJson(resumed)["iterations"], LastJson(whole)["iterations"]);
  std::filesystem::remove_all(dir);
}

// A run that wrote a checkpoint of rosenbrock, n = 1000, on 2 ranks, stopped at iteration 5
// (the checkpoints of iterations 0, 2, 4 and 5 with `every` = 2, else of 0 and 5).
Output WriteShortCheckpoint(const std::string& dir, const std::string& every) {
  std::filesystem::remove_all(dir);
  return RunCli("solve --problem rosenbrock --n 1000 --quiet --json --max-iterations 5 " + every +
                    " --checkpoint " + dir,
                2);
}

// The checkpoint is bound to its problem: another problem of the same size is refused.
TEST(CliTest, CheckpointOfAnotherProblemIsOneLineAndExitTwo) {
  const std::string dir = TempPath("ckpt-other");
  const Output first = WriteShortCheckpoint(dir, "--checkpoint-every 2");
  ASSERT_EQ(first.status, 1) << first.err;
  EXPECT_EQ(LastJson(first)["checkpoints"], 4);  // iterations 0, 2, 4 and the end (5)
  for (const char* other : {"powell", "quadratic"}) {
    SCOPED_TRACE(other);
    const Output o =
        RunCli("solve --problem " + std::string(other) + " --n 1000 --resume " + dir, 2);
    ExpectOneLineExitTwo(o, "problem=rosenbrock");
    EXPECT_TRUE(o.out.empty()) << o.out;  // the error alone, no progress header
  }
  const Output same = RunCli("solve --problem rosenbrock --n 1000 --quiet --resume " + dir, 2);
  EXPECT_EQ(same.status, 0) << same.err;
  std::filesystem::remove_all(dir);
}

TEST(CliTest, CorruptCheckpointIsOneLineAndExitTwo) {
  const std::string dir = TempPath("ckpt-bad");
  const Output first = WriteShortCheckpoint(dir, "");
  ASSERT_EQ(first.status, 1) << first.err;
  std::filesystem::resize_file(dir + "/ckpt-00000005/rank-1.bin", 64);
  ExpectOneLineExitTwo(RunCli("solve --problem rosenbrock --n 1000 --quiet --resume " + dir, 2),
                       "rank-1.bin");
  std::filesystem::remove_all(dir);
}

// One hex digit of f in the manifest still parses as a number: only its checksum tells.
TEST(CliTest, ChangedManifestDigitIsOneLineAndExitTwo) {
  const std::string dir = TempPath("ckpt-digit");
  ASSERT_EQ(WriteShortCheckpoint(dir, "").status, 1);
  const std::string manifest = dir + "/ckpt-00000005/manifest";
  std::string text = ReadFile(manifest);
  const std::size_t at = text.find("\nf 0x");
  ASSERT_NE(at, std::string::npos) << text;
  text[at + 6] = text[at + 6] == '1' ? '2' : '1';
  std::ofstream(manifest, std::ios::trunc | std::ios::binary) << text;
  ExpectOneLineExitTwo(RunCli("solve --problem rosenbrock --n 1000 --quiet --resume " + dir, 2),
                       "manifest");
  std::filesystem::remove_all(dir);
}

}  // namespace
