// LogisticRegression at 1-4 ranks: the gradient against finite differences and F and the gradient
// against an independent dense implementation (both layouts, both losses, with and without the
// intercept); both layouts and a single rank reach the same optimum in the same iterations (±2)
// with ‖∇F‖ small by the reference; a planted model is recovered; model files round-trip
// bitwise; label and model-file errors are agreed on every rank.

#include "dlbfgs/logistic.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::DataError;
using dlbfgs::DataLayout;
using dlbfgs::LbfgsOptions;
using dlbfgs::LbfgsResult;
using dlbfgs::LibsvmData;
using dlbfgs::LogisticOptions;
using dlbfgs::LogisticRegression;
using dlbfgs::Partition;
using dlbfgs::PlantedDataOptions;
using dlbfgs::ReadLibsvm;
using dlbfgs::test_support::GatherToAll;
using dlbfgs::test_support::TempDir;
using dlbfgs::test_support::WorldRank;
using Eigen::Index;
using Eigen::VectorXd;

// A planted data set in DIR: N rows, d features, `classes` labels. Collective. Each call needs
// its own name: ranks may still be reading an earlier file when rank 0 starts the next.
std::string Planted(const TempDir& dir, const std::string& name, long long rows, long long d,
                    int nnz, int classes, long long first_row = 0, double noise = 0.1) {
  PlantedDataOptions o;
  o.rows = rows;
  o.features = d;
  o.nnz_per_row = nnz;
  o.classes = classes;
  o.seed = 5;
  o.noise = noise;
  o.first_row = first_row;
  const std::string path = dir.path() + "/" + name;
  dlbfgs::WritePlantedLibsvm(MPI_COMM_WORLD, path, o);
  return path;
}

std::unique_ptr<LogisticRegression> Model(MPI_Comm comm, const std::string& path, DataLayout layout,
                                          bool intercept = true, double l2 = 1e-2) {
  LogisticOptions o;
  o.layout = layout;
  o.intercept = intercept;
  o.l2 = l2;
  return std::make_unique<LogisticRegression>(comm, ReadLibsvm(comm, path), o);
}

// Parameters that are not a special point: x_i = 0.3 sin(1.7 i + 1), by global index.
VectorXd Point(const Partition& part) {
  VectorXd x(part.local_size());
  for (Index i = 0; i < x.size(); ++i) x[i] = 0.3 * std::sin(1.7 * double(part.offset() + i) + 1);
  return x;
}

// An independent dense implementation: parses the file with iostreams, holds X densely and
// computes F and its gradient in the documented parameter layout, on one rank.
struct Reference {
  explicit Reference(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::vector<std::pair<int, double>>> rows;
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line);
      double label = 0;
      if (!(words >> label)) continue;
      labels.push_back(label);
      rows.emplace_back();
      for (std::string w; words >> w;) {
        const std::size_t colon = w.find(':');
        const int j = std::stoi(w.substr(0, colon)) - 1;
        rows.back().emplace_back(j, std::stod(w.substr(colon + 1)));
        d = std::max<Index>(d, j + 1);
      }
    }
    X = Eigen::MatrixXd::Zero(static_cast<Index>(rows.size()), d);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (const auto& [j, v] : rows[i]) X(static_cast<Index>(i), j) = v;
    }
    classes = labels;
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  }

  // F(x) and its gradient g (both global).
  double Evaluate(const VectorXd& x, bool intercept, double l2, VectorXd& g) const {
    const Index N = X.rows();
    const int K = classes.size() == 2 ? 1 : static_cast<int>(classes.size());
    Eigen::MatrixXd W(K, d);
    for (Index j = 0; j < d; ++j) {
      for (int k = 0; k < K; ++k) W(k, j) = x[j * K + k];
    }
    Eigen::VectorXd b = Eigen::VectorXd::Zero(K);
    if (intercept) b = x.tail(K);
    Eigen::MatrixXd Z = X * W.transpose();
    Z.rowwise() += b.transpose();
    Eigen::MatrixXd R(N, K);
    double f = 0;
    for (Index i = 0; i < N; ++i) {
      const int c = static_cast<int>(std::lower_bound(classes.begin(), classes.end(), labels[i]) -
                                     classes.begin());
      if (K == 1) {
        const double y = c == 1 ? 1 : -1;
        const double t = -y * Z(i, 0);
        f += t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t));
        R(i, 0) = -y / (1 + std::exp(-t));
      } else {
        const double m = Z.row(i).maxCoeff();
        const double s = (Z.row(i).array() - m).exp().sum();
        f += m + std::log(s) - Z(i, c);
        for (int k = 0; k < K; ++k) R(i, k) = std::exp(Z(i, k) - m) / s - (k == c ? 1 : 0);
      }
    }
    f /= static_cast<double>(N);
    R /= static_cast<double>(N);
    const Eigen::MatrixXd GW = R.transpose() * X + l2 * W;
    g.resize(x.size());
    for (Index j = 0; j < d; ++j) {
      for (int k = 0; k < K; ++k) g[j * K + k] = GW(k, j);
    }
    if (intercept) g.tail(K) = R.colwise().sum().transpose();
    return f + 0.5 * l2 * W.squaredNorm();
  }

  Eigen::MatrixXd X;
  std::vector<double> labels, classes;
  Index d = 0;
};

