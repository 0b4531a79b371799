// GoogleTest main for the MPI tests: every rank runs every test; rank 0 prints GoogleTest's usual
// report, the other ranks print only their failures, prefixed "[rank r]". The exit code is the
// largest over the ranks, so a failure on any rank fails rank 0's exit status (what mpiexec and
// ctest see). Idea after ginkgo's core/test/mpi/gtest/mpi_listener.cpp.

#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <sstream>
#include <string>

namespace {

// Prints failed assertions and failed tests of one non-root rank, each report written in one
// call so that the lines of different ranks do not interleave.
class FailuresOnlyPrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailuresOnlyPrinter(int rank) : prefix_("[rank " + std::to_string(rank) + "] ") {}

  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::ostringstream out;
    out << prefix_ << (result.file_name() ? result.file_name() : "unknown file") << ":"
        << result.line_number() << ": Failure\n";
    std::istringstream message(result.message());
    for (std::string line; std::getline(message, line);) out << prefix_ << line << "\n";
    Emit(out.str());
  }

  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (!info.result()->Failed()) return;
    Emit(prefix_ + "[  FAILED  ] " + info.test_suite_name() + "." + info.name() + "\n");
  }

 private:
  static void Emit(const std::string& text) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }

  std::string prefix_;
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);

  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    // Only rank 0 writes the XML/JSON report (every rank would write the same file).
    ::testing::GTEST_FLAG(output) = "";
    listeners.Append(new FailuresOnlyPrinter(rank));
  }

  const int local_status = RUN_ALL_TESTS();
  int status = local_status;
  MPI_Allreduce(&local_status, &status, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return status;
}
