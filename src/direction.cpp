#include "direction.hpp"

#include <algorithm>
#include <cmath>

#include "payload.hpp"
#include "two_loop.hpp"

namespace dlbfgs::internal {
namespace {

// The candidate pair's reduced products, from the header.
PairProducts Pair(const double* header) {
  return {header[kPairSY], header[kPairYY], header[kPairSS], header[kPairSG], header[kPairYG]};
}

bool PassesCurvature(const PairProducts& p, double eps) { return p.sy > eps * p.yy && p.yy > 0; }

void WriteOwnSums(const TrialPartials& t, double* header) {
  header[kSlope] = t.gtd;
  header[kGradSq] = t.gg;
  header[kPairSY] = t.sy;
  header[kPairYY] = t.yy;
  header[kPairSS] = t.ss;
  header[kPairSG] = t.sg;
  header[kPairYG] = t.yg;
}

// Vector-free: every inner product of the two-loop comes from the replicated Gram matrix, whose
// new entries ride in each trial's payload (6 per stored pair); no reduction of its own.
class FusedDirection final : public Direction {
 public:
  FusedDirection(const LbfgsOptions& options, Eigen::Index n_local)
      : Direction(n_local, options.history_size, options.history_precision),
        coefficients_(options.history_size),
        check_tol_(options.gram_check_tol) {}

  int PayloadCapacity() const override {
    const int slots = history_.slots();
    return kCrossPerPair * slots + RefreshSize(slots);
  }

  double Compute(const Eigen::VectorXd& v, double vv, Eigen::VectorXd& d, bool& reset) override {
    reset = false;
    FusedTwoLoop(history_, vv, coefficients_);
    gtd_ = GramSlope(history_, vv, coefficients_);
    if (!(gtd_ < 0) || !std::isfinite(gtd_)) {
      // Not a descent direction (rounding in a badly conditioned history): restart along -v.
      Reset();
      reset = true;
      FusedTwoLoop(history_, vv, coefficients_);
      gtd_ = -vv;
    }
    scale_ = std::sqrt(vv * std::max(0.0, GramSquaredNorm(history_, vv, coefficients_)));
    gd_partial_ = FormDirection(history_, coefficients_, v, d);
    return gtd_;
  }

  int PayloadSize(const TrialRequest& request) const override {
    // A refresh sits after the products block: a trial without products then sends it as zeros.
    const int slots = history_.slots();
    if (!request.refresh) return request.products ? ProductsSize() : 0;
    return ProductsSize() + RefreshSize(slots);
  }

  void Trial(const TrialVectors& t, const TrialRequest& request, double* header,
             double* block) override {
    WriteOwnSums(TrialPass(history_, t, request.products ? block : nullptr), header);
    header[kCheckSlope] = request.first ? gd_partial_ : 0;
    if (request.refresh) GramPartials(history_, block + kCrossPerPair * history_.slots());
  }

  void ReadTrial(const TrialRequest& request, const double* header, const double* block) override {
    if (request.first && history_.count() > 0) {
      // The line search uses phi'(0) from the Gram matrix; the direct sum must agree with it to
      // rounding (see LbfgsOptions::gram_check_tol). Otherwise start the history afresh after
      // this step.
      check_failed_ = std::fabs(header[kCheckSlope] - gtd_) > check_tol_ * scale_ ||
                      !std::isfinite(header[kCheckSlope]);
    }
    if (request.refresh) history_.ApplyRefresh(block + kCrossPerPair * history_.slots());
  }

  bool Accept(const double* header, const double* block, double curvature_eps) override {
    if (check_failed_) {
      Reset();
      check_failed_ = false;
    }
    history_.ApplyGradientProducts(block);
    const PairProducts pair = Pair(header);
    if (!PassesCurvature(pair, curvature_eps)) return false;
    history_.AppendPair(pair, block);
    return true;
  }

  int ProductsSize() const override { return kCrossPerPair * history_.slots(); }
  // After a failed Gram check, Accept() clears the history before reading them.
  bool NeedsProducts() const override { return history_.count() > 0 && !check_failed_; }
  void Products(const Eigen::VectorXd& vt, double* block) override {
    CrossPass(history_, vt, block);
  }

  bool CheckFailed() const override { return check_failed_; }
  void Reset() override {
    history_.Clear();
    check_failed_ = false;
  }

 private:
  DirectionCoefficients coefficients_;
  double check_tol_;
  double gtd_ = 0;         // phi'(0) of the current search, from the Gram matrix
  double gd_partial_ = 0;  // this rank's direct v'd, checked in the first trial
  double scale_ = 0;       // ||v|| ||d|| from the Gram matrix, the scale of that check
  bool check_failed_ = false;
};

// Nocedal & Wright's Alg. 7.4 with one reduction per inner product: the reference.
class ClassicDirection final : public Direction {
 public:
  ClassicDirection(const LbfgsOptions& options, Eigen::Index n_local, Reducer& reducer)
      : Direction(n_local, options.history_size, options.history_precision),
        alpha_(Eigen::VectorXd::Zero(options.history_size)),
        reducer_(reducer) {}

  int PayloadCapacity() const override { return 0; }

  double Compute(const Eigen::VectorXd& v, double vv, Eigen::VectorXd& d, bool& reset) override {
    reset = false;
    double gtd = ClassicTwoLoop(history_, v, vv, d, alpha_, reducer_);
    if (!(gtd < 0)) {
      Reset();
      reset = true;
      d = -v;
      gtd = -vv;
    }
    return gtd;
  }

  int PayloadSize(const TrialRequest& request) const override {
    (void)request;
    return 0;
  }

  void Trial(const TrialVectors& t, const TrialRequest& request, double* header,
             double* block) override {
    (void)request;
    (void)block;
    WriteOwnSums(TrialPass(history_, t, nullptr), header);
  }

  void ReadTrial(const TrialRequest& request, const double* header, const double* block) override {
    (void)request;
    (void)header;
    (void)block;
  }

  bool Accept(const double* header, const double* block, double curvature_eps) override {
    (void)block;
    const PairProducts pair = Pair(header);
    if (!PassesCurvature(pair, curvature_eps)) return false;
    history_.AppendPair(pair, nullptr);
    return true;
  }

 private:
  Eigen::VectorXd alpha_;  // workspace of the first loop
  Reducer& reducer_;
};

}  // namespace

std::unique_ptr<Direction> MakeDirection(const LbfgsOptions& options, Eigen::Index n_local,
                                         Reducer& reducer) {
  if (options.two_loop == TwoLoopType::kClassic) {
    return std::make_unique<ClassicDirection>(options, n_local, reducer);
  }
  return std::make_unique<FusedDirection>(options, n_local);
}

}  // namespace dlbfgs::internal
