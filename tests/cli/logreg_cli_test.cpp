// `dlbfgs gen-data`, `train` and `predict` as a user runs them (directly and under mpiexec): the
// JSON fields, reproducible data, the model file round trip through predict, both layouts at
// 1-4 ranks, one-line errors for bad data and arguments, and heart_scale (liblinear-tools'
// example) trained to scikit-learn's optimum, with scripts/compare_logreg.py side by side.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.hpp"

namespace {

using namespace dlbfgs_cli_test;  // NOLINT: the shared helpers of the CLI tests

const std::string kHeartScale = "/usr/share/doc/liblinear-tools/examples/heart_scale";
const std::string kPython = "/usr/bin/python3";
const std::string kCompare = std::string(DLBFGS_SOURCE_DIR) + "/scripts/compare_logreg.py";

// A planted data set in a temporary file, removed with the object.
class DataFile {
 public:
  DataFile(const std::string& name, const std::string& options) : path_(TempPath(name)) {
    const Output o = RunCli("gen-data --quiet --out " + path_ + " " + options);
    EXPECT_EQ(o.status, 0) << o.err;
  }
  ~DataFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// "" when /usr/bin/python3 has scikit-learn and heart_scale exists, else why not.
std::string WhyNoScikitLearn() {
  if (!std::filesystem::exists(kHeartScale)) return kHeartScale + " is missing (liblinear-tools)";
  if (std::system((kPython + " -c 'import sklearn, scipy, numpy' 2>/dev/null").c_str()) != 0) {
    return kPython + " lacks scikit-learn (python3-sklearn python3-scipy python3-numpy)";
  }
  return "";
}

// Runs a Python program with /usr/bin/python3 and returns its standard output.
std::string Python(const std::string& program) {
  const std::string script = TempPath("program.py"), out = TempPath("program.out");
  std::ofstream(script) << program;
  const int status = std::system((kPython + " " + script + " > " + out).c_str());
  EXPECT_EQ(status, 0) << program;
  const std::string text = ReadFile(out);
  std::filesystem::remove(script);
  std::filesystem::remove(out);
  return text;
}

TEST(LogregCliTest, GenDataIsTheSameFileAtAnyRankCount) {
  const std::string options = "--rows 3000 --features 500 --nnz-per-row 12 --classes 5 --seed 9";
  const DataFile one("one.svm", options);
  const std::string a = TempPath("three.svm");
  const Output o = RunCli("gen-data --json --out " + a + " " + options, 3);
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(ReadFile(a), ReadFile(one.path()));
  const nlohmann::json j = LastJson(o);
  EXPECT_EQ(j["rows"], 3000);
  EXPECT_EQ(j["nnz"], 3000 * 12);
  EXPECT_EQ(j["bytes"].get<long long>(), static_cast<long long>(ReadFile(a).size()));
  const DataFile other("other.svm", "--rows 3000 --features 500 --nnz-per-row 12 --classes 5");
  EXPECT_NE(ReadFile(other.path()), ReadFile(one.path()));
  std::filesystem::remove(a);
}

TEST(LogregCliTest, TrainPrintsTheResultAndItsJsonFields) {
  const DataFile train("train.svm", "--rows 2000 --features 50 --nnz-per-row 6");
  const DataFile test("test.svm", "--rows 1000 --features 50 --nnz-per-row 6 --first-row 100000");
  const Output o = RunCli("train --data " + train.path() + " --test " + test.path() + " --json", 2);
  ASSERT_EQ(o.status, 0) << o.err;
  for (const char* text : {"objective F = ", "train: accuracy", "test: accuracy", "AUC", "non-zero",
                           "time: read", "MB/s", "memory: peak"}) {
    EXPECT_NE(o.out.find(text), std::string::npos) << text << "\n" << o.out;
  }
  const nlohmann::json j = LastJson(o);
  ASSERT_TRUE(j.is_object()) << o.out;
  for (const char* key : {"objective",
                          "optimality",
                          "iterations",
                          "evaluations",
                          "train_accuracy",
                          "test_accuracy",
                          "log_loss",
                          "nonzeros",
                          "classes",
                          "rows",
                          "features",
                          "nnz",
                          "layout",
                          "seconds",
                          "read_seconds",
                          "read_mb_per_s",
                          "peak_memory_mb",
                          "allreduce_calls",
                          "read_mb_per_s_per_rank",
                          "peak_memory_mb_per_rank",
                          "objective_allreduce_calls",
                          "objective_allgatherv_calls",
                          "objective_reduce_scatter_calls",
                          "auc",
                          "test_auc",
                          "converged",
                          "reason",
                          "l2",
                          "layout_reason"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["converged"], true);
  EXPECT_EQ(j["rows"], 2000);
  EXPECT_EQ(j["test_rows"], 1000);
  EXPECT_EQ(j["classes"], 2);
  EXPECT_EQ(j["features"], 50);
  EXPECT_EQ(j["nnz"], 12000);
  EXPECT_EQ(j["layout"], "samples");                    // auto: N*K = 2000 >= 51 parameters
  EXPECT_DOUBLE_EQ(j["l2"].get<double>(), 1.0 / 2000);  // the default, C = 1
  EXPECT_LE(j["optimality"].get<double>(), 1e-5);
  EXPECT_EQ(j["read_mb_per_s_per_rank"].size(), 2u);
  EXPECT_EQ(j["peak_memory_mb_per_rank"].size(), 2u);
  EXPECT_GT(j["peak_memory_mb"].get<double>(), 1);
  EXPECT_GT(j["test_accuracy"].get<double>(), 0.8);
  // Samples layout: one allgatherv and one reduce-scatter per evaluation, no allreduce.
  EXPECT_EQ(j["objective_allgatherv_calls"], j["evaluations"]);
  EXPECT_EQ(j["objective_reduce_scatter_calls"], j["evaluations"]);
  EXPECT_EQ(j["objective_allreduce_calls"], 0);
  EXPECT_EQ(j["allreduce_calls"].get<long long>(), j["evaluations"].get<long long>() + 1);
}

// The model file holds everything predict needs: on the training file it reproduces the
// training accuracy exactly, at another rank count and in the other layout.
TEST(LogregCliTest, PredictOnTheTrainingFileReproducesTheTrainingAccuracy) {
  for (const char* classes : {"2", "4"}) {
    const DataFile data("data.svm", std::string("--rows 1500 --features 40 --nnz-per-row 5 "
                                                "--classes ") +
                                        classes);
    const std::string model = TempPath("model.txt");
    const Output t = RunCli(
        "train --quiet --json --layout samples --data " + data.path() + " --model-out " + model, 2);
    ASSERT_EQ(t.status, 0) << t.err;
    const Output p =
        RunCli("predict --json --layout features --model " + model + " --data " + data.path(), 3);
    ASSERT_EQ(p.status, 0) << p.err;
    const nlohmann::json trained = LastJson(t), predicted = LastJson(p);
    EXPECT_EQ(predicted["accuracy"], trained["train_accuracy"]) << classes;
    EXPECT_NEAR(predicted["log_loss"].get<double>(), trained["log_loss"].get<double>(), 1e-13);
    EXPECT_EQ(predicted["rows"], 1500);
    EXPECT_EQ(predicted["layout"], "features");
    if (std::string(classes) == "2") {
      EXPECT_NEAR(predicted["auc"].get<double>(), trained["auc"].get<double>(), 1e-15);
      EXPECT_NE(p.out.find("AUC"), std::string::npos);
    } else {
      EXPECT_TRUE(predicted["auc"].is_null());
    }
    std::filesystem::remove(model);
  }
}

// --l1: OWL-QN; fewer non-zero weights than with L2 alone, the same optimum in both layouts, the
// intercept kept, lambda1 in the JSON and in the model file, which predict reads back.
TEST(LogregCliTest, L1GivesASparseModelInBothLayouts) {
  const DataFile data("l1.svm", "--rows 1000 --features 200 --nnz-per-row 8 --classes 2");
  const Output l2 = RunCli("train --quiet --json --data " + data.path(), 2);
  ASSERT_EQ(l2.status, 0) << l2.err;
  const long long dense = LastJson(l2)["nonzeros"].get<long long>();
  const std::string model = TempPath("l1-model.txt");
  double f0 = 0;
  for (const char* layout : {"features", "samples"}) {
    const Output o = RunCli("train --quiet --json --l1 0.002 --layout " + std::string(layout) +
                                " --data " + data.path() + " --model-out " + model,
                            2);
    ASSERT_EQ(o.status, 0) << o.err;
    const nlohmann::json j = LastJson(o);
    EXPECT_EQ(j["l1"], 0.002);
    EXPECT_EQ(j["line_search"], "backtracking");
    EXPECT_EQ(j["reason"], "gradient_tolerance");
    EXPECT_LT(j["nonzeros"].get<long long>(), dense * 3 / 4) << layout;
    EXPECT_GT(j["nonzeros"].get<long long>(), 0) << layout;
    if (f0 == 0) f0 = j["objective"].get<double>();
    EXPECT_NEAR(j["objective"].get<double>(), f0, 1e-8 * f0) << layout;
    EXPECT_NE(ReadFile(model).find("\nl1 0.002"), std::string::npos) << ReadFile(model);
    const Output p = RunCli("predict --json --model " + model + " --data " + data.path(), 2);
    ASSERT_EQ(p.status, 0) << p.err;
    EXPECT_EQ(LastJson(p)["accuracy"], j["train_accuracy"]) << layout;
  }
  std::filesystem::remove(model);
}

TEST(LogregCliTest, BothLayoutsAtOneToFourRanksGiveTheSameOptimum) {
  const DataFile data("layouts.svm", "--rows 1200 --features 300 --nnz-per-row 10 --classes 3");
  double f0 = 0;
  int iterations0 = -1;
  for (int ranks = 1; ranks <= 4; ++ranks) {
    for (const char* layout : {"features", "samples"}) {
      const Output o = RunCli("train --quiet --json --grad-tol 1e-7 --layout " +
                                  std::string(layout) + " --data " + data.path(),
                              ranks);
      ASSERT_EQ(o.status, 0) << o.err;
      const nlohmann::json j = LastJson(o);
      EXPECT_EQ(j["layout"], layout);
      if (iterations0 < 0) {
        f0 = j["objective"].get<double>();
        iterations0 = j["iterations"].get<int>();
      }
      EXPECT_NEAR(j["objective"].get<double>(), f0, 1e-12 * f0) << ranks << " " << layout;
      EXPECT_LE(std::abs(j["iterations"].get<int>() - iterations0), 2) << ranks << " " << layout;
    }
  }
}

TEST(LogregCliTest, MalformedDataIsOneLineNamingTheLineAtAnyRankCount) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += (i % 2 ? "+1" : "-1") + std::string(" 1:0.5 3:1\n");
  text += "+1 3:1 2:1\n";
  for (int i = 0; i < 50; ++i) text += "-1 2:1\n";
  const std::string path = TempPath("malformed.svm");
  std::ofstream(path) << text;
  for (int ranks : {0, 2, 3}) {
    ExpectOneLineExitTwo(RunCli("train --data " + path, ranks),
                         path +
                             ":51: feature indices must increase strictly within a line: 2 "
                             "after 3");
  }
  std::filesystem::remove(path);
}

TEST(LogregCliTest, BadArgumentsAndFilesAreOneLineExitTwo) {
  const DataFile data("args.svm", "--rows 100 --features 10 --nnz-per-row 3");
  const std::string model = TempPath("args-model.txt");
  ASSERT_EQ(RunCli("train --quiet --data " + data.path() + " --model-out " + model).status, 0);
  const std::string missing = TempPath("missing.svm");
  const struct {
    std::string args;
    std::string needle;
  } cases[] = {
      {"train", "--data is required"},
      {"train --data " + missing, missing + ": cannot open: No such file or directory"},
      {"train --data " + data.path() + " --layout diagonal", "--layout"},
      {"train --data " + data.path() + " --l2 -1", "must be >= 0"},
      {"train --data " + data.path() + " --features 5", ": feature index"},
      {"train --data " + data.path() + " --histroy 3", "did you mean --history"},
      {"predict --data " + data.path(), "--model is required"},
      {"predict --model " + missing + " --data " + data.path(), "cannot open model"},
      {"predict --model " + data.path() + " --data " + data.path(), "not a dlbfgs model file"},
      {"gen-data --out " + missing + " --features 5 --nnz-per-row 6", "exceeds --features"},
      {"gen-data --out /nonexistent-dir/x.svm", "cannot write"},
  };
  std::vector<std::string> commands;
  for (const auto& c : cases) commands.push_back(c.args);
  const std::vector<Output> outputs = RunEachDirectlyAndOnTwoRanks(commands);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    SCOPED_TRACE(cases[i / 2].args + " at " + std::to_string(i % 2 == 0 ? 0 : 2) + " ranks");
    ExpectOneLineExitTwo(outputs[i], cases[i / 2].needle);
  }
  // A test file with a label the training data does not have names its line.
  const std::string test = TempPath("args-test.svm");
  std::ofstream(test) << "1 1:1\n-1 2:1\n3 1:1\n";
  ExpectOneLineExitTwo(RunCli("train --data " + data.path() + " --test " + test, 2),
                       test + ":3: label 3 is not one of the model's labels (-1 1)");
  std::filesystem::remove(test);
  std::filesystem::remove(model);
}

// heart_scale (270 rows, 13 features, shipped by Debian's liblinear-tools) reaches the optimum
// that scikit-learn computes for C = 1/(N lambda2): F to 1e-8 relative (scikit-learn's own
// stopping rule, a relative decrease of 2.2e-9, bounds its accuracy), never above it, and the same
// weights.
TEST(LogregCliTest, HeartScaleReachesScikitLearnsOptimum) {
  if (const std::string why = WhyNoScikitLearn(); !why.empty()) {
    GTEST_SKIP() << "skipped: " << why << " (./scripts/setup.sh installs them)";
  }
  for (double l2 : {1.0 / 270, 0.05}) {
    const std::string model = TempPath("heart.txt");
    char l2_text[32];
    std::snprintf(l2_text, sizeof l2_text, "%.17g", l2);
    const Output o = RunCli(std::string("train --quiet --json --grad-tol 1e-8 --l2 ") + l2_text +
                                " --data " + kHeartScale + " --model-out " + model,
                            2);
    ASSERT_EQ(o.status, 0) << o.err;
    const nlohmann::json j = LastJson(o);
    const std::string reference = Python(
        "import numpy as np\n"
        "from sklearn.datasets import load_svmlight_file\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X, y = load_svmlight_file('" +
        kHeartScale +
        "')\n"
        "N = X.shape[0]\n"
        "l2 = " +
        l2_text +
        "\n"
        "m = LogisticRegression(C=1 / (N * l2), tol=1e-12, max_iter=100000).fit(X, y)\n"
        "z = X @ m.coef_.ravel() + m.intercept_[0]\n"
        "s = np.where(y > 0, 1.0, -1.0)\n"
        "F = np.mean(np.logaddexp(0, -s * z)) + 0.5 * l2 * np.sum(m.coef_ ** 2)\n"
        "print(repr(F), repr(m.score(X, y)), repr(m.intercept_[0]))\n"
        "print(' '.join(repr(v) for v in m.coef_.ravel()))\n");
    std::istringstream in(reference);
    double f = 0, accuracy = 0, intercept = 0;
    in >> f >> accuracy >> intercept;
    std::vector<double> w(13);
    for (double& v : w) in >> v;
    ASSERT_TRUE(in) << reference;
    const double ours = j["objective"].get<double>();
    EXPECT_LE(ours, f * (1 + 1e-12)) << "l2 = " << l2;
    EXPECT_LE(std::abs(ours - f), 1e-8 * f) << "l2 = " << l2;
    EXPECT_EQ(j["train_accuracy"].get<double>(), accuracy);
    // The weights, from the model file (feature j, then the intercept).
    std::ifstream file(model);
    std::string line;
    while (std::getline(file, line) && line != "weights") {
    }
    for (int k = 0; k < 13; ++k) {
      int index = 0;
      double v = 0;
      file >> index >> v;
      EXPECT_EQ(index, k + 1);
      EXPECT_NEAR(v, w[k], 1e-3) << "weight " << k + 1 << ", l2 = " << l2;
    }
    std::string word;
    double b = 0;
    file >> word >> b;
    EXPECT_EQ(word, "intercepts");
    EXPECT_NEAR(b, intercept, 1e-3);
    std::filesystem::remove(model);
  }
}

// Softmax against scikit-learn's multinomial logistic regression on a planted 4-class set.
TEST(LogregCliTest, SoftmaxReachesScikitLearnsMultinomialOptimum) {
  if (const std::string why = WhyNoScikitLearn(); !why.empty()) {
    GTEST_SKIP() << "skipped: " << why << " (./scripts/setup.sh installs them)";
  }
  const DataFile data("softmax.svm", "--rows 800 --features 30 --nnz-per-row 6 --classes 4");
  const Output o = RunCli("train --quiet --json --grad-tol 1e-8 --data " + data.path(), 3);
  ASSERT_EQ(o.status, 0) << o.err;
  const double ours = LastJson(o)["objective"].get<double>();
  const std::string out = Python(
      "import numpy as np\n"
      "from scipy.special import logsumexp\n"
      "from sklearn.datasets import load_svmlight_file\n"
      "from sklearn.linear_model import LogisticRegression\n"
      "X, y = load_svmlight_file('" +
      data.path() +
      "')\n"
      "N = X.shape[0]\n"
      "m = LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(X, y)\n"
      "Z = X @ m.coef_.T + m.intercept_\n"
      "c = np.searchsorted(m.classes_, y)\n"
      "F = np.mean(logsumexp(Z, axis=1) - Z[np.arange(N), c]) + 0.5 / N * np.sum(m.coef_ ** 2)\n"
      "print(repr(F))\n");
  const double f = std::stod(out);
  EXPECT_LE(ours, f * (1 + 1e-12));
  EXPECT_LE(std::abs(ours - f), 1e-8 * f);
}

TEST(LogregCliTest, CompareScriptPutsTheThreeToolsSideBySide) {
  if (const std::string why = WhyNoScikitLearn(); !why.empty()) {
    GTEST_SKIP() << "skipped: " << why << " (./scripts/setup.sh installs them)";
  }
  const std::string out = TempPath("compare.out");
  const int status =
      std::system(("DLBFGS_EXE=" + kExe + " DLBFGS_MPIEXEC=" + kMpiexec + " " + kPython + " " +
                   kCompare + " " + kHeartScale + " --grad-tol 1e-8 --json > " + out)
                      .c_str());
  const std::string text = ReadFile(out);
  std::filesystem::remove(out);
  ASSERT_EQ(status, 0) << text;
  for (const char* tool : {"dlbfgs (2 ranks", "scikit-learn lbfgs", "liblinear -s 0"}) {
    EXPECT_NE(text.find(tool), std::string::npos) << tool << "\n" << text;
  }
  const auto lines = Lines(text);
  const nlohmann::json j = nlohmann::json::parse(lines.back());
  ASSERT_EQ(j["tools"].size(), 3u) << text;
  const double dlbfgs = j["tools"][0]["F"].get<double>();
  const double sklearn = j["tools"][1]["F"].get<double>();
  const double liblinear = j["tools"][2]["F"].get<double>();
  EXPECT_LE(std::abs(dlbfgs - sklearn), 1e-8 * sklearn);
  // dlbfgs's F recomputed from its model file equals the F it reported.
  EXPECT_NEAR(dlbfgs, j["tools"][0]["F_reported"].get<double>(), 1e-14);
  // liblinear penalises its bias: its weights are another problem's optimum, F is higher.
  EXPECT_GT(liblinear, dlbfgs);
  EXPECT_LT(liblinear, dlbfgs * 1.01);
}

TEST(LogregCliTest, CompareScriptComparesL1ModelsWithTheMappedC) {
  if (const std::string why = WhyNoScikitLearn(); !why.empty()) {
    GTEST_SKIP() << "skipped: " << why << " (./scripts/setup.sh installs them)";
  }
  const std::string out = TempPath("compare-l1.out");
  const int status =
      std::system(("DLBFGS_EXE=" + kExe + " DLBFGS_MPIEXEC=" + kMpiexec + " " + kPython + " " +
                   kCompare + " " + kHeartScale + " --l1 0.01 --grad-tol 1e-8 --json > " + out)
                      .c_str());
  const std::string text = ReadFile(out);
  std::filesystem::remove(out);
  ASSERT_EQ(status, 0) << text;
  for (const char* tool : {"dlbfgs (2 ranks", "scikit-learn saga (l1)", "liblinear -s 6"}) {
    EXPECT_NE(text.find(tool), std::string::npos) << tool << "\n" << text;
  }
  const nlohmann::json j = nlohmann::json::parse(Lines(text).back());
  ASSERT_EQ(j["tools"].size(), 3u) << text;
  EXPECT_EQ(j["l2"].get<double>(), 0.0);
  EXPECT_NEAR(j["C"].get<double>(), 1 / (270 * 0.01), 1e-12);  // C = 1/(N lambda1)
  const double dlbfgs = j["tools"][0]["F"].get<double>();
  const double saga = j["tools"][1]["F"].get<double>();
  const double liblinear = j["tools"][2]["F"].get<double>();
  // saga leaves the intercept unpenalised: the same problem, the same optimum (1e-15 here).
  EXPECT_LE(std::abs(dlbfgs - saga), 1e-8 * saga);
  EXPECT_NEAR(dlbfgs, j["tools"][0]["F_reported"].get<double>(), 1e-14);
  // liblinear -s 6 penalises its bias by the L1 term too: F is higher.
  EXPECT_GT(liblinear, dlbfgs);
  EXPECT_LT(liblinear, dlbfgs * 1.02);
}

}  // namespace
