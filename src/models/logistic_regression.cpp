// LogisticRegression: the labels, the layout, F and its gradient, and the metrics.

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dlbfgs/logistic.hpp"
#include "models/design.hpp"
#include "models/logistic_loss.hpp"
#include "models/objective_comm.hpp"

namespace dlbfgs {

const char* ToString(DataLayout layout) {
  switch (layout) {
    case DataLayout::kFeatures:
      return "features";
    case DataLayout::kSamples:
      return "samples";
    case DataLayout::kAuto:
      return "auto";
  }
  return "unknown";
}

DataLayout ParseDataLayout(const std::string& name) {
  if (name == "features") return DataLayout::kFeatures;
  if (name == "samples") return DataLayout::kSamples;
  if (name == "auto") return DataLayout::kAuto;
  throw std::invalid_argument("unknown layout '" + name + "'; valid: features, samples, auto");
}

namespace {

std::string Text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// Class indices of `labels` (this rank's rows) in `classes` (class order); -1 for a label that is
// not a class.
std::vector<std::int32_t> ClassesOf(const std::vector<double>& labels,
                                    const std::vector<double>& classes) {
  std::vector<std::pair<double, std::int32_t>> table;
  for (std::size_t k = 0; k < classes.size(); ++k) {
    table.emplace_back(classes[k], static_cast<std::int32_t>(k));
  }
  std::sort(table.begin(), table.end());
  std::vector<std::int32_t> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto it =
        std::lower_bound(table.begin(), table.end(), std::make_pair(labels[i], std::int32_t{-1}));
    out[i] = it != table.end() && it->first == labels[i] ? it->second : -1;
  }
  return out;
}

// Area under the ROC curve of scores s with classes c (1 positive), ties counted half:
// the Mann-Whitney statistic from average ranks.
double Auc(std::vector<std::pair<double, double>>& scored) {
  std::sort(scored.begin(), scored.end());
  double positives = 0, rank_sum = 0;
  for (std::size_t i = 0; i < scored.size();) {
    std::size_t j = i;
    while (j < scored.size() && scored[j].first == scored[i].first) ++j;
    const double average_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1 .. j
    for (std::size_t t = i; t < j; ++t) {
      if (scored[t].second > 0.5) {
        positives += 1;
        rank_sum += average_rank;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(scored.size()) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

}  // namespace

struct LogisticRegression::Impl {
  Impl(MPI_Comm c, const Partition& p) : comm(c), part(p) {}
  internal::ObjectiveComm comm;
  Partition part;
  std::unique_ptr<internal::Design> design;
  std::vector<double> labels;
  int K = 1;
  bool binary = true;
  bool intercept = true;
  double l2 = 0;
  Eigen::Index d = 0;
  Eigen::Index N = 0;
  DataLayout layout = DataLayout::kSamples;
  std::string layout_reason;
  Eigen::Index penalised = 0;  // the first `penalised` local parameters are weights
  std::vector<double> z;       // margins, rows × K
  std::vector<double> r;       // dℓ/dz / N, rows × K
};

LogisticRegression::LogisticRegression(MPI_Comm comm, LibsvmData data,
                                       const LogisticOptions& options) {
  if (!(options.l2 >= 0 && std::isfinite(options.l2))) {
    throw std::invalid_argument("LogisticOptions.l2 must be finite and >= 0, got " +
                                Text(options.l2));
  }
  if (options.features < 0) throw std::invalid_argument("LogisticOptions.features must be >= 0");
  std::vector<double> labels = options.labels.empty() ? data.label_set : options.labels;
  {
    std::vector<double> sorted = labels;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      throw std::invalid_argument("LogisticOptions.labels has a label twice");
    }
  }
  if (labels.size() < 2) {
    throw DataError(data.path + ": only one distinct label (" +
                    (labels.empty() ? std::string("none") : Text(labels[0])) +
                    "): a classifier needs two or more");
  }
  if (labels.size() > 2) {
    for (double l : labels) {
      if (l != std::floor(l)) {
        throw DataError(data.path + ": label " + Text(l) +
                        " is not a whole number: with more "
                        "than two labels they are classes and must be whole numbers");
      }
    }
  }
  const Eigen::Index d = options.features > 0 ? options.features : data.features;
  const int K = labels.size() == 2 ? 1 : static_cast<int>(labels.size());
  internal::DesignShape shape;
  shape.features = d;
  shape.outputs = K;
  shape.intercept = options.intercept;
  if (shape.parameters() == 0) {
    throw std::invalid_argument(
        "LogisticRegression: no parameters (no features and no "
        "intercept)");
  }

  impl_ = std::make_unique<Impl>(comm, Partition::Uniform(comm, shape.parameters(), K));
  Impl& m = *impl_;
  m.labels = labels;
  m.K = K;
  m.binary = K == 1;
  m.intercept = options.intercept;
  m.l2 = options.l2;
  m.d = d;
  m.N = data.rows;

  // Every row's label must be a class: agreed, since the rows are spread over the ranks.
  std::vector<std::int32_t> classes = ClassesOf(data.label, labels);
  // The first such row of the file: the maximum of kNone - row is the smallest row.
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  std::int64_t first_unknown = 0;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] < 0) {
      first_unknown = kNone - static_cast<std::int64_t>(data.first_row + i);
      break;
    }
  }
  m.comm.AllreduceMax(&first_unknown, 1);
  if (first_unknown != 0) {
    throw DataError(data.path + ": the label of row " + std::to_string(kNone - first_unknown + 1) +
                    " (counting rows, not lines) is not one of the model's labels (" +
                    Text(labels.front()) + (labels.size() > 2 ? " ... " : " ") +
                    Text(labels.back()) + ")");
  }

