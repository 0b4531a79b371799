#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "dlbfgs/interrupt.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::test_support::GatherToAll;
using dlbfgs::test_support::WorldRank;

using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::Partition;
using dlbfgs::TerminationReason;

// A fresh directory, the same path on every rank, removed at the end.
class TempDir {
 public:
  TempDir() {
    char name[256] = {};
    if (WorldRank() == 0) {
      char templ[] = "/tmp/dlbfgs-ckpt-XXXXXX";
      const char* made = mkdtemp(templ);
      std::snprintf(name, sizeof(name), "%s", made ? made : "");
    }
    MPI_Bcast(name, sizeof(name), MPI_CHAR, 0, MPI_COMM_WORLD);
    path_ = name;
  }
  ~TempDir() {
    MPI_Barrier(MPI_COMM_WORLD);
    if (WorldRank() == 0) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Extended Rosenbrock written locally (pairs never straddle ranks with granularity 2): enough
// curvature for a run of a few dozen iterations with a full history.
class Rosenbrock : public dlbfgs::Objective {
 public:
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    double f = 0;
    for (Eigen::Index i = 0; i + 1 < x.size(); i += 2) {
      const double t1 = 1 - x[i];
      const double t2 = 10 * (x[i + 1] - x[i] * x[i]);
      g[i + 1] = 20 * t2;
      g[i] = -2 * (x[i] * g[i + 1] + t1);
      f += t1 * t1 + t2 * t2;
    }
    return f;
  }
};

Eigen::VectorXd Start(const Partition& part) {
  Eigen::VectorXd x(part.local_size());
  for (Eigen::Index i = 0; i < x.size(); ++i) x[i] = (part.offset() + i) % 2 == 0 ? -1.2 : 1.0;
  return x;
}

LbfgsOptions BaseOptions() {
  LbfgsOptions o;
  o.history_size = 5;
  o.grad_tol = 1e-9;
  return o;
}

constexpr Eigen::Index kN = 64;

struct RunOutput {
  LbfgsResult result;
  Eigen::VectorXd x;  // gathered
};

RunOutput Solve(MPI_Comm comm, const LbfgsOptions& o) {
  const Partition part = Partition::Uniform(comm, kN, 2);
  Rosenbrock obj;
  Eigen::VectorXd x = Start(part);
  RunOutput run;
  run.result = dlbfgs::Minimize(obj, part, x, o);
  run.x = GatherToAll(part, x);
  return run;
}

TEST(CheckpointTest, ResumedRunIsBitwiseTheUninterruptedRun) {
  for (auto variant : {dlbfgs::TwoLoopType::kFused, dlbfgs::TwoLoopType::kClassic}) {
    TempDir dir;
    LbfgsOptions o = BaseOptions();
    o.two_loop = variant;
    const RunOutput whole = Solve(MPI_COMM_WORLD, o);
    ASSERT_TRUE(whole.result.Converged()) << whole.result.message;
    ASSERT_GT(whole.result.iterations, 20);

    LbfgsOptions first = o;
    first.checkpoint_dir = dir.path();
    first.checkpoint_every = 4;
    first.max_iterations = 13;
    const RunOutput part1 = Solve(MPI_COMM_WORLD, first);
    EXPECT_EQ(part1.result.reason, TerminationReason::kMaxIterations);
    EXPECT_EQ(part1.result.checkpoints, 5);  // iterations 0, 4, 8, 12 and the final 13

    LbfgsOptions second = o;
    second.resume_dir = dir.path();
    const RunOutput part2 = Solve(MPI_COMM_WORLD, second);
    EXPECT_TRUE(part2.result.resumed);
    EXPECT_EQ(part2.result.resumed_iterations, 13);
    EXPECT_EQ(part2.result.resumed_evaluations, part1.result.evaluations);
    if (variant == dlbfgs::TwoLoopType::kFused) {
      // This call's own: its evaluations, the start-up check and the resume's two.
      EXPECT_EQ(part2.result.comm.allreduce_calls,
                part2.result.evaluations - part2.result.resumed_evaluations + 3);
    }
    EXPECT_EQ(part2.result.iterations, whole.result.iterations);
    EXPECT_EQ(part2.result.evaluations, whole.result.evaluations);
    EXPECT_EQ(part2.result.f, whole.result.f);  // bitwise
    EXPECT_EQ(part2.result.grad_norm, whole.result.grad_norm);
    EXPECT_TRUE((part2.x.array() == whole.x.array()).all()) << "x differs from the whole run";
    // Only the newest checkpoint is kept.
    int dirs = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
      dirs += e.is_directory() ? 1 : 0;
    }
    EXPECT_EQ(dirs, 1);
  }
}

