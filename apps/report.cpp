#include "report.hpp"

#include <mpi.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace dlbfgs::cli {
namespace {

// "1e+04" style bounds for messages and help ("%g"), with the comparison in front when asked.
std::string Bound(double value, bool strict = false, bool compare = false) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return compare ? (strict ? "> " : ">= ") + std::string(text) : std::string(text);
}

}  // namespace

CLI::Validator AtLeast(double lower, bool strict) {
  return CLI::Validator(
      [lower, strict](std::string& text) {
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return "'" + text + "' is not a number";
        if (!std::isfinite(v) || errno == ERANGE) return "'" + text + "' is not a finite number";
        if (strict ? !(v > lower) : !(v >= lower)) {
          return "must be " + Bound(lower, strict, true) + ", got " + text;
        }
        return std::string();
      },
      Bound(lower, strict, true));
}

CLI::Validator WholeNumber(double lower, double upper) {
  const std::string range = "[" + Bound(lower) + ", " + Bound(upper) + "]";
  return CLI::Validator(
      [lower, upper, range](std::string& text) {
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return "'" + text + "' is not a number";
        if (v != std::floor(v)) return "must be a whole number, got " + text;
        if (!(v >= lower && v <= upper) || errno == ERANGE) {
          return "must be a whole number in " + range + ", got " + text;
        }
        text = std::to_string(static_cast<long long>(v));
        return std::string();
      },
      "in " + range);
}

int WorldRank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

std::vector<double> AllRanks(double value) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<double> all(static_cast<std::size_t>(size));
  MPI_Allgather(&value, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, MPI_COMM_WORLD);
  return all;
}

double MaxOverRanks(double value) {
  MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return value;
}

double PeakMemoryMb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;  // kB
  }
  return 0;
}

double TriadBandwidth(long long n_local, int repeats) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  Eigen::VectorXd a = Eigen::VectorXd::Zero(n_local), b = Eigen::VectorXd::Constant(n_local, 1),
                  c = Eigen::VectorXd::Constant(n_local, 2);
  std::vector<double> rates;
  for (int r = 0; r <= repeats; ++r) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    a.noalias() = b + 3.0 * c;
    const double seconds = MaxOverRanks(MPI_Wtime() - start);
    if (r > 0) rates.push_back(24.0 * static_cast<double>(n_local) * size / seconds);
    b[0] = a[n_local > 0 ? n_local - 1 : 0];  // keep the loop live
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

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
                      {"tolerance", p.tolerance},
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
    std::printf("%-24s stop with: %s\n", "", p.tolerance.c_str());
  }
}

namespace {
constexpr const char* kTraceHeader = "iteration,f,grad_norm,step,evaluations,seconds\n";
}  // namespace

Trace::~Trace() {
  if (file_ != nullptr) std::fclose(file_);
}

std::string Trace::Open(const std::string& path, bool resuming) {
  path_ = path;
  std::error_code ec;
  keep_ = resuming && std::filesystem::file_size(path, ec) > 0 && !ec;
  // Opened without truncating: a run refused at start (a checkpoint in the way) loses nothing.
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) return "--trace: cannot open '" + path + "': " + std::strerror(errno);
  started_ = false;
  return "";
}

void Trace::Row(const IterationSummary& s) {
  if (file_ == nullptr) return;
  if (!started_) {
    // The first row: a fresh run starts the file; a resumed one keeps the rows before its
    // checkpoint's iteration.
    started_ = true;
    std::string kept = kTraceHeader;
    if (keep_) {
      std::ifstream in(path_);
      kept.clear();
      for (std::string line; std::getline(in, line);) {
        const bool row = !line.empty() && line[0] >= '0' && line[0] <= '9';
        if (!row || std::atol(line.c_str()) < s.iteration) kept += line + "\n";
      }
    }
    std::fclose(file_);
    file_ = std::fopen(path_.c_str(), "w");
    if (file_ == nullptr) return;
    std::fputs(kept.c_str(), file_);
  }
  std::fprintf(file_, "%d,%.17g,%.17g,%.17g,%d,%.6f\n", s.iteration, s.f, s.optimality, s.step,
               s.evaluations, s.seconds);
}

void Progress::Header() {
  if (rank_ != 0 || every_ <= 0 || header_printed_) return;
  header_printed_ = true;
  if (!banner_.empty()) std::printf("%s\n", banner_.c_str());
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
  if (trace_ != nullptr) trace_->Row(s);
  Header();
  if (every_ > 0 && s.iteration % every_ == 0) {
    Line(s.iteration, s.f, s.optimality, s.step, s.evaluations, s.seconds);
    last_printed_ = s.iteration;
  }
}

void Progress::Final(const LbfgsResult& r, double seconds) {
  if (rank_ != 0 || every_ <= 0 || last_printed_ == r.iterations || !header_printed_) return;
  Line(r.iterations, r.f, r.optimality, last_step_, r.evaluations, seconds);
}

}  // namespace dlbfgs::cli