struct Case {
  DataLayout layout;
  int classes;
  bool intercept;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (DataLayout layout : {DataLayout::kFeatures, DataLayout::kSamples}) {
    for (int classes : {2, 4}) {
      for (bool intercept : {true, false}) cases.push_back({layout, classes, intercept});
    }
  }
  return cases;
}

std::string Describe(const Case& c) {
  return std::string(dlbfgs::ToString(c.layout)) + ", " + std::to_string(c.classes) + " classes" +
         (c.intercept ? ", intercept" : "");
}

TEST(LogisticTest, GradientMatchesFiniteDifferencesInBothLayouts) {
  TempDir dir;
  for (const Case& c : Cases()) {
    const std::string path = Planted(dir, "g" + Describe(c) + ".svm", 60, 13, 4, c.classes);
    auto model = Model(MPI_COMM_WORLD, path, c.layout, c.intercept);
    const VectorXd x = Point(model->partition());
    const dlbfgs::GradientCheckResult r = dlbfgs::CheckGradient(*model, model->partition(), x);
    EXPECT_TRUE(r.completed) << Describe(c) << ": " << r.message;
    EXPECT_LT(r.max_relative_error, 1e-6) << Describe(c) << ": " << r.message;
  }
}

TEST(LogisticTest, ValueAndGradientEqualADenseReference) {
  TempDir dir;
  for (const Case& c : Cases()) {
    const std::string path = Planted(dir, "r" + Describe(c) + ".svm", 50, 11, 3, c.classes);
    auto model = Model(MPI_COMM_WORLD, path, c.layout, c.intercept, 0.05);
    const Partition& part = model->partition();
    const VectorXd x = Point(part);
    VectorXd g(part.local_size());
    double f = model->EvaluateLocal(x, g);
    MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    const VectorXd x_all = GatherToAll(part, x), g_all = GatherToAll(part, g);
    const Reference reference(path);
    VectorXd g_ref;
    const double f_ref = reference.Evaluate(x_all, c.intercept, 0.05, g_ref);
    EXPECT_NEAR(f, f_ref, 1e-13 * std::abs(f_ref)) << Describe(c);
    ASSERT_EQ(g_all.size(), g_ref.size()) << Describe(c);
    EXPECT_LT((g_all - g_ref).norm(), 1e-13 * g_ref.norm()) << Describe(c);
  }
}

// Solves `path` on `comm` to ||g|| <= 1e-7 and returns the result, with the solution gathered
// into x_all. Collective on comm.
LbfgsResult Solve(MPI_Comm comm, const std::string& path, DataLayout layout, VectorXd& x_all,
                  bool intercept = true) {
  auto model = Model(comm, path, layout, intercept);
  VectorXd x = VectorXd::Zero(model->partition().local_size());
  LbfgsOptions options;
  options.grad_tol = 1e-7;  // near the precision limit sqrt(eps |F| L) of the line search
  const LbfgsResult r = dlbfgs::Minimize(*model, model->partition(), x, options);
  x_all = GatherToAll(model->partition(), x);
  return r;
}