  const Eigen::Index n = shape.parameters();
  if (options.layout == DataLayout::kAuto) {
    m.layout = data.rows * K < n ? DataLayout::kFeatures : DataLayout::kSamples;
    m.layout_reason = "auto: N*K = " + std::to_string(data.rows * K) +
                      (m.layout == DataLayout::kFeatures ? " margins < " : " margins >= ") +
                      std::to_string(n) + " parameters";
  } else {
    m.layout = options.layout;
    m.layout_reason = "requested";
  }
  const Partition& part = m.part;
  if (m.layout == DataLayout::kFeatures) {
    m.design =
        internal::MakeFeatureDesign(std::move(data), std::move(classes), part, shape, m.comm);
  } else {
    m.design = internal::MakeSampleDesign(std::move(data), std::move(classes), part, shape, m.comm);
  }
  const bool owns_bias =
      options.intercept && part.offset() + part.local_size() == n && part.local_size() > 0;
  m.penalised = part.local_size() - (owns_bias ? K : 0);
  m.z.resize(static_cast<std::size_t>(m.design->rows() * K));
  m.r.resize(m.z.size());
}

LogisticRegression::~LogisticRegression() = default;

double LogisticRegression::EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                                         Eigen::Ref<Eigen::VectorXd> g_local) {
  Impl& m = *impl_;
  internal::RowLoss loss;
  loss.outputs = m.K;
  loss.scale = 1.0 / static_cast<double>(m.N);
  double f = loss.scale * m.design->LossAndGradient(x_local.data(), loss, m.z.data(), m.r.data(),
                                                    g_local.data());
  double squares = 0;
  for (Eigen::Index j = 0; j < m.penalised; ++j) {
    g_local[j] += m.l2 * x_local[j];
    squares += x_local[j] * x_local[j];
  }
  return f + 0.5 * m.l2 * squares;
}

