#pragma once

namespace dlbfgs {

/// Asks every running Minimize() to stop at the next iteration boundary: the request travels in
/// the next evaluation's allreduce, so all ranks stop together even when only one was signalled;
/// a checkpoint is written first when LbfgsOptions::checkpoint_dir is set, and the run ends with
/// TerminationReason::kInterrupted. Async-signal-safe (it only sets a flag). Local.
void RequestStop() noexcept;

/// True after RequestStop() until ClearStopRequest(). Local.
bool StopRequested() noexcept;

/// The signal whose handler (InstallStopSignalHandlers) requested the pending stop, or 0 when
/// RequestStop() was called from code or no stop is pending. Local.
int StopSignal() noexcept;

/// Withdraws a pending stop request. Local.
void ClearStopRequest() noexcept;

/// Installs SIGTERM and SIGINT handlers that call RequestStop() (what batch schedulers send
/// before they kill a job). Opt-in: the library installs no handler by itself; the dlbfgs
/// program does. Local.
void InstallStopSignalHandlers();

}  // namespace dlbfgs
