#include "dlbfgs/interrupt.hpp"

#include <csignal>

namespace dlbfgs {
namespace {

volatile std::sig_atomic_t stop_requested = 0;
volatile std::sig_atomic_t stop_signal = 0;  // the signal behind the request; 0: RequestStop()

extern "C" void HandleStopSignal(int signal) {
  stop_signal = signal;
  stop_requested = 1;
}

}  // namespace

void RequestStop() noexcept {
  stop_signal = 0;
  stop_requested = 1;
}

bool StopRequested() noexcept { return stop_requested != 0; }

int StopSignal() noexcept { return stop_requested != 0 ? static_cast<int>(stop_signal) : 0; }

void ClearStopRequest() noexcept {
  stop_requested = 0;
  stop_signal = 0;
}

void InstallStopSignalHandlers() {
  struct sigaction action = {};
  action.sa_handler = HandleStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

}  // namespace dlbfgs