TEST(CheckpointTest, ResumeOnAnotherRankCountRepartitions) {
  TempDir dir;
  const RunOutput whole = Solve(MPI_COMM_SELF, BaseOptions());
  ASSERT_TRUE(whole.result.Converged());

  // Written by rank 0 alone (one rank), resumed by every rank together.
  LbfgsOptions first = BaseOptions();
  first.checkpoint_dir = dir.path();
  first.max_iterations = 11;
  if (WorldRank() == 0) Solve(MPI_COMM_SELF, first);
  MPI_Barrier(MPI_COMM_WORLD);
  LbfgsOptions second = BaseOptions();
  second.resume_dir = dir.path();
  second.checkpoint_dir = dir.path();
  second.max_iterations = 17;
  const RunOutput spread = Solve(MPI_COMM_WORLD, second);
  EXPECT_EQ(spread.result.iterations, 17);

  // Written by every rank, resumed by each rank alone: same answer as the serial run.
  LbfgsOptions third = BaseOptions();
  third.resume_dir = dir.path();
  const RunOutput gathered = Solve(MPI_COMM_SELF, third);
  ASSERT_TRUE(gathered.result.Converged()) << gathered.result.message;
  EXPECT_NEAR(gathered.result.f, whole.result.f, 1e-12);
  EXPECT_LE((gathered.x - whole.x).cwiseAbs().maxCoeff(), 1e-6);
  EXPECT_NEAR(gathered.result.iterations, whole.result.iterations, 3);
}

TEST(CheckpointTest, StopRequestOnOneRankCheckpointsAndResumes) {
  TempDir dir;
  const RunOutput whole = Solve(MPI_COMM_WORLD, BaseOptions());
  LbfgsOptions first = BaseOptions();
  first.checkpoint_dir = dir.path();
  const int signalled = WorldRank() == 0 ? 0 : 1;  // only one rank "receives SIGTERM"
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  first.callback = [&](const dlbfgs::IterationSummary& s) {
    if (s.iteration == 7 && WorldRank() == std::min(signalled, size - 1)) std::raise(SIGTERM);
    return dlbfgs::CallbackResult::kContinue;
  };
  dlbfgs::InstallStopSignalHandlers();
  const RunOutput part1 = Solve(MPI_COMM_WORLD, first);
  std::signal(SIGTERM, SIG_DFL);
  dlbfgs::ClearStopRequest();
  EXPECT_EQ(part1.result.reason, TerminationReason::kInterrupted) << part1.result.message;
  EXPECT_EQ(part1.result.iterations, 7);
  EXPECT_EQ(part1.result.checkpoints, 1);

  LbfgsOptions second = BaseOptions();
  second.resume_dir = dir.path();
  const RunOutput part2 = Solve(MPI_COMM_WORLD, second);
  EXPECT_EQ(part2.result.f, whole.result.f);
  EXPECT_TRUE((part2.x.array() == whole.x.array()).all());
}

