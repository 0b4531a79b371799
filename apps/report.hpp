#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "dlbfgs/dlbfgs.hpp"

namespace dlbfgs::cli {

/// A JSON number, or null when not finite (bare nan/inf would be invalid JSON). Local.
nlohmann::json Number(double value);

/// Prints the built-in problems as a table, or as one JSON array. Local (call on rank 0 only or
/// on every rank: it prints on rank 0).
void PrintProblems(bool json);

/// Progress lines and the per-iteration trace, both on rank 0 only; fed by the solver's callback.
class Progress {
 public:
  /// every: a line every this many iterations (0: none). trace: an open CSV file or nullptr.
  Progress(int rank, int every, std::FILE* trace) : rank_(rank), every_(every), trace_(trace) {}
  void Header() const;
  void Iteration(const IterationSummary& s);
  /// The last iterate's line, unless Iteration() printed it already.
  void Final(const LbfgsResult& r, double seconds);

 private:
  void Line(int iteration, double f, double gnorm, double step, int evaluations,
            double seconds) const;
  int rank_;
  int every_;
  std::FILE* trace_;
  int last_printed_ = -1;
  double last_step_ = 0;
};

}  // namespace dlbfgs::cli
