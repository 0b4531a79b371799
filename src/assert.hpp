#pragma once

#include <mpi.h>

#include <cstdio>

/// Checks an internal invariant of the solver (never a property of user input: those are errors
/// reported through LbfgsResult or std::invalid_argument). On failure prints the rank, file and
/// line and aborts the whole job: a broken invariant on one rank would otherwise hang the others.
#define DLBFGS_ASSERT(condition, what)                                                           \
  do {                                                                                           \
    if (!(condition)) ::dlbfgs::internal::AssertionFailed(#condition, what, __FILE__, __LINE__); \
  } while (false)

namespace dlbfgs::internal {

[[noreturn]] inline void AssertionFailed(const char* condition, const char* what, const char* file,
                                         int line) {
  int rank = -1;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::fprintf(stderr, "dlbfgs: internal error on rank %d at %s:%d: %s (%s)\n", rank, file, line,
               what, condition);
  std::fflush(stderr);
  if (initialized) MPI_Abort(MPI_COMM_WORLD, 3);
  std::abort();
}

}  // namespace dlbfgs::internal