TEST(LogisticTest, BothLayoutsAndOneRankReachTheSameOptimumInTheSameIterations) {
  TempDir dir;
  MPI_Comm alone = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, WorldRank(), 0, &alone);
  for (int classes : {2, 5}) {
    const std::string path =
        Planted(dir, "o" + std::to_string(classes) + ".svm", 400, 30, 6, classes);
    VectorXd serial, features, samples;
    const LbfgsResult rs = Solve(alone, path, DataLayout::kSamples, serial);
    const LbfgsResult rf = Solve(MPI_COMM_WORLD, path, DataLayout::kFeatures, features);
    const LbfgsResult rp = Solve(MPI_COMM_WORLD, path, DataLayout::kSamples, samples);
    for (const LbfgsResult* r : {&rs, &rf, &rp}) {
      EXPECT_TRUE(r->Converged()) << classes << " classes: " << r->message;
    }
    EXPECT_NEAR(rf.f, rs.f, 1e-12 * rs.f) << classes << " classes";
    EXPECT_NEAR(rp.f, rs.f, 1e-12 * rs.f) << classes << " classes";
    EXPECT_LE(std::abs(rf.iterations - rs.iterations), 2) << classes << " classes";
    EXPECT_LE(std::abs(rp.iterations - rs.iterations), 2) << classes << " classes";
    // F is λ₂-strongly convex (λ₂ = 0.01): each solution is within ||g|| / λ₂ = 1e-5 of x*.
    EXPECT_LT((features - serial).norm(), 2e-5) << classes << " classes";
    EXPECT_LT((samples - serial).norm(), 2e-5) << classes << " classes";
    // Optimality by the dense reference, not by the solver's own gradient.
    const Reference reference(path);
    for (const VectorXd* x : {&serial, &features, &samples}) {
      VectorXd g;
      reference.Evaluate(*x, true, 1e-2, g);
      EXPECT_LE(g.norm(), 1.000001e-7) << classes << " classes";
    }
  }
  MPI_Comm_free(&alone);
}

// L1 (OWL-QN) with the intercepts unpenalised (PenaltyMask): at the returned weights the
// componentwise subgradient conditions of F + lambda1 ||W||_1 hold, checked with the dense
// reference's gradient; the L1 solution is sparser than the L2 one, the intercepts are free, and
// both layouts and one rank agree.
TEST(LogisticTest, L1SatisfiesTheKktConditionsWithUnpenalisedIntercepts) {
  TempDir dir;
  MPI_Comm alone = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, WorldRank(), 0, &alone);
  const double l1 = 0.02;
  for (int classes : {2, 4}) {
    const std::string path =
        Planted(dir, "l1-" + std::to_string(classes) + ".svm", 400, 30, 6, classes);
    const Reference reference(path);
    std::vector<double> objectives;
    std::vector<int> iterations;
    for (const auto& [comm, layout] :
         {std::pair{alone, DataLayout::kSamples}, std::pair{MPI_COMM_WORLD, DataLayout::kFeatures},
          std::pair{MPI_COMM_WORLD, DataLayout::kSamples}}) {
      auto model = Model(comm, path, layout, true);
      const Partition& part = model->partition();
      VectorXd x = VectorXd::Zero(part.local_size()), mask(part.local_size());
      model->PenaltyMask(mask);
      LbfgsOptions options;
      options.l1_weight = l1;
      options.grad_tol = 1e-7;
      const LbfgsResult r = dlbfgs::Minimize(*model, part, x, options, mask);
      ASSERT_TRUE(r.Converged()) << classes << " classes: " << r.message;
      const VectorXd x_all = GatherToAll(part, x), mask_all = GatherToAll(part, mask);
      VectorXd g;
      reference.Evaluate(x_all, true, 1e-2, g);
      double worst = 0;
      long long zeros = 0;
      for (Index i = 0; i < x_all.size(); ++i) {
        const double lam = l1 * mask_all[i];
        worst = std::max(worst, x_all[i] != 0 ? std::abs(g[i] + lam * (x_all[i] > 0 ? 1 : -1))
                                              : std::max(std::abs(g[i]) - lam, 0.0));
        zeros += x_all[i] == 0 && mask_all[i] > 0;
      }
      EXPECT_LE(worst, 1e-6) << classes << " classes, " << dlbfgs::ToString(layout);
      EXPECT_GT(zeros, 0) << "L1 makes some weights exactly zero";
      EXPECT_EQ(r.nonzeros, static_cast<long long>((x_all.array() != 0).count()));
      objectives.push_back(r.f);
      iterations.push_back(r.iterations);
    }
    EXPECT_NEAR(objectives[1], objectives[0], 1e-10 * objectives[0]) << classes << " classes";
    EXPECT_NEAR(objectives[2], objectives[0], 1e-10 * objectives[0]) << classes << " classes";
    EXPECT_LE(std::abs(iterations[1] - iterations[0]), 2) << classes << " classes";
    EXPECT_LE(std::abs(iterations[2] - iterations[0]), 2) << classes << " classes";
  }
  MPI_Comm_free(&alone);
}

