#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "dlbfgs/interrupt.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::test_support::GatherToAll;
using dlbfgs::test_support::TempDir;
using dlbfgs::test_support::WorldRank;
using dlbfgs::test_support::WorldSize;

using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::Partition;
using dlbfgs::TerminationReason;

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

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

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

// Both two-loops, and both history precisions: a float32 history is saved and restored bitwise
// (as floats: widened to doubles and rounded back it would be too, but a file of doubles with a
// float32 header, or a float32 history restored as zeros, must fail here).
TEST(CheckpointTest, ResumedRunIsBitwiseTheUninterruptedRun) {
  for (auto variant : {dlbfgs::TwoLoopType::kFused, dlbfgs::TwoLoopType::kClassic})
    for (auto precision :
         {dlbfgs::HistoryPrecision::kFloat64, dlbfgs::HistoryPrecision::kFloat32}) {
      SCOPED_TRACE(testing::Message()
                   << dlbfgs::ToString(variant) << " " << dlbfgs::ToString(precision));
      TempDir dir;
      LbfgsOptions o = BaseOptions();
      o.two_loop = variant;
      o.history_precision = precision;
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
  EXPECT_EQ(again.result.resumed_iterations, 3);  // the checkpoint before the failed write
  EXPECT_EQ(again.result.iterations, 3);
  EXPECT_EQ(again.result.reason, TerminationReason::kMaxIterations);
}

TEST(CheckpointTest, CorruptedCheckpointIsAClearErrorOnEveryRank) {
  struct Case {
    const char* damage;
    const char* needle;
  };
  const Case cases[] = {
      {"flip", "checksum"},
      {"truncate", "truncated"},
      {"manifest", "has no checksum"},
      {"options", "algorithm options"},
      {"latest", "LATEST"},
      {"label", "is for 'problem A', not 'problem B'"},
      {"digit", "checksum mismatch"},
      {"last-rank", "checksum"},
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
      } else if (damage == "digit") {
        // One hex digit of f: a value that still parses, so only the checksum can tell.
        std::string text = ReadFile(ck + "/manifest");
        const std::size_t at = text.find("\nf 0x") + 6;
        text[at] = text[at] == '1' ? '2' : '1';
        std::ofstream(ck + "/manifest", std::ios::trunc | std::ios::binary) << text;
      } else if (damage == "last-rank") {
        std::fstream f(ck + "/rank-" + std::to_string(WorldSize() - 1) + ".bin",
                       std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(-12, std::ios::end);
        f.put('\x55');
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

// The names of the entries of dir, sorted (the same on every rank after a barrier).
std::vector<std::string> Entries(const std::string& dir) {
  MPI_Barrier(MPI_COMM_WORLD);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A run that does not resume never destroys a checkpoint: it is refused, on every rank alike,
// and the checkpoint is left byte for byte as it was.
TEST(CheckpointTest, FreshRunRefusesADirectoryThatHoldsACheckpoint) {
  TempDir dir;
  LbfgsOptions first = BaseOptions();
  first.checkpoint_dir = dir.path();
  first.checkpoint_every = 5;
  first.max_iterations = 6;
  Solve(MPI_COMM_WORLD, first);
  const std::string manifest = ReadFile(dir.path() + "/ckpt-00000006/manifest");
  const std::string rank0 = ReadFile(dir.path() + "/ckpt-00000006/rank-0.bin");
  ASSERT_FALSE(manifest.empty());

  for (int checkpoint_every : {0, 2}) {
    LbfgsOptions again = BaseOptions();
    again.checkpoint_dir = dir.path();
    again.checkpoint_every = checkpoint_every;
    try {
      Solve(MPI_COMM_WORLD, again);
      ADD_FAILURE() << "a fresh run overwrote the checkpoint";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("already holds the checkpoint of iteration 6"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(ReadFile(dir.path() + "/LATEST"), "ckpt-00000006\n");
  EXPECT_EQ(ReadFile(dir.path() + "/ckpt-00000006/manifest"), manifest);
  EXPECT_EQ(ReadFile(dir.path() + "/ckpt-00000006/rank-0.bin"), rank0);

  // Resuming from it into another directory that holds one is refused too.
  TempDir other;
  LbfgsOptions into_other = BaseOptions();
  into_other.checkpoint_dir = dir.path();
  into_other.resume_dir = other.path();
  EXPECT_THROW(Solve(MPI_COMM_WORLD, into_other), std::invalid_argument);

  // Overwriting is explicit.
  LbfgsOptions overwrite = BaseOptions();
  overwrite.checkpoint_dir = dir.path();
  overwrite.existing_checkpoint = dlbfgs::ExistingCheckpoint::kOverwrite;
  overwrite.max_iterations = 2;
  const RunOutput fresh = Solve(MPI_COMM_WORLD, overwrite);
  EXPECT_FALSE(fresh.result.resumed);
  EXPECT_EQ(fresh.result.iterations, 2);
  EXPECT_EQ(ReadFile(dir.path() + "/LATEST"), "ckpt-00000002\n");
  EXPECT_EQ(Entries(dir.path()), (std::vector<std::string>{"LATEST", "ckpt-00000002"}));
}

// The requeue mode: start afresh in an empty directory, resume when it holds a checkpoint, and
// refuse one that does not fit.
TEST(CheckpointTest, ResumeModeStartsFreshThenResumesAndRefusesAMismatch) {
  TempDir dir;
  const RunOutput whole = Solve(MPI_COMM_WORLD, BaseOptions());
  LbfgsOptions o = BaseOptions();
  o.checkpoint_dir = dir.path();
  o.existing_checkpoint = dlbfgs::ExistingCheckpoint::kResume;
  o.checkpoint_label = "problem A";
  o.max_iterations = 9;  // the job's first allocation runs out here
  const RunOutput first = Solve(MPI_COMM_WORLD, o);
  EXPECT_FALSE(first.result.resumed);
  EXPECT_EQ(first.result.iterations, 9);

  o.max_iterations = BaseOptions().max_iterations;  // requeued: the same command
  const RunOutput second = Solve(MPI_COMM_WORLD, o);
  EXPECT_TRUE(second.result.resumed);
  EXPECT_EQ(second.result.resumed_iterations, 9);
  EXPECT_EQ(second.result.iterations, whole.result.iterations);
  EXPECT_EQ(second.result.f, whole.result.f);  // bitwise: the uninterrupted run
  EXPECT_TRUE((second.x.array() == whole.x.array()).all());

  LbfgsOptions mismatch = o;
  mismatch.checkpoint_label = "problem B";
  try {
    Solve(MPI_COMM_WORLD, mismatch);
    ADD_FAILURE() << "a checkpoint of another problem was resumed";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("is for 'problem A'"), std::string::npos) << e.what();
  }
}

// A float32 checkpoint is stored as floats (the rank file is smaller by 4 bytes per stored
// element) and names its precision; resuming it with the other precision is refused, naming the
// field, on every rank.
TEST(CheckpointTest, HistoryPrecisionIsSavedAndAMismatchIsRefused) {
  std::uintmax_t bytes[2] = {0, 0};
  for (int p = 0; p < 2; ++p) {
    const auto precision =
        p == 0 ? dlbfgs::HistoryPrecision::kFloat64 : dlbfgs::HistoryPrecision::kFloat32;
    TempDir dir;
    LbfgsOptions o = BaseOptions();
    o.history_precision = precision;
    o.checkpoint_dir = dir.path();
    o.max_iterations = 6;
    Solve(MPI_COMM_WORLD, o);
    const std::string ck = dir.path() + "/" + ReadFile(dir.path() + "/LATEST").substr(0, 13);
    bytes[p] = std::filesystem::file_size(ck + "/rank-" + std::to_string(WorldRank()) + ".bin");
    const std::string manifest = ReadFile(ck + "/manifest");
    EXPECT_NE(
        manifest.find(std::string("\nhistory_precision ") + dlbfgs::ToString(precision) + "\n"),
        std::string::npos)
        << manifest;
    LbfgsOptions other = BaseOptions();
    other.history_precision =
        p == 0 ? dlbfgs::HistoryPrecision::kFloat32 : dlbfgs::HistoryPrecision::kFloat64;
    other.resume_dir = dir.path();
    try {
      Solve(MPI_COMM_WORLD, other);
      ADD_FAILURE() << "a " << dlbfgs::ToString(precision) << " history was resumed as "
                    << dlbfgs::ToString(other.history_precision);
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("(history_precision)"), std::string::npos) << e.what();
    }
  }
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, kN, 2);
  const int slots = BaseOptions().history_size + 1;
  EXPECT_EQ(bytes[0] - bytes[1], 4u * 2 * slots * static_cast<std::uintmax_t>(part.local_size()));
}

// A crash between the rank files and LATEST leaves a partial directory: it is never read and is
// removed at the next resume and at the next write.
TEST(CheckpointTest, PartialCheckpointsAreRemovedAndNeverChosen) {
  TempDir dir;
  LbfgsOptions first = BaseOptions();
  first.checkpoint_dir = dir.path();
  first.max_iterations = 6;
  Solve(MPI_COMM_WORLD, first);
  auto make_partial = [&](const std::string& name) {
    if (WorldRank() == 0) {
      std::filesystem::create_directory(dir.path() + "/" + name);
      std::ofstream(dir.path() + "/" + name + "/rank-1.bin") << "half-written";
    }
    MPI_Barrier(MPI_COMM_WORLD);
  };
  make_partial("ckpt-00000050");  // newer than LATEST: must not be chosen
  make_partial("ckpt-00000003");
  LbfgsOptions resume = BaseOptions();
  resume.resume_dir = dir.path();
  resume.max_iterations = 8;
  const RunOutput resumed = Solve(MPI_COMM_WORLD, resume);
  EXPECT_TRUE(resumed.result.resumed);
  EXPECT_EQ(resumed.result.resumed_iterations, 6);
  EXPECT_EQ(resumed.result.iterations, 8);
  EXPECT_EQ(Entries(dir.path()), (std::vector<std::string>{"LATEST", "ckpt-00000006"}));

  // A directory with only a partial checkpoint holds no checkpoint: a fresh run may use it, and
  // its first write removes the partial one.
  TempDir crashed;
  if (WorldRank() == 0) std::filesystem::create_directory(crashed.path() + "/ckpt-00000000");
  MPI_Barrier(MPI_COMM_WORLD);
  LbfgsOptions fresh = BaseOptions();
  fresh.checkpoint_dir = crashed.path();
  fresh.max_iterations = 4;
  const RunOutput run = Solve(MPI_COMM_WORLD, fresh);
  EXPECT_EQ(run.result.iterations, 4);
  EXPECT_EQ(Entries(crashed.path()), (std::vector<std::string>{"LATEST", "ckpt-00000004"}));
}

}  // namespace
