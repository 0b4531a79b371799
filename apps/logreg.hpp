#pragma once

// The logistic-regression subcommands of the dlbfgs program: gen-data, train, predict.

#include <CLI/CLI.hpp>
#include <string>

#include "dlbfgs/dlbfgs.hpp"

namespace dlbfgs::cli {

/// Everything `dlbfgs train` reads from its command line.
struct TrainArgs {
  std::string data;
  std::string test;
  std::string model_out;
  std::string layout = "auto";
  double l2 = 0;
  bool l2_given = false;  // else λ₂ = 1/N (C = 1 in liblinear and scikit-learn)
  bool no_intercept = false;
  bool zero_based = false;
  long long features = 0;
  LbfgsOptions options;
  std::string two_loop = "fused";
  std::string line_search = "more-thuente";
  int progress_every = 10;
  bool measure_bandwidth = false;
  bool quiet = false;
  bool json = false;
};

/// Everything `dlbfgs predict` reads from its command line.
struct PredictArgs {
  std::string model;
  std::string data;
  std::string layout = "auto";
  bool json = false;
  bool quiet = false;
};

/// Everything `dlbfgs gen-data` reads from its command line.
struct GenDataArgs {
  std::string out;
  PlantedDataOptions options;
  bool json = false;
  bool quiet = false;
};

/// Declare the subcommands' flags on `sub`, writing into the args. Local.
void AddTrainFlags(CLI::App& sub, TrainArgs& args);
void AddPredictFlags(CLI::App& sub, PredictArgs& args);
void AddGenDataFlags(CLI::App& sub, GenDataArgs& args);

/// Run the subcommands. Collective on MPI_COMM_WORLD. Return the exit status: kConverged (0),
/// kNotConverged (1, train only), kBadInput (2, one line on standard error on rank 0).
int RunTrain(TrainArgs& args);
int RunPredict(PredictArgs& args);
int RunGenData(GenDataArgs& args);

}  // namespace dlbfgs::cli