TEST(LogisticTest, APlantedModelIsRecoveredOnFreshRows) {
  TempDir dir;
  for (int classes : {2, 4}) {
    // 10% of the labels replaced: the planted model itself gets about 90% of them right.
    const std::string c = std::to_string(classes);
    const std::string train = Planted(dir, "train" + c + ".svm", 6000, 40, 8, classes);
    const std::string test = Planted(dir, "test" + c + ".svm", 3000, 40, 8, classes, 1000000);
    // The same fresh rows with the planted model's own labels (the noise is drawn last).
    const std::string clean =
        Planted(dir, "clean" + c + ".svm", 3000, 40, 8, classes, 1000000, 0.0);
    LogisticOptions o;
    o.l2 = 1e-4;
    LogisticRegression model(MPI_COMM_WORLD, ReadLibsvm(MPI_COMM_WORLD, train), o);
    VectorXd x = VectorXd::Zero(model.partition().local_size());
    LbfgsOptions options;
    options.grad_tol = 1e-6;
    const LbfgsResult r = dlbfgs::Minimize(model, model.partition(), x, options);
    EXPECT_TRUE(r.Converged()) << r.message;
    o.labels = model.labels();
    o.features = model.features();
    LogisticRegression noisy(MPI_COMM_WORLD, ReadLibsvm(MPI_COMM_WORLD, test), o);
    LogisticRegression planted(MPI_COMM_WORLD, ReadLibsvm(MPI_COMM_WORLD, clean), o);
    const dlbfgs::ClassificationMetrics m = noisy.Metrics(x), agree = planted.Metrics(x);
    EXPECT_EQ(m.rows, 3000);
    // The learned model agrees with the planted one on nearly every fresh row, so its accuracy
    // on the noisy labels is close to the planted model's 90% (the rows it disagrees on lie
    // next to the planted boundary).
    EXPECT_GT(agree.accuracy, 0.9) << classes << " classes";
    EXPECT_GT(m.accuracy, 0.8) << classes << " classes";
    EXPECT_LT(m.accuracy, 0.93) << classes << " classes: better than the planted model?";
    if (classes == 2) {
      EXPECT_GT(agree.auc, 0.98);
      EXPECT_GT(m.auc, 0.8);
    } else {
      EXPECT_TRUE(std::isnan(m.auc));
    }
  }
}

// Both layouts give the same metrics (the counts exactly).
TEST(LogisticTest, MetricsAreTheSameInBothLayouts) {
  TempDir dir;
  const std::string path = Planted(dir, "m.svm", 300, 20, 5, 2);
  auto f = Model(MPI_COMM_WORLD, path, DataLayout::kFeatures);
  auto s = Model(MPI_COMM_WORLD, path, DataLayout::kSamples);
  const VectorXd x = Point(f->partition());
  const dlbfgs::ClassificationMetrics a = f->Metrics(x), b = s->Metrics(x);
  EXPECT_EQ(a.rows, 300);
  EXPECT_EQ(a.correct, b.correct);
  EXPECT_NEAR(a.log_loss, b.log_loss, 1e-13);
  EXPECT_NEAR(a.auc, b.auc, 1e-15);
}

