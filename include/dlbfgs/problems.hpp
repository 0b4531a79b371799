#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "dlbfgs/objective.hpp"
#include "dlbfgs/partition.hpp"

namespace dlbfgs {

/// Description of a built-in test problem (see shared reference: Moré, Garbow, Hillstrom 1981).
struct ProblemInfo {
  std::string name;              ///< as given to MakeProblem and `dlbfgs solve --problem`
  std::string description;       ///< one line
  std::string start;             ///< the standard starting point, in words
  std::string optimum;           ///< the known optimum, in words
  Eigen::Index granularity = 1;  ///< n must be a multiple; partitions must use a multiple of it
  Eigen::Index min_n = 1;        ///< smallest n accepted
  double f_star = 0;             ///< global minimum value
  /// The stopping test that suits the problem from its standard start, in words (some have a
  /// tiny ||g0||, so that the absolute grad_tol stops them at the start point).
  std::string tolerance;
  /// True when L-BFGS may legitimately stop at a documented local minimum instead of f_star
  /// (broyden-tridiagonal for n >= 1000, trigonometric); the reference table gives the values.
  bool has_local_minimum = false;
};

/// Every built-in problem, in a fixed order. Local.
const std::vector<ProblemInfo>& BuiltinProblems();

/// The entry of BuiltinProblems() called `name`; throws std::invalid_argument (listing the valid
/// names) when there is none. Local.
const ProblemInfo& FindProblem(const std::string& name);

/// Parameters of the problems that take any.
struct ProblemParams {
  double condition = 1e4;  ///< `quadratic`: ratio of largest to smallest eigenvalue, >= 1
};

/// A built-in objective, distributed over a Partition.
class Problem : public Objective {
 public:
  /// This problem's description. Local.
  virtual const ProblemInfo& info() const = 0;
  /// Writes this rank's block of the standard starting point. Local.
  virtual void StartingPoint(Eigen::Ref<Eigen::VectorXd> x_local) const = 0;
  /// Writes this rank's block of the known global minimiser and returns true, or returns false
  /// when no closed form is known. Local.
  virtual bool KnownMinimizer(Eigen::Ref<Eigen::VectorXd> x_local) const = 0;
  /// What a checkpoint of this problem is bound to (LbfgsOptions::checkpoint_label): its name
  /// and the parameters that change it ("problem=NAME", "problem=quadratic condition=K"). Local.
  virtual std::string CheckpointLabel() const { return "problem=" + info().name; }
};

/// Builds problem `name` on `part`. Throws std::invalid_argument when the name is unknown, n is
/// below the problem's minimum or not a multiple of its granularity, or the partition's
/// granularity is not a multiple of the problem's. Local (the checks depend only on arguments
/// that every rank shares).
std::unique_ptr<Problem> MakeProblem(const std::string& name, const Partition& part,
                                     const ProblemParams& params = ProblemParams());

}  // namespace dlbfgs