TEST(CheckpointTest, UnwritableDirectoryStopsEveryRankCleanly) {
  LbfgsOptions o = BaseOptions();
  o.checkpoint_dir = "/proc/self/no-such-dir/ckpt";  // cannot be created, even by root
  o.checkpoint_every = 2;
  const RunOutput run = Solve(MPI_COMM_WORLD, o);
  EXPECT_EQ(run.result.reason, TerminationReason::kCheckpointFailed);
  EXPECT_NE(run.result.message.find("rank 0"), std::string::npos) << run.result.message;
  EXPECT_EQ(run.result.iterations, 0);
}

TEST(CheckpointTest, FullDiskOnOneRankKeepsThePreviousCheckpoint) {
  TempDir dir;
  LbfgsOptions o = BaseOptions();
  o.checkpoint_dir = dir.path();
  o.checkpoint_every = 3;
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int victim = size - 1;
  // From iteration 5 on, the victim's writes fail with EFBIG as on a full disk.
  struct rlimit saved;
  getrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, SIG_IGN);
  o.callback = [&](const dlbfgs::IterationSummary& s) {
    if (s.iteration == 5 && WorldRank() == victim) {
      struct rlimit tiny = saved;
      tiny.rlim_cur = 16;
      setrlimit(RLIMIT_FSIZE, &tiny);
    }
    return dlbfgs::CallbackResult::kContinue;
  };
  const RunOutput run = Solve(MPI_COMM_WORLD, o);
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, SIG_DFL);
  EXPECT_EQ(run.result.reason, TerminationReason::kCheckpointFailed);
  EXPECT_EQ(run.result.iterations, 6);
  EXPECT_NE(run.result.message.find("rank " + std::to_string(victim)), std::string::npos)
      << run.result.message;
  // LATEST still names the checkpoint of iteration 3, and it resumes.
  LbfgsOptions resume = BaseOptions();
  resume.resume_dir = dir.path();
  resume.max_iterations = 3;
  const RunOutput again = Solve(MPI_COMM_WORLD, resume);
  EXPECT_TRUE(again.result.resumed);
  EXPECT_EQ(again.result.iterations, 3);
  EXPECT_EQ(again.result.reason, TerminationReason::kMaxIterations);
}

TEST(CheckpointTest, CorruptedCheckpointIsAClearErrorOnEveryRank) {
  struct Case {
    const char* damage;
    const char* needle;
  };
  const Case cases[] = {
      {"flip", "checksum"},          {"truncate", "truncated"},
      {"manifest", "no 'end' line"}, {"options", "algorithm options"},
      {"latest", "LATEST"},          {"label", "is for 'problem A', not 'problem B'"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    LbfgsOptions o = BaseOptions();
    o.checkpoint_dir = dir.path();
    o.checkpoint_label = "problem A";
    o.max_iterations = 6;
    Solve(MPI_COMM_WORLD, o);
    const std::string ck = dir.path() + "/ckpt-00000006";
    const std::string damage = c.damage;
    if (WorldRank() == 0) {
      if (damage == "flip") {
        std::fstream f(ck + "/rank-0.bin", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(60);
        f.put('\x7f');
      } else if (damage == "truncate") {
        std::filesystem::resize_file(ck + "/rank-0.bin", 100);
      } else if (damage == "manifest") {
        std::ofstream(ck + "/manifest", std::ios::trunc) << "format dlbfgs-checkpoint-2\nn 64\n";
      } else if (damage == "latest") {
        std::filesystem::remove(dir.path() + "/LATEST");
      }
    }
    MPI_Barrier(MPI_COMM_WORLD);
    LbfgsOptions resume = BaseOptions();
    resume.resume_dir = dir.path();
    resume.checkpoint_label = damage == "label" ? "problem B" : "problem A";
    if (damage == "options") resume.history_size = 6;
    try {
      Solve(MPI_COMM_WORLD, resume);
      ADD_FAILURE() << "no exception for damage " << damage;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << e.what();
    }
  }
}

}  // namespace
