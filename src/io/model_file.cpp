// The text model file of the logistic models: written by the ranks in turn, read by every rank
// streaming the file and keeping its own block.
//
//   dlbfgs-logistic-model 1
//   loss binary|softmax
//   labels L_0 L_1 ...            (class order; binary: negative, positive)
//   features d
//   intercept 0|1
//   index_base 0|1                (of the feature numbers below and of the training data)
//   l2 λ₂
//   l1 λ₁
//   weights
//   j W[0,j] ... W[K-1,j]         (one line per feature, j in the index base, increasing)
//   intercepts b_0 ... b_{K-1}    (with intercept 1)
//   end
//
// Numbers have 17 significant digits (%.17g), which read back as the same doubles.

#include <mpi.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "dlbfgs/logistic.hpp"

namespace dlbfgs {
namespace {

constexpr const char* kMagic = "dlbfgs-logistic-model 1";

std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// Every rank throws DataError(message of the lowest rank whose `error` is not empty), or none
// does. Collective.
void Agree(MPI_Comm comm, const std::string& error) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int first = error.empty() ? size : rank;
  MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return;
  std::string text = error;
  int length = static_cast<int>(text.size());
  MPI_Bcast(&length, 1, MPI_INT, first, comm);
  text.resize(static_cast<std::size_t>(length));
  MPI_Bcast(text.data(), length, MPI_CHAR, first, comm);
  throw DataError(text);
}

// Splits a line at spaces and tabs.
std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

// strtod, not from_chars: libstdc++'s from_chars refuses subnormal numbers (out of range).
bool ToDouble(const std::string& word, double& v) {
  if (word.empty() || word[0] == ' ') return false;
  char* end = nullptr;
  v = std::strtod(word.c_str(), &end);
  return end == word.c_str() + word.size() && std::isfinite(v);
}

bool ToIndex(const std::string& word, long long& v) {
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
  return ec == std::errc() && end == word.data() + word.size() && v >= 0;
}

// Reads the header from `in` up to and including the line "weights"; "" or the error.
std::string ParseHeader(std::istream& in, const std::string& path, LogisticModelInfo& info,
                        long long& line_number) {
  auto at = [&](const std::string& what) {
    return path + ":" + std::to_string(line_number) + ": " + what;
  };
  std::string line;
  line_number = 1;
  if (!std::getline(in, line)) return path + ": empty or unreadable model file";
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != kMagic) return at("not a dlbfgs model file (expected '" + std::string(kMagic) + "')");
  bool has_loss = false, has_labels = false, has_features = false, has_intercept = false;
  std::string loss;
  while (std::getline(in, line)) {
    ++line_number;
    const std::vector<std::string> w = Words(line);
    if (w.empty()) continue;
    if (w[0] == "weights" && w.size() == 1) {
      if (!has_loss || !has_labels || !has_features || !has_intercept) {
        return at("the header lacks one of loss, labels, features, intercept");
      }
      if ((loss == "binary") != (info.labels.size() == 2)) {
        return at("loss " + loss + " does not fit " + std::to_string(info.labels.size()) +
                  " labels");
      }
      return "";
    }
    long long integer = 0;
    double number = 0;
    if (w[0] == "loss" && w.size() == 2 && (w[1] == "binary" || w[1] == "softmax")) {
      loss = w[1];
      has_loss = true;
    } else if (w[0] == "labels" && w.size() >= 3) {
      info.labels.clear();
      for (std::size_t i = 1; i < w.size(); ++i) {
        if (!ToDouble(w[i], number)) return at("bad label '" + w[i] + "'");
        info.labels.push_back(number);
      }
      has_labels = true;
    } else if (w[0] == "features" && w.size() == 2 && ToIndex(w[1], integer)) {
      info.features = integer;
      has_features = true;
    } else if (w[0] == "intercept" && w.size() == 2 && (w[1] == "0" || w[1] == "1")) {
      info.intercept = w[1] == "1";
      has_intercept = true;
    } else if (w[0] == "index_base" && w.size() == 2 && (w[1] == "0" || w[1] == "1")) {
      info.zero_based = w[1] == "0";
    } else if ((w[0] == "l2" || w[0] == "l1") && w.size() == 2 && ToDouble(w[1], number) &&
               number >= 0) {
      (w[0] == "l2" ? info.l2 : info.l1) = number;
    } else {
      return at("unexpected line '" + line.substr(0, 60) + "'");
    }
  }
  return path + ": truncated model file (no weights)";
}

}  // namespace

