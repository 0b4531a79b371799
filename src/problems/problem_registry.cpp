// The table of built-in problems: lookup by name and construction with argument checks.

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlbfgs/problems.hpp"
#include "problems/problem_base.hpp"

namespace dlbfgs {
namespace {

using Factory = std::unique_ptr<Problem> (*)(const Partition&, const ProblemParams&);

struct Entry {
  const ProblemInfo& (*info)();
  Factory make;
};

// The fixed order of BuiltinProblems(): the MGH problems in the order of the reference table,
// then the quadratic.
const std::vector<Entry>& Entries() {
  static const std::vector<Entry> entries = {
      {internal::RosenbrockInfo, internal::MakeRosenbrock},
      {internal::PowellInfo, internal::MakePowell},
      {internal::BroydenTridiagonalInfo, internal::MakeBroydenTridiagonal},
      {internal::TrigonometricInfo, internal::MakeTrigonometric},
      {internal::DiscreteBoundaryValueInfo, internal::MakeDiscreteBoundaryValue},
      {internal::QuadraticInfo, internal::MakeQuadratic},
  };
  return entries;
}

const Entry& FindEntry(const std::string& name) {
  for (const Entry& entry : Entries()) {
    if (entry.info().name == name) return entry;
  }
  std::string valid;
  for (const Entry& entry : Entries()) {
    valid += (valid.empty() ? "" : ", ") + entry.info().name;
  }
  throw std::invalid_argument("unknown problem '" + name + "'; valid names: " + valid);
}

}  // namespace

const std::vector<ProblemInfo>& BuiltinProblems() {
  static const std::vector<ProblemInfo> problems = [] {
    std::vector<ProblemInfo> list;
    for (const Entry& entry : Entries()) list.push_back(entry.info());
    return list;
  }();
  return problems;
}

const ProblemInfo& FindProblem(const std::string& name) { return FindEntry(name).info(); }

std::unique_ptr<Problem> MakeProblem(const std::string& name, const Partition& part,
                                     const ProblemParams& params) {
  const Entry& entry = FindEntry(name);
  const ProblemInfo& info = entry.info();
  const Eigen::Index n = part.global_size();
  const std::string prefix = "problem '" + name + "': ";
  if (n < info.min_n) {
    throw std::invalid_argument(prefix + "n must be >= " + std::to_string(info.min_n) + ", got " +
                                std::to_string(n));
  }
  if (n % info.granularity != 0) {
    throw std::invalid_argument(prefix + "n must be a multiple of " +
                                std::to_string(info.granularity) + ", got " + std::to_string(n));
  }
  if (part.granularity() % info.granularity != 0) {
    throw std::invalid_argument(
        prefix + "the partition's granularity must be a multiple of " +
        std::to_string(info.granularity) + ", got " + std::to_string(part.granularity()) +
        " (use Partition::Uniform(comm, n, " + std::to_string(info.granularity) + "))");
  }
  return entry.make(part, params);
}

}  // namespace dlbfgs