TEST(LogisticTest, InterceptsAreTheLastKParametersAndUnpenalised) {
  TempDir dir;
  const std::string path = Planted(dir, "i.svm", 80, 9, 3, 3);
  for (DataLayout layout : {DataLayout::kFeatures, DataLayout::kSamples}) {
    auto model = Model(MPI_COMM_WORLD, path, layout, true, 10.0);
    const Partition& part = model->partition();
    EXPECT_EQ(part.global_size(), (9 + 1) * 3);
    EXPECT_EQ(part.granularity(), 3);
    VectorXd mask(part.local_size());
    model->PenaltyMask(mask);
    for (Index i = 0; i < part.local_size(); ++i) {
      const Index global = part.offset() + i;
      EXPECT_EQ(model->IsIntercept(global), global >= 27);
      EXPECT_EQ(mask[i], global >= 27 ? 0.0 : 1.0);
    }
    // A large λ₂ changes the weights' gradient, never the intercepts'.
    auto light = Model(MPI_COMM_WORLD, path, layout, true, 0.0);
    const VectorXd x = Point(part);
    VectorXd g(part.local_size()), g0(part.local_size());
    model->EvaluateLocal(x, g);
    light->EvaluateLocal(x, g0);
    for (Index i = 0; i < part.local_size(); ++i) {
      if (mask[i] == 0) {
        EXPECT_EQ(g[i], g0[i]);
      } else {
        EXPECT_NEAR(g[i] - g0[i], 10.0 * x[i], 1e-12);
      }
    }
    auto none = Model(MPI_COMM_WORLD, path, layout, false);
    EXPECT_EQ(none->partition().global_size(), 27);
    EXPECT_FALSE(none->IsIntercept(26));
  }
}

// Features layout: one allreduce per evaluation; samples: one allgatherv and one reduce-scatter.
TEST(LogisticTest, EachLayoutMakesItsDocumentedCollectivesPerEvaluation) {
  TempDir dir;
  const std::string path = Planted(dir, "c.svm", 100, 10, 3, 2);
  for (DataLayout layout : {DataLayout::kFeatures, DataLayout::kSamples}) {
    auto model = Model(MPI_COMM_WORLD, path, layout);
    const dlbfgs::ObjectiveCommStats before = model->comm_stats();
    const VectorXd x = Point(model->partition());
    VectorXd g(x.size());
    for (int e = 0; e < 3; ++e) model->EvaluateLocal(x, g);
    const dlbfgs::ObjectiveCommStats& after = model->comm_stats();
    const bool features = layout == DataLayout::kFeatures;
    EXPECT_EQ(after.allreduce_calls - before.allreduce_calls, features ? 3 : 0);
    EXPECT_EQ(after.allgatherv_calls - before.allgatherv_calls, features ? 0 : 3);
    EXPECT_EQ(after.reduce_scatter_calls - before.reduce_scatter_calls, features ? 0 : 3);
    EXPECT_EQ(after.alltoallv_calls, features ? 3 : 0);  // set-up: rows, columns, values
  }
}

TEST(LogisticTest, AutoLayoutFollowsTheShape) {
  TempDir dir;
  auto tall = Model(MPI_COMM_WORLD, Planted(dir, "tall.svm", 200, 10, 3, 2), DataLayout::kAuto);
  EXPECT_EQ(tall->layout(), DataLayout::kSamples);
  EXPECT_NE(tall->layout_reason().find("auto"), std::string::npos);
  auto wide = Model(MPI_COMM_WORLD, Planted(dir, "wide.svm", 20, 100, 5, 2), DataLayout::kAuto);
  EXPECT_EQ(wide->layout(), DataLayout::kFeatures);
}

// Awkward doubles (thirds, subnormals, huge, negative zero) come back bit for bit.
TEST(LogisticTest, ModelFileRoundTripsBitwise) {
  TempDir dir;
  const std::string path = Planted(dir, "w.svm", 300, 7, 3, 3);
  auto model = Model(MPI_COMM_WORLD, path, DataLayout::kFeatures);
  const Partition& part = model->partition();
  const double awkward[] = {1.0 / 3, -0.0, 5e-324, 1e300, -2.2250738585072014e-308, 0.1, 7};
  VectorXd x(part.local_size());
  for (Index i = 0; i < x.size(); ++i) x[i] = awkward[(part.offset() + i) % 7] * (i % 2 ? -1 : 1);
  const std::string file = dir.path() + "/model.txt";
  dlbfgs::LogisticModelInfo info = dlbfgs::ModelInfoOf(*model, false);
  info.l1 = 1.0 / 7;
  dlbfgs::WriteLogisticModel(file, info, part, x);
  const dlbfgs::LogisticModelInfo back = dlbfgs::ReadLogisticModelInfo(MPI_COMM_WORLD, file);
  EXPECT_EQ(back.labels, info.labels);
  EXPECT_EQ(back.features, 7);
  EXPECT_TRUE(back.intercept);
  EXPECT_EQ(back.l2, info.l2);
  EXPECT_EQ(back.l1, info.l1);
  EXPECT_FALSE(back.zero_based);
  // Read back on another partition layout too: the single-rank one.
  VectorXd y(part.local_size());
  dlbfgs::ReadLogisticModelWeights(file, back, part, y);
  EXPECT_EQ(std::memcmp(x.data(), y.data(), sizeof(double) * x.size()), 0);
  const VectorXd x_all = GatherToAll(part, x);
  MPI_Comm alone = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, WorldRank(), 0, &alone);
  EXPECT_EQ(part.granularity(), 3);
  const Partition one = Partition::Uniform(alone, part.global_size(), part.granularity());
  VectorXd z(one.local_size());
  dlbfgs::ReadLogisticModelWeights(file, back, one, z);
  EXPECT_EQ(std::memcmp(x_all.data(), z.data(), sizeof(double) * z.size()), 0);
  MPI_Comm_free(&alone);
}

