// The dlbfgs program: `dlbfgs problems` lists the built-in problems, `dlbfgs solve` minimises one
// of them on all ranks of MPI_COMM_WORLD. Thin: argument parsing here, the work in solve.cpp and
// the output in report.cpp, all through the public API.

#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "report.hpp"
#include "solve.hpp"

namespace {

int Run(int argc, char** argv) {
  CLI::App app{"dlbfgs: distributed-memory L-BFGS (run under mpirun/srun for several ranks)"};
  app.require_subcommand(1);
  CLI::App* problems = app.add_subcommand("problems", "list the built-in problems");
  bool problems_json = false;
  problems->add_flag("--json", problems_json, "one JSON array instead of a table");
  CLI::App* solve = app.add_subcommand("solve", "minimise a built-in problem");
  dlbfgs::cli::SolveArgs args;
  dlbfgs::cli::AddSolveFlags(*solve, args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) std::printf("%s", app.help().c_str());
    return 0;
  } catch (const CLI::ParseError& e) {
    // Every rank parsed the same arguments and reached the same error: no communication needed.
    if (e.get_exit_code() == 0) return 0;
    dlbfgs::cli::PrintError(e.what());
    return dlbfgs::cli::kBadInput;
  }
  if (problems->parsed()) {
    dlbfgs::cli::PrintProblems(problems_json);
    return 0;
  }
  return dlbfgs::cli::RunSolve(args);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int status = Run(argc, argv);
  MPI_Finalize();
  return status;
}
