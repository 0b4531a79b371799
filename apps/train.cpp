// `dlbfgs train` and `dlbfgs predict`: logistic regression on LIBSVM files.

#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "logreg.hpp"
#include "report.hpp"
#include "solve.hpp"

namespace dlbfgs::cli {
namespace {

// Doubles per rank of the triad arrays for --measure-bandwidth: 64 MB each, far beyond the caches.
constexpr long long kTriadDoubles = 1LL << 23;

int WorldSize() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// What reading one file cost, over the ranks.
struct ReadReport {
  double seconds = 0;                 // wall time, slowest rank
  double mb_per_s = 0;                // whole file / seconds
  std::vector<double> rank_mb_per_s;  // each rank's own parse speed
};

LibsvmData Read(const std::string& path, const LibsvmReadOptions& options, ReadReport& report) {
  const double start = MPI_Wtime();
  LibsvmData data = ReadLibsvm(MPI_COMM_WORLD, path, options);
  report.seconds = MaxOverRanks(MPI_Wtime() - start);
  double bytes = static_cast<double>(data.bytes);
  MPI_Allreduce(MPI_IN_PLACE, &bytes, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  report.mb_per_s = report.seconds > 0 ? 1e-6 * bytes / report.seconds : 0;
  report.rank_mb_per_s = AllRanks(data.mb_per_s());
  return data;
}

nlohmann::json Numbers(const std::vector<double>& values) {
  nlohmann::json list = nlohmann::json::array();
  for (double v : values) list.push_back(Number(v));
  return list;
}

std::string List(const std::vector<double>& values, const char* format) {
  std::string out;
  for (double v : values) {
    char text[32];
    std::snprintf(text, sizeof text, format, v);
    out += (out.empty() ? "" : " ") + std::string(text);
  }
  return out;
}

// The objective's counters accumulated between two snapshots.
ObjectiveCommStats Difference(const ObjectiveCommStats& a, const ObjectiveCommStats& b) {
  ObjectiveCommStats d;
  d.allreduce_calls = a.allreduce_calls - b.allreduce_calls;
  d.allgatherv_calls = a.allgatherv_calls - b.allgatherv_calls;
  d.reduce_scatter_calls = a.reduce_scatter_calls - b.reduce_scatter_calls;
  d.alltoallv_calls = a.alltoallv_calls - b.alltoallv_calls;
  d.other_calls = a.other_calls - b.other_calls;
  d.doubles = a.doubles - b.doubles;
  d.seconds = a.seconds - b.seconds;
  return d;
}

void PrintMetrics(const char* what, const ClassificationMetrics& m, bool binary) {
  std::printf("%s: accuracy %.6f (%lld of %lld rows), log loss %.6g", what, m.accuracy,
              static_cast<long long>(m.correct), static_cast<long long>(m.rows), m.log_loss);
  if (binary) std::printf(", AUC %.6f", m.auc);
  std::printf("\n");
}

std::string CheckTrainArgs(const TrainArgs& a) {
  if (!a.options.checkpoint_dir.empty()) return "train does not write checkpoints";
  const std::string invalid = ValidateOptions(a.options);
  return invalid.empty() ? "" : "invalid options: " + invalid;
}

}  // namespace

void AddTrainFlags(CLI::App& sub, TrainArgs& a) {
  LbfgsOptions& o = a.options;
  const int kMaxInt = std::numeric_limits<int>::max();
  sub.add_option("--data", a.data, "training data, a LIBSVM/SVMlight file")
      ->required()
      ->type_name("FILE");
  sub.add_option("--test", a.test, "test data: accuracy and log loss after training")
      ->type_name("FILE");
  sub.add_option("--l2", a.l2, "lambda2 of (lambda2/2)||W||^2 (default 1/N: C = 1)")
      ->type_name("L")
      ->check(AtLeast(0, false));
  sub.add_option("--l1", o.l1_weight,
                 "lambda1 of lambda1 ||W||_1, with OWL-QN; intercepts unpenalised (default 0)")
      ->type_name("L")
      ->check(AtLeast(0, false));
  sub.add_flag("--no-intercept", a.no_intercept, "no intercept b (default: one, unpenalised)");
  sub.add_option("--layout", a.layout, "features (model parallel), samples (data parallel), auto")
      ->type_name("NAME")
      ->check(CLI::IsMember({"features", "samples", "auto"}))
      ->capture_default_str();
  sub.add_flag("--zero-based", a.zero_based, "feature indices start at 0 (default: at 1)");
  sub.add_option("--features", a.features, "number of features d; larger indices are an error")
      ->type_name("D")
      ->transform(WholeNumber(1, 2147483646));
  sub.add_option("--history", o.history_size, "history size m")
      ->type_name("M")
      ->transform(WholeNumber(1, 1000))
      ->capture_default_str();
  sub.add_option("--grad-tol", o.grad_tol, "stop when ||grad F||_2 <= this")
      ->type_name("G")
      ->check(AtLeast(0, false))
      ->capture_default_str();
  sub.add_option("--max-iterations", o.max_iterations, "iteration limit")
      ->type_name("K")
      ->transform(WholeNumber(0, kMaxInt))
      ->capture_default_str();
  sub.add_option("--two-loop", a.two_loop, "fused or classic (as for solve)")
      ->type_name("NAME")
      ->check(CLI::IsMember({"fused", "classic"}))
      ->capture_default_str();
  sub.add_option("--line-search", a.line_search, "more-thuente or backtracking (as for solve)")
      ->type_name("NAME")
      ->check(CLI::IsMember({"more-thuente", "backtracking"}))
      ->capture_default_str();
  sub.add_option("--model-out", a.model_out, "write the trained model (text) to FILE")
      ->type_name("FILE");
  sub.add_option("--progress-every", a.progress_every, "progress line every K iterations (0: off)")
      ->type_name("K")
      ->transform(WholeNumber(0, kMaxInt))
      ->capture_default_str();
  sub.add_flag("--measure-bandwidth", a.measure_bandwidth,
               "measure the triad bandwidth before and after, and report one evaluation's time "
               "against 2 * 12 bytes * nnz / triad");
  sub.add_flag("--quiet", a.quiet, "no progress and no summary (errors are still reported)");
  sub.add_flag("--json", a.json, "last line of output: the result as one JSON object");
}

void AddPredictFlags(CLI::App& sub, PredictArgs& a) {
  sub.add_option("--model", a.model, "model file written by train --model-out")
      ->required()
      ->type_name("FILE");
  sub.add_option("--data", a.data, "LIBSVM/SVMlight file to classify")
      ->required()
      ->type_name("FILE");
  sub.add_option("--layout", a.layout, "features, samples or auto")
      ->type_name("NAME")
      ->check(CLI::IsMember({"features", "samples", "auto"}))
      ->capture_default_str();
  sub.add_flag("--quiet", a.quiet, "no summary");
  sub.add_flag("--json", a.json, "last line of output: the result as one JSON object");
}

int RunTrain(TrainArgs& a) {
  const double start = MPI_Wtime();
  const int rank = WorldRank();
  const int ranks = WorldSize();
  a.options.two_loop = ParseTwoLoopType(a.two_loop);
  a.options.line_search = ParseLineSearchType(a.line_search);
  if (const std::string error = CheckTrainArgs(a); !error.empty()) {
    PrintError(error);
    return kBadInput;
  }
  double triad_before = 0;
  if (a.measure_bandwidth) triad_before = TriadBandwidth(kTriadDoubles, 5);

  // 1. The data and the model; every failure is agreed on and thrown on every rank alike.
  std::unique_ptr<LogisticRegression> model, test_model;
  ReadReport read, test_read;
  Eigen::Index test_rows = 0;
  double setup_seconds = 0;
  try {
    LibsvmReadOptions ro;
    ro.zero_based = a.zero_based;
    ro.features = a.features;
    LibsvmData data = Read(a.data, ro, read);
    const double setup_start = MPI_Wtime();
    LogisticOptions mo;
    mo.l2 = a.l2_given ? a.l2 : 1.0 / static_cast<double>(data.rows);
    mo.intercept = !a.no_intercept;
    mo.layout = ParseDataLayout(a.layout);
    mo.features = a.features;
    model = std::make_unique<LogisticRegression>(MPI_COMM_WORLD, std::move(data), mo);
    setup_seconds = MaxOverRanks(MPI_Wtime() - setup_start);
    if (!a.test.empty()) {
      LibsvmReadOptions to;
      to.zero_based = a.zero_based;
      to.allowed_labels = model->labels();
      LibsvmData test = Read(a.test, to, test_read);
      test_rows = test.rows;
      mo.labels = model->labels();
      mo.features = model->features();
      mo.layout = model->layout();
      test_model = std::make_unique<LogisticRegression>(MPI_COMM_WORLD, std::move(test), mo);
    }
  } catch (const std::exception& e) {  // DataError, std::invalid_argument: on every rank
    PrintError(e.what());
    return kBadInput;
  }

  // 2. Training from W = 0, b = 0.
  const Partition& part = model->partition();
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  char banner[512] = "";
  if (!a.quiet) {
    std::snprintf(banner, sizeof banner,
                  "dlbfgs %s: logistic regression (%s, %d classes), N = %lld, d = %lld, nnz = "
                  "%lld, lambda2 = %.6g, lambda1 = %.6g, %d rank(s), layout %s (%s), m = %d",
                  kVersion, model->outputs() == 1 ? "binary" : "softmax",
                  static_cast<int>(model->labels().size()), static_cast<long long>(model->rows()),
                  static_cast<long long>(model->features()), static_cast<long long>(model->nnz()),
                  model->l2(), a.options.l1_weight, ranks, ToString(model->layout()),
                  model->layout_reason().c_str(), a.options.history_size);
  }
  Progress progress(rank, a.quiet ? 0 : a.progress_every, nullptr, banner);
  a.options.callback = [&progress](const IterationSummary& s) {
    progress.Iteration(s);
    return CallbackResult::kContinue;
  };
  InstallStopSignalHandlers();
  const ObjectiveCommStats before = model->comm_stats();
  LbfgsResult r;
  try {
    // L1 leaves the intercepts unpenalised: their weight in the mask is 0.
    Eigen::VectorXd mask(part.local_size());
    model->PenaltyMask(mask);
    r = Minimize(*model, part, x, a.options, mask);
  } catch (const std::invalid_argument& e) {
    PrintError(e.what());
    return kBadInput;
  }
  progress.Final(r, r.seconds);
  const ObjectiveCommStats during = Difference(model->comm_stats(), before);
  double triad_after = 0;
  if (a.measure_bandwidth) triad_after = TriadBandwidth(kTriadDoubles, 5);

  // 3. Metrics, the model file, the report.
  const ClassificationMetrics train = model->Metrics(x);
  ClassificationMetrics test;
  if (test_model) test = test_model->Metrics(x);
  const long long nonzeros = model->Nonzeros(x);
  std::string model_error;
  if (!a.model_out.empty()) {
    try {
      LogisticModelInfo info = ModelInfoOf(*model, a.zero_based);
      info.l1 = a.options.l1_weight;
      WriteLogisticModel(a.model_out, info, part, x);
    } catch (const DataError& e) {
      model_error = e.what();
    }
  }
  const double seconds = MaxOverRanks(r.seconds);
  const int evaluations = std::max(1, r.evaluations);
  const double evaluation_seconds = MaxOverRanks(r.phases.objective) / evaluations;
  const std::vector<double> memory = AllRanks(PeakMemoryMb());
  const double peak_memory = *std::max_element(memory.begin(), memory.end());
  const double total_seconds = MaxOverRanks(MPI_Wtime() - start);
  const double triad = 0.5 * (triad_before + triad_after);
  const double bound = triad > 0 ? 24.0 * static_cast<double>(model->nnz()) / triad : NAN;
  const bool binary = model->outputs() == 1;

  if (rank == 0) {
    if (!a.quiet) {
      std::printf("\nreason: %s (%s)\n", ToString(r.reason), r.message.c_str());
      std::printf("objective F = %.15e, optimality %.6e, %d iterations, %d evaluations\n", r.f,
                  r.optimality, r.iterations, r.evaluations);
      PrintMetrics("train", train, binary);
      if (test_model) PrintMetrics("test", test, binary);
      std::printf("weights: %lld of %lld non-zero%s\n", nonzeros,
                  static_cast<long long>(model->features() * model->outputs()),
                  model->intercept() ? " (intercepts not counted)" : "");
      std::printf("time: read %.3f s (%.1f MB/s; per rank: %s), set-up %.3f s, iterating %.3f s",
                  read.seconds, read.mb_per_s, List(read.rank_mb_per_s, "%.1f").c_str(),
                  setup_seconds, seconds);
      if (r.iterations > 0) std::printf(" (%.3f ms per iteration)", 1e3 * seconds / r.iterations);
      std::printf(", %.3f ms per evaluation, total %.3f s\n", 1e3 * evaluation_seconds,
                  total_seconds);
      std::printf(
          "communication: solver %lld allreduce calls (%.3f s); objective %lld allreduce, "
          "%lld allgatherv, %lld reduce-scatter (%.1f MB, %.3f s)\n",
          r.comm.allreduce_calls, r.comm.allreduce_seconds, during.allreduce_calls,
          during.allgatherv_calls, during.reduce_scatter_calls, 8e-6 * during.doubles,
          during.seconds);
      std::printf("memory: peak %.1f MB per rank (max; per rank: %s)\n", peak_memory,
                  List(memory, "%.1f").c_str());
      if (a.measure_bandwidth) {
        std::printf(
            "bandwidth: triad %.2f GB/s (all ranks), bound 2*12*nnz/triad = %.3f ms, "
            "evaluation / bound = %.2f\n",
            1e-9 * triad, 1e3 * bound, evaluation_seconds / bound);
      }
      if (!a.model_out.empty() && model_error.empty()) {
        std::printf("model: %s\n", a.model_out.c_str());
      }
    }
    if (a.json) {
      nlohmann::json out = {
          {"solver", "dlbfgs"},
          {"version", kVersion},
          {"command", "train"},
          {"data", a.data},
          {"ranks", ranks},
          {"loss", binary ? "binary" : "softmax"},
          {"classes", model->labels().size()},
          {"rows", model->rows()},
          {"features", model->features()},
          {"nnz", model->nnz()},
          {"l2", Number(model->l2())},
          {"l1", Number(a.options.l1_weight)},
          {"intercept", model->intercept()},
          {"layout", ToString(model->layout())},
          {"layout_reason", model->layout_reason()},
          {"history_size", a.options.history_size},
          {"reason", ToString(r.reason)},
          {"converged", r.Converged()},
          {"message", r.message},
          {"objective", Number(r.f)},
          {"optimality", Number(r.optimality)},
          {"line_search", r.line_search},
          {"iterations", r.iterations},
          {"evaluations", r.evaluations},
          {"train_accuracy", Number(train.accuracy)},
          {"log_loss", Number(train.log_loss)},
          {"auc", Number(train.auc)},
          {"test_rows", test_rows},
          {"test_accuracy", Number(test.accuracy)},
          {"test_log_loss", Number(test.log_loss)},
          {"test_auc", Number(test.auc)},
          {"nonzeros", nonzeros},
          {"seconds", Number(seconds)},
          {"seconds_per_iteration", Number(r.iterations > 0 ? seconds / r.iterations : NAN)},
          {"evaluation_seconds", Number(evaluation_seconds)},
          {"setup_seconds", Number(setup_seconds)},
          {"total_seconds", Number(total_seconds)},
          {"read_seconds", Number(read.seconds)},
          {"read_mb_per_s", Number(read.mb_per_s)},
          {"read_mb_per_s_per_rank", Numbers(read.rank_mb_per_s)},
          {"test_read_seconds", Number(test_read.seconds)},
          {"peak_memory_mb", Number(peak_memory)},
          {"peak_memory_mb_per_rank", Numbers(memory)},
          {"allreduce_calls", r.comm.allreduce_calls},
          {"communication_seconds", Number(r.phases.communication)},
          {"allreduce_seconds", Number(r.comm.allreduce_seconds)},
          {"objective_allreduce_calls", during.allreduce_calls},
          {"objective_allgatherv_calls", during.allgatherv_calls},
          {"objective_reduce_scatter_calls", during.reduce_scatter_calls},
          {"objective_comm_mb", Number(8e-6 * during.doubles)},
          {"objective_comm_seconds", Number(during.seconds)},
          {"model_out", a.model_out}};
      if (a.measure_bandwidth) {
        out["triad_bytes_per_second"] = Number(triad);
        out["evaluation_bound_seconds"] = Number(bound);
        out["evaluation_bound_ratio"] = Number(evaluation_seconds / bound);
      }
      std::printf("%s\n", out.dump().c_str());
    }
    std::fflush(stdout);
  }
  if (!model_error.empty()) {
    PrintError(model_error);
    return kBadInput;
  }
  if (!r.Converged()) PrintStop(r);
  return r.Converged() ? kConverged : kNotConverged;
}

int RunPredict(PredictArgs& a) {
  const double start = MPI_Wtime();
  LogisticModelInfo info;
  std::unique_ptr<LogisticRegression> model;
  ReadReport read;
  Eigen::VectorXd x;
  try {
    info = ReadLogisticModelInfo(MPI_COMM_WORLD, a.model);
    LibsvmReadOptions ro;
    ro.zero_based = info.zero_based;
    ro.allowed_labels = info.labels;
    LibsvmData data = Read(a.data, ro, read);
    LogisticOptions mo;
    mo.l2 = info.l2;
    mo.intercept = info.intercept;
    mo.labels = info.labels;
    mo.features = info.features;
    mo.layout = ParseDataLayout(a.layout);
    if (info.features == 0 && !info.intercept)
      throw DataError(a.model +
                      ": a model without "
                      "parameters");
    model = std::make_unique<LogisticRegression>(MPI_COMM_WORLD, std::move(data), mo);
    x.resize(model->partition().local_size());
    ReadLogisticModelWeights(a.model, info, model->partition(), x);
  } catch (const std::exception& e) {
    PrintError(e.what());
    return kBadInput;
  }
  const ClassificationMetrics m = model->Metrics(x);
  const std::vector<double> memory = AllRanks(PeakMemoryMb());
  const double peak_memory = *std::max_element(memory.begin(), memory.end());
  const double seconds = MaxOverRanks(MPI_Wtime() - start);
  const bool binary = model->outputs() == 1;
  if (WorldRank() == 0) {
    if (!a.quiet) {
      PrintMetrics(a.data.c_str(), m, binary);
      std::printf("time: read %.3f s (%.1f MB/s), total %.3f s; peak memory %.1f MB per rank\n",
                  read.seconds, read.mb_per_s, seconds, peak_memory);
    }
    if (a.json) {
      const nlohmann::json out = {{"solver", "dlbfgs"},
                                  {"version", kVersion},
                                  {"command", "predict"},
                                  {"model", a.model},
                                  {"data", a.data},
                                  {"ranks", WorldSize()},
                                  {"loss", binary ? "binary" : "softmax"},
                                  {"classes", info.labels.size()},
                                  {"rows", m.rows},
                                  {"features", model->features()},
                                  {"nnz", model->nnz()},
                                  {"layout", ToString(model->layout())},
                                  {"correct", m.correct},
                                  {"accuracy", Number(m.accuracy)},
                                  {"log_loss", Number(m.log_loss)},
                                  {"auc", Number(m.auc)},
                                  {"read_seconds", Number(read.seconds)},
                                  {"read_mb_per_s", Number(read.mb_per_s)},
                                  {"read_mb_per_s_per_rank", Numbers(read.rank_mb_per_s)},
                                  {"peak_memory_mb", Number(peak_memory)},
                                  {"seconds", Number(seconds)}};
      std::printf("%s\n", out.dump().c_str());
    }
    std::fflush(stdout);
  }
  return kConverged;
}

}  // namespace dlbfgs::cli
