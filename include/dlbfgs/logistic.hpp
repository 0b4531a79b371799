#pragma once

#include <mpi.h>

#include <Eigen/Core>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "dlbfgs/libsvm.hpp"
#include "dlbfgs/objective.hpp"
#include "dlbfgs/partition.hpp"

namespace dlbfgs {

/// How LogisticRegression distributes the data over the ranks.
enum class DataLayout {
  /// Model parallel: each rank holds the columns of X that belong to its block of weights, for
  /// all N rows; the partial margins are summed in one allreduce of N·K doubles per evaluation,
  /// and the gradient block is computed locally. Suits N·K < n (wide data).
  kFeatures,
  /// Data parallel: each rank holds a block of rows; the weights are gathered (allgatherv of n
  /// doubles) and the local gradients reduce-scattered back to the weight blocks. Suits N·K > n.
  kSamples,
  /// kFeatures when N < d + 1 (N·K margins fewer than n weights), else kSamples.
  kAuto,
};

/// "features", "samples" or "auto". Local.
const char* ToString(DataLayout layout);
/// Parses "features", "samples" or "auto"; throws std::invalid_argument otherwise. Local.
DataLayout ParseDataLayout(const std::string& name);

/// Options of LogisticRegression. Every rank must pass the same values.
struct LogisticOptions {
  /// λ₂ of the penalty (λ₂/2)‖W‖²_F (the intercepts are not penalised). Range >= 0, finite.
  double l2 = 0;
  /// Fit an intercept b per output (unpenalised). false: b = 0 and no parameter for it.
  bool intercept = true;
  /// Data layout; kAuto decides from the shape (see DataLayout).
  DataLayout layout = DataLayout::kAuto;
  /// The labels, in class order; empty: the data's label set, increasing. Two labels give the
  /// binary model (the first is the negative class, y = -1), more give softmax. Every row's label
  /// must be one of them.
  std::vector<double> labels;
  /// Number of features d of the model; 0: LibsvmData::features. Entries of features >= d are
  /// dropped (a test set's features that the training set did not have). Range >= 0.
  Eigen::Index features = 0;
};

/// The objective's own communication (the solver's is in LbfgsResult::comm). This rank's counts.
struct ObjectiveCommStats {
  long long allreduce_calls = 0;       ///< margins (features layout), metrics
  long long allgatherv_calls = 0;      ///< weights (samples layout), labels at set-up
  long long reduce_scatter_calls = 0;  ///< gradients (samples layout)
  long long alltoallv_calls = 0;       ///< columns to their owners at set-up (features layout)
  long long other_calls = 0;           ///< small agreements at set-up, gathers for the AUC
  double doubles = 0;                  ///< 8-byte words this rank contributed, over all calls
  double seconds = 0;                  ///< wall time inside those calls
  /// Calls of every kind. Local.
  long long calls() const {
    return allreduce_calls + allgatherv_calls + reduce_scatter_calls + alltoallv_calls +
           other_calls;
  }
};

/// Accuracy, log loss and AUC of a model on a data set. Identical on every rank.
struct ClassificationMetrics {
  Eigen::Index rows = 0;     ///< rows evaluated
  Eigen::Index correct = 0;  ///< rows whose predicted class (largest margin) is their label
  double accuracy = std::numeric_limits<double>::quiet_NaN();  ///< correct / rows
  /// Mean over rows of the loss ℓ (binary: log(1 + exp(-y z)); softmax: logsumexp(z) - z_y),
  /// without the penalty: the log loss of the predicted probabilities.
  double log_loss = std::numeric_limits<double>::quiet_NaN();
  /// Area under the ROC curve of the margins (ties counted half); binary models only, NaN
  /// otherwise or when one class is absent.
  double auc = std::numeric_limits<double>::quiet_NaN();
};

/// L2-regularised logistic regression on LIBSVM data, as an Objective:
///
///   F(W, b) = (1/N) Σ_i ℓ(y_i, W x_i + b) + (λ₂/2) ‖W‖²_F,
///
/// binary (two labels, K = 1 output, y ∈ {-1, +1}): ℓ = log(1 + exp(-y z)); softmax (K > 2
/// classes, one output each, no pivot class): ℓ = logsumexp(z) - z_y. Both are evaluated stably
/// (log1p/exp branches, max-shifted log-sum-exp) and never overflow.
///
/// Parameter layout (what the partition splits): x[j·K + k] = W[k, j] for features j < d, then,
/// with an intercept, x[d·K + k] = b[k]. partition() is Uniform(comm, (d + 1)·K or d·K, K), so a
/// rank's block always holds whole features (all K outputs of a feature together), and the
/// intercepts, the last K entries, lie on one rank.
///
/// The data stays sparse (12 bytes per stored entry, never an N × d matrix) and is laid out as
/// `options.layout` says; both layouts give the same F and gradient up to rounding.
class LogisticRegression : public Objective {
 public:
  /// Builds the model on `data` (this rank's rows from ReadLibsvm; moved in: the features layout
  /// redistributes the entries and frees the rows). Collective on comm, which must outlive the
  /// object. Throws std::invalid_argument on every rank when the options are out of range, and
  /// DataError on every rank when the labels do not fit (one label only; more than two labels
  /// that are not all integers; a row whose label is not in options.labels).
  LogisticRegression(MPI_Comm comm, LibsvmData data, const LogisticOptions& options);
  ~LogisticRegression() override;
  LogisticRegression(const LogisticRegression&) = delete;
  LogisticRegression& operator=(const LogisticRegression&) = delete;

