#include "report.hpp"

#include <mpi.h>

#include <cmath>

namespace dlbfgs::cli {

nlohmann::json Number(double value) {
  if (!std::isfinite(value)) return nullptr;
  return value;
}

void PrintProblems(bool json) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) return;
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const ProblemInfo& p : BuiltinProblems()) {
      list.push_back({{"name", p.name},
                      {"description", p.description},
                      {"granularity", p.granularity},
                      {"min_n", p.min_n},
                      {"start", p.start},
                      {"optimum", p.optimum},
                      {"f_star", p.f_star},
                      {"may_stop_at_local_minimum", p.has_local_minimum}});
    }
    std::printf("%s\n", list.dump().c_str());
    return;
  }
  std::printf("%-24s %-14s %-34s %s\n", "problem", "n", "start", "known optimum");
  for (const ProblemInfo& p : BuiltinProblems()) {
    const std::string n = p.granularity > 1 ? "multiple of " + std::to_string(p.granularity)
                                            : ">= " + std::to_string(p.min_n);
    std::printf("%-24s %-14s %-34s %s\n", p.name.c_str(), n.c_str(), p.start.c_str(),
                p.optimum.c_str());
  }
}

void Progress::Header() const {
  if (rank_ != 0 || every_ <= 0) return;
  std::printf("%9s %23s %12s %12s %8s %10s\n", "iteration", "f", "||g||", "step", "evals",
              "seconds");
}

void Progress::Line(int iteration, double f, double gnorm, double step, int evaluations,
                    double seconds) const {
  std::printf("%9d %23.15e %12.4e %12.4e %8d %10.3f\n", iteration, f, gnorm, step, evaluations,
              seconds);
  std::fflush(stdout);
}

void Progress::Iteration(const IterationSummary& s) {
  last_step_ = s.step;
  if (rank_ != 0) return;
  if (trace_ != nullptr) {
    std::fprintf(trace_, "%d,%.17g,%.17g,%.17g,%d,%.6f\n", s.iteration, s.f, s.grad_norm, s.step,
                 s.evaluations, s.seconds);
  }
  if (every_ > 0 && s.iteration % every_ == 0) {
    Line(s.iteration, s.f, s.grad_norm, s.step, s.evaluations, s.seconds);
    last_printed_ = s.iteration;
  }
}

void Progress::Final(const LbfgsResult& r, double seconds) {
  if (rank_ != 0 || every_ <= 0 || last_printed_ == r.iterations) return;
  Line(r.iterations, r.f, r.grad_norm, last_step_, r.evaluations, seconds);
}

}  // namespace dlbfgs::cli
