#pragma once

// Private to the built-in problems: the common base class and one factory per problem.

#include <Eigen/Core>
#include <memory>

#include "dlbfgs/partition.hpp"
#include "dlbfgs/problems.hpp"

namespace dlbfgs::internal {

/// What every built-in problem holds: its partition (a copy; it refers to the user's
/// communicator, which must outlive the problem) and its description.
class ProblemBase : public Problem {
 public:
  ProblemBase(const Partition& part, const ProblemInfo& info) : part_(part), info_(info) {}

  const ProblemInfo& info() const override { return info_; }

 protected:
  const Partition& part() const { return part_; }
  /// Global number of variables n. Local.
  Eigen::Index n() const { return part_.global_size(); }
  /// First global (0-based) index owned by this rank. Local.
  Eigen::Index offset() const { return part_.offset(); }
  /// Number of elements owned by this rank. Local.
  Eigen::Index local_size() const { return part_.local_size(); }

 private:
  Partition part_;
  const ProblemInfo& info_;
};

// One description and one factory per problem, each in the file named after it. The factories
// assume that MakeProblem() has checked n and the granularities; they check only their own
// parameters (before any communication).
const ProblemInfo& RosenbrockInfo();
const ProblemInfo& PowellInfo();
const ProblemInfo& BroydenTridiagonalInfo();
const ProblemInfo& TrigonometricInfo();
const ProblemInfo& DiscreteBoundaryValueInfo();
const ProblemInfo& QuadraticInfo();

std::unique_ptr<Problem> MakeRosenbrock(const Partition& part, const ProblemParams& params);
std::unique_ptr<Problem> MakePowell(const Partition& part, const ProblemParams& params);
std::unique_ptr<Problem> MakeBroydenTridiagonal(const Partition& part, const ProblemParams& params);
std::unique_ptr<Problem> MakeTrigonometric(const Partition& part, const ProblemParams& params);
std::unique_ptr<Problem> MakeDiscreteBoundaryValue(const Partition& part,
                                                   const ProblemParams& params);
std::unique_ptr<Problem> MakeQuadratic(const Partition& part, const ProblemParams& params);

}  // namespace dlbfgs::internal