// The DataError message of `f`, checked to be identical on every rank ("" when none).
template <typename F>
std::string AgreedError(F&& f) {
  std::string message;
  try {
    f();
  } catch (const DataError& e) {
    message = e.what();
  }
  int length = static_cast<int>(message.size()), lo = 0, hi = 0;
  MPI_Allreduce(&length, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&length, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(lo, hi) << message;
  return message;
}

std::string Write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  if (WorldRank() == 0) std::ofstream(path) << text;
  MPI_Barrier(MPI_COMM_WORLD);
  return path;
}

TEST(LogisticTest, BadModelFilesAreOneErrorOnEveryRank) {
  TempDir dir;
  const std::string header =
      "dlbfgs-logistic-model 1\nloss binary\nlabels -1 1\nfeatures 2\nintercept 1\n"
      "index_base 1\nl2 0.5\nl1 0\nweights\n";
  const struct {
    std::string text;
    std::string problem;
  } cases[] = {
      {"hello\n", ":1: not a dlbfgs model file (expected 'dlbfgs-logistic-model 1')"},
      {header + "1 0.5\n2 0.25\nintercepts 1\n", ": truncated model file (no 'end' line)"},
      {header + "1 0.5\n2 x\nintercepts 1\nend\n", ":11: bad number 'x'"},
      {header + "2 0.5\n1 0.25\nintercepts 1\nend\n",
       ":11: bad feature number '1' (increasing, in [1, 2], before the intercepts)"},
      {header + "1 0.5 0.7\nend\n", ":10: expected 1 numbers after '1'"},
      {header + "1 0.5\n2 0.5\nend\n", ": no intercepts line"},
  };
  int index = 0;
  for (const auto& c : cases) {
    const std::string path = Write(dir, "bad-model-" + std::to_string(index++) + ".txt", c.text);
    const std::string message = AgreedError([&] {
      const auto info = dlbfgs::ReadLogisticModelInfo(MPI_COMM_WORLD, path);
      const Partition part = Partition::Uniform(MPI_COMM_WORLD, 3, 1);
      VectorXd x(part.local_size());
      dlbfgs::ReadLogisticModelWeights(path, info, part, x);
    });
    EXPECT_EQ(message, path + c.problem) << c.text;
  }
}

TEST(LogisticTest, LabelsThatDoNotMakeAClassifierAreAgreedErrors) {
  TempDir dir;
  const std::string one = Write(dir, "one.svm", "1 1:1\n1 2:1\n1 1:2\n");
  EXPECT_EQ(AgreedError([&] { Model(MPI_COMM_WORLD, one, DataLayout::kSamples); }),
            one + ": only one distinct label (1): a classifier needs two or more");
  const std::string real = Write(dir, "real.svm", "1 1:1\n2.5 2:1\n3 1:2\n");
  EXPECT_EQ(AgreedError([&] { Model(MPI_COMM_WORLD, real, DataLayout::kSamples); }),
            real +
                ": label 2.5 is not a whole number: with more than two labels they are "
                "classes and must be whole numbers");
  const std::string other = Write(dir, "other.svm", "1 1:1\n-1 2:1\n1 1:2\n7 1:1\n");
  EXPECT_EQ(AgreedError([&] {
              LogisticOptions o;
              o.labels = {-1, 1};
              LogisticRegression(MPI_COMM_WORLD, ReadLibsvm(MPI_COMM_WORLD, other), o);
            }),
            other +
                ": the label of row 4 (counting rows, not lines) is not one of the model's "
                "labels (-1 1)");
}

}  // namespace