  /// F's share of this rank and its gradient block (see Objective). Collective: features layout,
  /// one allreduce of N·K doubles; samples layout, one allgatherv and one reduce-scatter of n.
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                       Eigen::Ref<Eigen::VectorXd> g_local) override;

  /// Accuracy, log loss and (binary) AUC of the parameters x on this object's data. Collective.
  ClassificationMetrics Metrics(const Eigen::Ref<const Eigen::VectorXd>& x_local);

  /// The partition of the parameters (see the class comment). Local.
  const Partition& partition() const;
  /// The layout in use (never kAuto). Local.
  DataLayout layout() const;
  /// Why that layout: "requested", or the shape comparison that kAuto made. Local.
  const std::string& layout_reason() const;
  /// The labels in class order (2 for the binary model). Local.
  const std::vector<double>& labels() const;
  /// Outputs K per feature: 1 for the binary model, the number of classes for softmax. Local.
  int outputs() const;
  /// Whether the model has intercepts. Local.
  bool intercept() const;
  /// Features d, rows N and stored entries of the data (after dropping features >= d). Local.
  Eigen::Index features() const;
  Eigen::Index rows() const;
  Eigen::Index nnz() const;
  /// λ₂. Local.
  double l2() const;
  /// True when global parameter `index` is an intercept (those are never penalised: an L1 term
  /// must give them weight 0). Local.
  bool IsIntercept(Eigen::Index index) const;
  /// Writes 1 for each penalised parameter of this rank's block and 0 for each intercept. Local.
  void PenaltyMask(Eigen::Ref<Eigen::VectorXd> mask_local) const;
  /// Number of weights W[k, j] (intercepts excluded) that are not zero, over all ranks.
  /// Collective.
  long long Nonzeros(const Eigen::Ref<const Eigen::VectorXd>& x_local);
  /// The objective's own communication so far, this rank. Local.
  const ObjectiveCommStats& comm_stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// What a model file holds besides the weights.
struct LogisticModelInfo {
  std::vector<double> labels;  ///< class order (binary: negative, positive)
  Eigen::Index features = 0;   ///< d
  bool intercept = true;       ///< intercepts present
  bool zero_based = false;     ///< index base of the data it was trained on
  double l2 = 0;               ///< λ₂ it was trained with
  double l1 = 0;               ///< λ₁ it was trained with
  /// K: 1 for two labels, else the number of labels. Local.
  int outputs() const { return labels.size() == 2 ? 1 : static_cast<int>(labels.size()); }
};

/// The description of `model` for WriteLogisticModel (l1 = 0, zero_based as given). Local.
LogisticModelInfo ModelInfoOf(const LogisticRegression& model, bool zero_based);

/// Writes the text model file `path` (format in the README: a header, one line per feature with
/// its K weights, the intercepts) from the blocks x_local of `part` (Uniform over (d + 1)·K or
/// d·K with granularity K, as LogisticRegression::partition()). Every number is written with 17
/// significant digits, so reading it back gives the same doubles. The ranks append their blocks
/// in turn (no rank holds the whole model) to a temporary file that is renamed at the end.
/// Collective; throws DataError on every rank when the file cannot be written.
void WriteLogisticModel(const std::string& path, const LogisticModelInfo& info,
                        const Partition& part, const Eigen::Ref<const Eigen::VectorXd>& x_local);

/// Reads the header of model file `path`. Collective on comm; throws DataError on every rank
/// alike ("FILE:LINE: problem") when it is not a valid model file.
LogisticModelInfo ReadLogisticModelInfo(MPI_Comm comm, const std::string& path);

/// Reads this rank's block of the weights of model file `path` into x_local (size
/// part.local_size(); part as for WriteLogisticModel, for `info`). Every rank streams the file
/// and keeps only its block. Collective; throws DataError on every rank alike when a line is
/// malformed.
void ReadLogisticModelWeights(const std::string& path, const LogisticModelInfo& info,
                              const Partition& part, Eigen::Ref<Eigen::VectorXd> x_local);

/// Options of WritePlantedLibsvm().
struct PlantedDataOptions {
  long long rows = 1000;  ///< N, >= 1
  /// The file holds rows [first_row, first_row + rows) of the seed's endless sequence of rows:
  /// a test set from the same planted model is the same seed at another first_row. >= 0.
  long long first_row = 0;
  long long features = 100;  ///< d, >= 1
  int nnz_per_row = 10;      ///< distinct features per row, in [1, d]
  int classes = 2;           ///< 2: labels -1/+1; K > 2: labels 1..K. Range [2, 1000]
  std::uint64_t seed = 1;    ///< any value; the same seed gives the same file
  double noise = 0.05;       ///< probability that a label is replaced by another, [0, 1)
};

/// Writes a reproducible sparse LIBSVM file: row i has nnz_per_row distinct random features
/// with values in (0, 1] (3 decimals) and the label argmax_k (W* x_i + b*)_k of a planted model
/// W*, b* with standard normal entries (binary: the sign of one margin), replaced by a uniformly
/// random other label with probability `noise` (so the planted model's accuracy is about
/// 1 - noise). Everything is a function of (seed, row), so the file is the same at any number of
/// ranks; each rank writes its block of rows in place. Collective; throws std::invalid_argument
/// (options) or DataError (file) on every rank alike.
void WritePlantedLibsvm(MPI_Comm comm, const std::string& path, const PlantedDataOptions& options);

}  // namespace dlbfgs