void WriteLogisticModel(const std::string& path, const LogisticModelInfo& info,
                        const Partition& part, const Eigen::Ref<const Eigen::VectorXd>& x_local) {
  const MPI_Comm comm = part.comm();
  const int K = info.outputs();
  const Eigen::Index d = info.features;
  const Eigen::Index n = (d + (info.intercept ? 1 : 0)) * K;
  if (part.global_size() != n || part.granularity() % K != 0 ||
      x_local.size() != part.local_size()) {
    throw std::invalid_argument("WriteLogisticModel: the partition does not fit the model");
  }
  const std::string temporary = path + ".tmp";
  const int base = info.zero_based ? 0 : 1;
  std::string error;
  if (part.rank() == 0) {
    std::FILE* f = std::fopen(temporary.c_str(), "w");
    if (f == nullptr) {
      error = "cannot write model '" + path + "': " + std::strerror(errno);
    } else {
      std::string labels;
      for (double l : info.labels) labels += " " + Number(l);
      std::fprintf(f,
                   "%s\nloss %s\nlabels%s\nfeatures %lld\nintercept %d\nindex_base %d\n"
                   "l2 %s\nl1 %s\nweights\n",
                   kMagic, K == 1 ? "binary" : "softmax", labels.c_str(), static_cast<long long>(d),
                   info.intercept ? 1 : 0, base, Number(info.l2).c_str(), Number(info.l1).c_str());
      if (std::fclose(f) != 0) error = "cannot write model '" + path + "': " + std::strerror(errno);
    }
  }
  Agree(comm, error);
  // Each rank in turn appends its features (and the intercepts, when it holds them).
  for (int r = 0; r < part.size(); ++r) {
    if (r == part.rank()) {
      std::FILE* f = std::fopen(temporary.c_str(), "a");
      if (f == nullptr) {
        error = "cannot write model '" + path + "': " + std::strerror(errno);
      } else {
        const Eigen::Index first = part.offset() / K;
        const Eigen::Index units = part.local_size() / K;
        std::string line;
        for (Eigen::Index u = 0; u < units; ++u) {
          const Eigen::Index j = first + u;
          line = j < d ? std::to_string(j + base) : std::string("intercepts");
          for (int k = 0; k < K; ++k) line += " " + Number(x_local[u * K + k]);
          line += "\n";
          std::fputs(line.c_str(), f);
        }
        if (r == part.size() - 1) std::fputs("end\n", f);
        if (std::ferror(f) != 0 || std::fclose(f) != 0) {
          error = "cannot write model '" + path + "': " + std::strerror(errno);
        }
      }
    }
    int failed = error.empty() ? 0 : 1;
    MPI_Bcast(&failed, 1, MPI_INT, r, comm);
    if (failed) Agree(comm, r == part.rank() ? error : std::string());
  }
  if (part.rank() == 0 && std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = "cannot write model '" + path + "': " + std::strerror(errno);
  }
  Agree(comm, error);
}

LogisticModelInfo ReadLogisticModelInfo(MPI_Comm comm, const std::string& path) {
  LogisticModelInfo info;
  std::ifstream in(path);
  std::string error;
  long long line_number = 0;
  if (!in) {
    error = "cannot open model '" + path + "': " + std::strerror(errno);
  } else {
    error = ParseHeader(in, path, info, line_number);
  }
  Agree(comm, error);
  return info;
}

void ReadLogisticModelWeights(const std::string& path, const LogisticModelInfo& info,
                              const Partition& part, Eigen::Ref<Eigen::VectorXd> x_local) {
  const int K = info.outputs();
  const Eigen::Index d = info.features;
  if (part.global_size() != (d + (info.intercept ? 1 : 0)) * K ||
      x_local.size() != part.local_size()) {
    throw std::invalid_argument("ReadLogisticModelWeights: the partition does not fit the model");
  }
  x_local.setZero();
  const Eigen::Index lo = part.offset(), hi = part.offset() + part.local_size();
  const long long base = info.zero_based ? 0 : 1;
  std::ifstream in(path);
  std::string error;
  long long line_number = 0;
  LogisticModelInfo header;
  if (!in) {
    error = "cannot open model '" + path + "': " + std::strerror(errno);
  } else {
    error = ParseHeader(in, path, header, line_number);
  }
  auto at = [&](const std::string& what) {
    return path + ":" + std::to_string(line_number) + ": " + what;
  };
  long long previous = -1;
  bool intercepts = false, ended = false;
  std::string line;
  while (error.empty() && !ended && std::getline(in, line)) {
    ++line_number;
    const std::vector<std::string> w = Words(line);
    if (w.empty()) continue;
    if (w[0] == "end" && w.size() == 1) {
      ended = true;
      break;
    }
    Eigen::Index first = 0;  // global index of the line's first parameter
    if (w[0] == "intercepts") {
      if (!info.intercept || intercepts) {
        error = at("unexpected intercepts");
        break;
      }
      intercepts = true;
      first = d * K;
    } else {
      long long j = 0;
      if (intercepts || !ToIndex(w[0], j) || j < base || j - base >= d || j - base <= previous) {
        error = at("bad feature number '" + w[0] + "' (increasing, in [" + std::to_string(base) +
                   ", " + std::to_string(d - 1 + base) + "], before the intercepts)");
        break;
      }
      previous = j - base;
      first = previous * K;
    }
    if (static_cast<int>(w.size()) != K + 1) {
      error = at("expected " + std::to_string(K) + " numbers after '" + w[0] + "'");
      break;
    }
    for (int k = 0; k < K; ++k) {
      double v = 0;
      if (!ToDouble(w[k + 1], v)) {
        error = at("bad number '" + w[k + 1] + "'");
        break;
      }
      if (first + k >= lo && first + k < hi) x_local[first + k - lo] = v;
    }
  }
  if (error.empty() && !ended) error = path + ": truncated model file (no 'end' line)";
  if (error.empty() && info.intercept && !intercepts) error = path + ": no intercepts line";
  Agree(part.comm(), error);
}

}  // namespace dlbfgs
