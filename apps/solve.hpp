#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "dlbfgs/dlbfgs.hpp"

namespace dlbfgs::cli {

/// Exit statuses of the program (see the README).
constexpr int kConverged = 0;
constexpr int kNotConverged = 1;
constexpr int kBadInput = 2;

/// Everything `dlbfgs solve` reads from its command line.
struct SolveArgs {
  std::string problem;
  long long n = 0;
  LbfgsOptions options;
  std::string line_search = "more-thuente";
  std::string two_loop = "fused";
  std::string history_precision = "float64";
  std::string trial_products = "every";
  double condition = 1e4;
  bool condition_given = false;  // --condition was on the command line
  bool overwrite_checkpoint = false;
  bool check_gradient = false;  // check the gradient at the start point instead of solving
  int progress_every = 10;
  bool quiet = false;
  bool json = false;
  std::string trace;
  // --lower / --upper: one bound for every variable (a number, -inf or inf); both empty: none.
  std::string lower;
  std::string upper;
};

/// Declares the `solve` subcommand's flags on `sub`, writing into `args`. Local.
void AddSolveFlags(CLI::App& sub, SolveArgs& args);

/// Runs `dlbfgs solve`. Collective on MPI_COMM_WORLD. Returns the exit status; bad input is
/// reported on rank 0 as one line on standard error and gives kBadInput on every rank.
int RunSolve(SolveArgs& args);

/// Prints one line "dlbfgs: error: MESSAGE" on standard error, on rank 0 only. Local.
void PrintError(const std::string& message);

/// Prints one line "dlbfgs: stopped without converging: REASON: MESSAGE" on standard error, on
/// rank 0 only. Local.
void PrintStop(const LbfgsResult& r);

}  // namespace dlbfgs::cli
