// How a run that goes wrong says so: the messages name the rank, the field or the source, and an
// objective that communicates can fail on one rank without hanging the others.

#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <csignal>
#include <limits>
#include <stdexcept>
#include <string>

#include "dlbfgs/dlbfgs.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::Partition;
using dlbfgs::TerminationReason;
using dlbfgs::test_support::IdenticalOnAllRanks;
using dlbfgs::test_support::WorldRank;
using dlbfgs::test_support::WorldSize;

// f = sum_i c_i (x_i - 1)^2 / 2 with c_i in [1, 10] by global index: a few dozen iterations.
class Separable : public dlbfgs::Objective {
 public:
  explicit Separable(const Partition& part) : offset_(part.offset()) {}
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    double f = 0;
    for (Eigen::Index k = 0; k < x.size(); ++k) {
      const double c = 1 + (offset_ + k) % 10;
      g[k] = c * (x[k] - 1);
      f += 0.5 * c * (x[k] - 1) * (x[k] - 1);
    }
    ++calls;
    return f;
  }
  int calls = 0;

 private:
  Eigen::Index offset_;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The message of the std::invalid_argument that Minimize throws, or "" when it returns.
std::string ThrownMessage(dlbfgs::Objective& obj, const Partition& part, Eigen::VectorXd& x,
                          const LbfgsOptions& o) {
  try {
    dlbfgs::Minimize(obj, part, x, o);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(FailureReportingTest, NonFiniteValueOnOneRankNamesThatRank) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 12);
  const int bad = part.size() - 1;
  struct NanOnOneRank : Separable {
    NanOnOneRank(const Partition& p, bool bad) : Separable(p), bad_(bad) {}
    double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                         Eigen::Ref<Eigen::VectorXd> g) override {
      const double f = Separable::EvaluateLocal(x, g);
      return bad_ ? std::numeric_limits<double>::quiet_NaN() : f;
    }
    bool bad_;
  } obj(part, part.rank() == bad);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, LbfgsOptions());
  EXPECT_EQ(r.reason, TerminationReason::kNonFiniteValue);
  EXPECT_TRUE(Contains(r.message, "starting point on rank " + std::to_string(bad))) << r.message;
  EXPECT_TRUE(IdenticalOnAllRanks(static_cast<double>(r.message.size())));
}

TEST(FailureReportingTest, OptionThatDiffersOnOneRankIsNamed) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 10);
  Separable obj(part);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  const int other = WorldSize() - 1;
  if (WorldSize() > 1) {
    LbfgsOptions o;
    if (WorldRank() == other) o.grad_tol = 1e-7;
    const std::string m = ThrownMessage(obj, part, x, o);
    EXPECT_TRUE(Contains(m, "LbfgsOptions.grad_tol differs between ranks")) << m;
    // Invalid on one rank only: the field is named, not a vague "options differ".
    o = LbfgsOptions();
    if (WorldRank() == other) o.max_iterations = -1;
    const std::string n = ThrownMessage(obj, part, x, o);
    EXPECT_TRUE(Contains(n, "LbfgsOptions.max_iterations")) << n;
  }
  // Invalid everywhere: the range, without an internal prefix.
  LbfgsOptions o;
  o.c1 = std::numeric_limits<double>::quiet_NaN();
  const std::string m = ThrownMessage(obj, part, x, o);
  EXPECT_EQ(m.rfind("LbfgsOptions.c1 = nan: must be in (0, 0.5)", 0), 0u) << m;
  EXPECT_EQ(obj.calls, 0);
}

TEST(FailureReportingTest, StopRequestNamesItsSourceAndRank) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 40);
  const int asker = part.size() - 1;
  for (const bool by_signal : {false, true}) {
    Separable obj(part);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
    LbfgsOptions o;  // no checkpoint directory
    o.grad_tol = 1e-12;
    o.callback = [&](const dlbfgs::IterationSummary& s) {
      if (s.iteration == 3 && part.rank() == asker) {
        if (by_signal) {
          std::raise(SIGTERM);
        } else {
          dlbfgs::RequestStop();
        }
      }
      return dlbfgs::CallbackResult::kContinue;
    };
    if (by_signal) dlbfgs::InstallStopSignalHandlers();
    const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
    std::signal(SIGTERM, SIG_DFL);
    dlbfgs::ClearStopRequest();
    EXPECT_EQ(r.reason, TerminationReason::kInterrupted) << r.message;
    EXPECT_EQ(r.iterations, 3);
    const std::string expected = std::string("stop requested by ") +
                                 (by_signal ? "SIGTERM" : "RequestStop()") + " on rank " +
                                 std::to_string(asker);
    EXPECT_EQ(r.message, expected);
    EXPECT_TRUE(IdenticalOnAllRanks(static_cast<double>(r.message.size())));
  }
}

