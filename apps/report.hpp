#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"

namespace dlbfgs::cli {

/// A JSON number, or null when not finite (bare nan/inf would be invalid JSON). Local.
nlohmann::json Number(double value);

/// A CLI11 check: a finite number >= lower (> lower when strict), with a message that names the
/// value (CLI11's own range validators print the full double range, which is unreadable). Local.
CLI::Validator AtLeast(double lower, bool strict);

/// A CLI11 transform: a whole number in [lower, upper], also written as 1e3 (rewritten to digits
/// for the conversion). Local.
CLI::Validator WholeNumber(double lower, double upper);

/// This process's rank in MPI_COMM_WORLD. Local.
int WorldRank();

/// `value` of every rank of MPI_COMM_WORLD, in rank order. Collective.
std::vector<double> AllRanks(double value);

/// Largest `value` over the ranks of MPI_COMM_WORLD. Collective.
double MaxOverRanks(double value);

/// This process's peak resident memory in MB (VmHWM of /proc/self/status; 0 when unknown).
/// Local.
double PeakMemoryMb();

/// Aggregate triad bandwidth a = b + s c of all ranks at once in bytes per second (24 bytes per
/// element, STREAM's convention): the median of `repeats` after a warm-up, over arrays of
/// `n_local` doubles per rank. Collective.
double TriadBandwidth(long long n_local, int repeats);

/// Prints the built-in problems as a table, or as one JSON array. Local (call on rank 0 only or
/// on every rank: it prints on rank 0).
void PrintProblems(bool json);

/// The --trace CSV file: a header and one row per iteration, written on rank 0. A resumed run
/// appends to the file of the run it continues, after dropping the rows from the checkpoint's
/// iteration on (the interrupted run may have gone past its last checkpoint), so that every
/// iteration has one row.
class Trace {
 public:
  Trace() = default;
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;
  ~Trace();
  /// Opens `path` for writing (it is rewritten at the first row), keeping its rows when
  /// `resuming`. Returns "" or the error. Local.
  std::string Open(const std::string& path, bool resuming);
  /// Writes the row of `s` (after the trim, on the first row of a resumed run). Local.
  void Row(const IterationSummary& s);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  bool keep_ = false;     // resuming: keep the rows before the first iteration written
  bool started_ = false;  // the first row was written
};

/// Progress lines and the per-iteration trace, both on rank 0 only; fed by the solver's callback.
class Progress {
 public:
  /// every: a line every this many iterations (0: none). trace: an open trace or nullptr.
  /// banner: a line printed, with the column header, before the first iterate's line.
  Progress(int rank, int every, Trace* trace, std::string banner)
      : rank_(rank), every_(every), trace_(trace), banner_(std::move(banner)) {}
  void Iteration(const IterationSummary& s);
  /// The last iterate's line, unless Iteration() printed it already.
  void Final(const LbfgsResult& r, double seconds);

 private:
  void Line(int iteration, double f, double gnorm, double step, int evaluations,
            double seconds) const;
  void Header();
  int rank_;
  int every_;
  Trace* trace_;
  std::string banner_;
  bool header_printed_ = false;
  int last_printed_ = -1;
  double last_step_ = 0;
};

}  // namespace dlbfgs::cli