ClassificationMetrics LogisticRegression::Metrics(
    const Eigen::Ref<const Eigen::VectorXd>& x_local) {
  Impl& m = *impl_;
  m.design->Margins(x_local.data(), m.z.data());
  const std::int32_t* c = m.design->classes().data();
  const Eigen::Index lo = m.design->share_begin(), hi = m.design->share_end();
  double sums[3] = {0, 0, 0};  // rows, correct, loss
  std::vector<double> dz(static_cast<std::size_t>(m.K));
  std::vector<std::pair<double, double>> scored;
  for (Eigen::Index i = lo; i < hi; ++i) {
    const double* zi = m.z.data() + i * m.K;
    int predicted = 0;
    double loss = 0;
    if (m.binary) {
      predicted = zi[0] > 0 ? 1 : 0;
      loss = internal::BinaryLoss(zi[0], c[i] != 0 ? 1.0 : -1.0, dz.data());
      scored.emplace_back(zi[0], static_cast<double>(c[i]));
    } else {
      predicted = static_cast<int>(std::max_element(zi, zi + m.K) - zi);
      loss = internal::SoftmaxLoss(zi, m.K, c[i], dz.data());
    }
    sums[0] += 1;
    sums[1] += predicted == c[i] ? 1 : 0;
    sums[2] += loss;
  }
  m.comm.AllreduceSum(sums, 3);
  ClassificationMetrics out;
  out.rows = static_cast<Eigen::Index>(sums[0]);
  out.correct = static_cast<Eigen::Index>(sums[1]);
  out.accuracy = sums[1] / sums[0];
  out.log_loss = sums[2] / sums[0];
  if (m.binary) {
    // The AUC needs every margin in one place: gathered on rank 0 (N pairs of doubles).
    const double start = MPI_Wtime();
    const int p = m.comm.size();
    int mine = static_cast<int>(2 * scored.size());
    std::vector<int> counts(static_cast<std::size_t>(p)), displs(static_cast<std::size_t>(p));
    MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, m.comm.comm());
    long long total = 0;
    for (int r = 0; r < p; ++r) {
      displs[r] = static_cast<int>(total);
      total += counts[r];
    }
    std::vector<std::pair<double, double>> all(
        m.comm.rank() == 0 ? static_cast<std::size_t>(total / 2) : 0);
    MPI_Gatherv(scored.data(), mine, MPI_DOUBLE, all.data(), counts.data(), displs.data(),
                MPI_DOUBLE, 0, m.comm.comm());
    double auc = m.comm.rank() == 0 ? Auc(all) : 0;
    MPI_Bcast(&auc, 1, MPI_DOUBLE, 0, m.comm.comm());
    m.comm.CountOther(mine + 1, MPI_Wtime() - start);
    out.auc = auc;
  }
  return out;
}

const Partition& LogisticRegression::partition() const { return impl_->part; }
DataLayout LogisticRegression::layout() const { return impl_->layout; }
const std::string& LogisticRegression::layout_reason() const { return impl_->layout_reason; }
const std::vector<double>& LogisticRegression::labels() const { return impl_->labels; }
int LogisticRegression::outputs() const { return impl_->K; }
bool LogisticRegression::intercept() const { return impl_->intercept; }
Eigen::Index LogisticRegression::features() const { return impl_->d; }
Eigen::Index LogisticRegression::rows() const { return impl_->N; }
Eigen::Index LogisticRegression::nnz() const { return impl_->design->nnz(); }
double LogisticRegression::l2() const { return impl_->l2; }
const ObjectiveCommStats& LogisticRegression::comm_stats() const { return impl_->comm.stats(); }

bool LogisticRegression::IsIntercept(Eigen::Index index) const {
  return impl_->intercept && index >= impl_->d * impl_->K;
}

void LogisticRegression::PenaltyMask(Eigen::Ref<Eigen::VectorXd> mask_local) const {
  mask_local.setZero();
  mask_local.head(impl_->penalised).setOnes();
}

long long LogisticRegression::Nonzeros(const Eigen::Ref<const Eigen::VectorXd>& x_local) {
  std::int64_t count = 0;
  for (Eigen::Index j = 0; j < impl_->penalised; ++j) count += x_local[j] != 0 ? 1 : 0;
  impl_->comm.AllreduceSum(&count, 1);
  return count;
}

LogisticModelInfo ModelInfoOf(const LogisticRegression& model, bool zero_based) {
  LogisticModelInfo info;
  info.labels = model.labels();
  info.features = model.features();
  info.intercept = model.intercept();
  info.zero_based = zero_based;
  info.l2 = model.l2();
  return info;
}

}  // namespace dlbfgs