TEST(FailureReportingTest, ConvergenceAtTheStartingPointSaysSo) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 10);
  Separable obj(part);
  Eigen::VectorXd x = Eigen::VectorXd::Constant(part.local_size(), 1 + 1e-9);
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, LbfgsOptions());
  EXPECT_EQ(r.reason, TerminationReason::kGradientTolerance);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_TRUE(Contains(r.message, "at the starting point")) << r.message;
}

// The callback sees this rank's block of the iterate and of its gradient.
TEST(FailureReportingTest, CallbackSeesTheIterateAndItsGradient) {
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 25);
  Separable obj(part);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
  Eigen::VectorXd last_x;
  int calls = 0;
  LbfgsOptions o;
  o.callback = [&](const dlbfgs::IterationSummary& s) {
    ++calls;
    EXPECT_EQ(s.x().size(), part.local_size());
    double gg = s.g().squaredNorm();
    MPI_Allreduce(MPI_IN_PLACE, &gg, 1, MPI_DOUBLE, MPI_SUM, part.comm());
    EXPECT_NEAR(std::sqrt(gg), s.grad_norm, 1e-12 * (1 + s.grad_norm));
    last_x = s.x();
    return dlbfgs::CallbackResult::kContinue;
  };
  const LbfgsResult r = dlbfgs::Minimize(obj, part, x, o);
  ASSERT_TRUE(r.Converged()) << r.message;
  EXPECT_EQ(calls, r.iterations + 1);
  EXPECT_TRUE((last_x.array() == x.array()).all());
}

// An objective with a halo exchange (each rank sends to its right neighbour on a ring) that
// fails on one rank before the exchange. Through DeferredError the exchange still happens and
// the solver ends the run on every rank; throwing directly there hung the neighbours.
class RingHalo : public dlbfgs::Objective {
 public:
  RingHalo(const Partition& part, int bad, int bad_call)
      : part_(part), bad_(bad), bad_call_(bad_call) {}
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    ++calls_;
    dlbfgs::DeferredError error;
    double send = 0;
    error.Run([&] {
      if (part_.rank() == bad_ && calls_ == bad_call_) throw std::runtime_error("bad mesh cell");
      send = x.size() > 0 ? x[0] : 0;
    });
    double received = 0;
    const int right = (part_.rank() + 1) % part_.size();
    const int left = (part_.rank() + part_.size() - 1) % part_.size();
    MPI_Sendrecv(&send, 1, MPI_DOUBLE, right, 7, &received, 1, MPI_DOUBLE, left, 7, part_.comm(),
                 MPI_STATUS_IGNORE);
    double f = 0;
    error.Run([&] {
      g = x.array() - 1;
      f = 0.5 * g.squaredNorm() + 0 * received;
    });
    error.Rethrow();
    return f;
  }

 private:
  const Partition& part_;
  int bad_;
  int bad_call_;
  int calls_ = 0;
};

TEST(FailureReportingTest, HaloObjectiveThatFailsBeforeItsExchangeDoesNotHang) {
  // A hang fails the test (SIGALRM) instead of blocking the suite.
  alarm(30);
  const Partition part = Partition::Uniform(MPI_COMM_WORLD, 20);
  for (int bad_call : {1, 3}) {
    const int bad = part.size() > 1 ? 1 : 0;
    RingHalo obj(part, bad, bad_call);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(part.local_size());
    const LbfgsResult r = dlbfgs::Minimize(obj, part, x, LbfgsOptions());
    EXPECT_EQ(r.reason, TerminationReason::kObjectiveError) << r.message;
    EXPECT_EQ(r.evaluations, bad_call);
    EXPECT_EQ(r.message, "rank " + std::to_string(bad) + ": the objective threw: bad mesh cell");
    EXPECT_TRUE(IdenticalOnAllRanks(static_cast<double>(r.message.size())));
  }
  alarm(0);
}

TEST(FailureReportingTest, DeferredErrorSkipsLaterPartsAndRethrowsOnce) {
  dlbfgs::DeferredError error;
  int ran = 0;
  error.Run([&] { ++ran; });
  error.Run([&] { throw std::logic_error("first"); });
  error.Run([&] { ++ran; });  // skipped: it would run on the results of a failed part
  EXPECT_EQ(ran, 1);
  EXPECT_TRUE(error.failed());
  try {
    error.Rethrow();
    ADD_FAILURE() << "nothing rethrown";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "first");
  }
  EXPECT_FALSE(error.failed());
  EXPECT_NO_THROW(error.Rethrow());
}

}  // namespace
