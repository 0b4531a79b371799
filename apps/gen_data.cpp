// `dlbfgs gen-data`: a reproducible sparse LIBSVM file from a planted model.

#include <mpi.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "logreg.hpp"
#include "report.hpp"
#include "solve.hpp"

namespace dlbfgs::cli {

void AddGenDataFlags(CLI::App& sub, GenDataArgs& a) {
  PlantedDataOptions& o = a.options;
  sub.add_option("--out", a.out, "LIBSVM file to write")->required()->type_name("FILE");
  sub.add_option("--rows", o.rows, "rows N (1e6 is accepted)")
      ->type_name("N")
      ->transform(WholeNumber(1, 9e15))
      ->capture_default_str();
  sub.add_option("--first-row", o.first_row,
                 "first row of the seed's sequence (a test set: the same seed, another first row)")
      ->type_name("R")
      ->transform(WholeNumber(0, 9e15))
      ->capture_default_str();
  sub.add_option("--features", o.features, "features d")
      ->type_name("D")
      ->transform(WholeNumber(1, 2147483646))
      ->capture_default_str();
  sub.add_option("--nnz-per-row", o.nnz_per_row, "distinct features per row, <= d")
      ->type_name("K")
      ->transform(WholeNumber(1, 2147483646))
      ->capture_default_str();
  sub.add_option("--classes", o.classes, "2: labels -1/+1; more: labels 1..K")
      ->type_name("K")
      ->transform(WholeNumber(2, 1000))
      ->capture_default_str();
  sub.add_option("--seed", o.seed, "the same seed gives the same file")
      ->type_name("S")
      ->transform(WholeNumber(0, 9e15))
      ->capture_default_str();
  sub.add_option("--noise", o.noise, "probability that a label is replaced by another, [0, 1)")
      ->type_name("Q")
      ->check(AtLeast(0, false))
      ->capture_default_str();
  sub.add_flag("--json", a.json, "last line of output: a JSON object");
  sub.add_flag("--quiet", a.quiet, "no summary line");
}

int RunGenData(GenDataArgs& a) {
  const double start = MPI_Wtime();
  if (a.options.nnz_per_row > a.options.features) {
    PrintError("--nnz-per-row " + std::to_string(a.options.nnz_per_row) + " exceeds --features " +
               std::to_string(a.options.features));
    return kBadInput;
  }
  if (!(a.options.noise < 1)) {
    PrintError("--noise must be < 1, got " + std::to_string(a.options.noise));
    return kBadInput;
  }
  try {
    WritePlantedLibsvm(MPI_COMM_WORLD, a.out, a.options);
  } catch (const std::exception& e) {  // DataError or std::invalid_argument, on every rank
    PrintError(e.what());
    return kBadInput;
  }
  const double seconds = MaxOverRanks(MPI_Wtime() - start);
  if (WorldRank() == 0) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(a.out, ec);
    const long long nnz = a.options.rows * a.options.nnz_per_row;
    if (!a.quiet) {
      std::printf(
          "wrote %s: %lld rows, %lld features, %lld non-zeros, %d classes, %.1f MB in "
          "%.2f s\n",
          a.out.c_str(), a.options.rows, a.options.features, nnz, a.options.classes,
          ec ? 0.0 : 1e-6 * static_cast<double>(bytes), seconds);
    }
    if (a.json) {
      const nlohmann::json out = {{"command", "gen-data"},
                                  {"out", a.out},
                                  {"rows", a.options.rows},
                                  {"features", a.options.features},
                                  {"nnz", nnz},
                                  {"classes", a.options.classes},
                                  {"seed", a.options.seed},
                                  {"first_row", a.options.first_row},
                                  {"noise", a.options.noise},
                                  {"bytes", ec ? 0 : static_cast<long long>(bytes)},
                                  {"seconds", Number(seconds)}};
      std::printf("%s\n", out.dump().c_str());
    }
    std::fflush(stdout);
  }
  return kConverged;
}

}  // namespace dlbfgs::cli
