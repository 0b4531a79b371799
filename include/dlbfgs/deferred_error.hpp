#pragma once

#include <exception>
#include <utility>

namespace dlbfgs {

/// Holds back an exception until an objective's communication is done.
///
/// An objective that communicates (halo exchanges, collectives of its own) must not throw
/// before or between its exchanges: the ranks it talks to would wait for it forever. Run each
/// local part of the work through Run(), always perform the exchanges, and call Rethrow() at the
/// end; the solver then agrees on the failure and ends the run on every rank
/// (TerminationReason::kObjectiveError). Once an exception is held, later Run() calls do nothing,
/// so no part runs on the results of a failed one (the exchanges still run, on whatever the
/// buffers hold).
///
/// ```cpp
/// double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x,
///                      Eigen::Ref<Eigen::VectorXd> g) override {
///   dlbfgs::DeferredError error;
///   error.Run([&] { FillSendBuffer(x); });    // may throw
///   ExchangeHalo();                           // always reached, on every rank
///   double f = 0;
///   error.Run([&] { f = Compute(x, g); });    // skipped if the first part threw
///   error.Rethrow();                          // only now
///   return f;
/// }
/// ```
/// Local. No allocation unless an exception is held.
class DeferredError {
 public:
  /// Calls f() unless an exception is already held; an exception that f() throws is held
  /// instead of propagating.
  template <typename F>
  void Run(F&& f) noexcept {
    if (error_) return;
    try {
      std::forward<F>(f)();
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  /// True when an exception is held.
  bool failed() const noexcept { return static_cast<bool>(error_); }

  /// Rethrows the held exception, if any, and forgets it.
  void Rethrow() {
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  std::exception_ptr error_;
};

}  // namespace dlbfgs
