// The dlbfgs program: `dlbfgs problems` lists the built-in problems, `dlbfgs solve` minimises one
// of them on all ranks of MPI_COMM_WORLD; `gen-data`, `train` and `predict` make, fit and apply
// logistic-regression models on LIBSVM files. Thin: argument parsing here, the work in solve.cpp,
// gen_data.cpp and train.cpp, the output in report.cpp, all through the public API.

#include <mpi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "logreg.hpp"
#include "report.hpp"
#include "solve.hpp"

namespace {

// Edit distance of two option names, for "did you mean" suggestions.
std::size_t Distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// "unknown option '--histroy' (did you mean --history?)" for the first argument that looks like
// an option `sub` does not have; "" when there is none.
std::string UnknownOption(const CLI::App& sub, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0) continue;
    word = word.substr(0, word.find('='));
    if (sub.get_option_no_throw(word) != nullptr) continue;
    std::string best;
    std::size_t best_distance = 3;  // suggest only close names
    for (const CLI::Option* option : sub.get_options()) {
      for (const std::string& name : option->get_lnames()) {
        const std::size_t d = Distance(word, "--" + name);
        if (d < best_distance) {
          best_distance = d;
          best = "--" + name;
        }
      }
    }
    return "unknown option '" + word + "'" + (best.empty() ? "" : " (did you mean " + best + "?)");
  }
  return "";
}

// CLI11's messages in the program's words.
std::string Rewrite(const CLI::ParseError& e, const CLI::App& sub, int argc, char** argv) {
  const std::string what = e.what();
  if (what.rfind("The following argument", 0) == 0) {  // CLI::ExtrasError
    const std::string option = UnknownOption(sub, argc, argv);
    if (!option.empty()) return option;
    return "unexpected argument(s): " + what.substr(what.find(": ") + 2) +
           " (options take the form --name VALUE)";
  }
  if (what == "A subcommand is required") {
    return std::string(argc > 1 ? "unknown subcommand '" + std::string(argv[1]) + "'"
                                : "no subcommand") +
           ": expected problems, solve, gen-data, train or predict (dlbfgs --help)";
  }
  const std::string at_most = "At Most 1 required but received ";
  if (const std::size_t at = what.find(at_most); at != std::string::npos) {
    return what.substr(0, at) + "given " + what.substr(at + at_most.size()) +
           " times; give it once";
  }
  return what;
}

int Run(int argc, char** argv) {
  CLI::App app{"dlbfgs: distributed-memory L-BFGS (run under mpirun/srun for several ranks)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("dlbfgs ") + dlbfgs::kVersion);
  CLI::App* problems = app.add_subcommand("problems", "list the built-in problems");
  bool problems_json = false;
  problems->add_flag("--json", problems_json, "one JSON array instead of a table");
  CLI::App* solve = app.add_subcommand("solve", "minimise a built-in problem");
  dlbfgs::cli::SolveArgs args;
  dlbfgs::cli::AddSolveFlags(*solve, args);
  CLI::App* gen_data =
      app.add_subcommand("gen-data", "write a sparse LIBSVM file from a planted model");
  dlbfgs::cli::GenDataArgs gen_args;
  dlbfgs::cli::AddGenDataFlags(*gen_data, gen_args);
  CLI::App* train = app.add_subcommand("train", "fit logistic regression to a LIBSVM file");
  dlbfgs::cli::TrainArgs train_args;
  dlbfgs::cli::AddTrainFlags(*train, train_args);
  CLI::App* predict =
      app.add_subcommand("predict", "accuracy, log loss and AUC of a model on a LIBSVM file");
  dlbfgs::cli::PredictArgs predict_args;
  dlbfgs::cli::AddPredictFlags(*predict, predict_args);

  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    if (rank == 0) std::printf("%s", app.help().c_str());
    return 0;
  } catch (const CLI::CallForVersion&) {
    if (rank == 0) std::printf("dlbfgs %s\n", dlbfgs::kVersion);
    return 0;
  } catch (const CLI::ParseError& e) {
    // Every rank parsed the same arguments and reached the same error: no communication needed.
    if (e.get_exit_code() == 0) return 0;
    const CLI::App* where = solve;
    for (const CLI::App* sub : {problems, gen_data, train, predict}) {
      if (sub->parsed()) where = sub;
    }
    dlbfgs::cli::PrintError(Rewrite(e, *where, argc, argv));
    return dlbfgs::cli::kBadInput;
  }
  if (problems->parsed()) {
    dlbfgs::cli::PrintProblems(problems_json);
    return 0;
  }
  if (gen_data->parsed()) return dlbfgs::cli::RunGenData(gen_args);
  if (train->parsed()) {
    train_args.l2_given = train->count("--l2") > 0;
    return dlbfgs::cli::RunTrain(train_args);
  }
  if (predict->parsed()) return dlbfgs::cli::RunPredict(predict_args);
  args.condition_given = solve->count("--condition") > 0;
  return dlbfgs::cli::RunSolve(args);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int status = Run(argc, argv);
  MPI_Finalize();
  return status;
}
