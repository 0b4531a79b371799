// `dlbfgs gen-data`: a reproducible sparse LIBSVM file from a planted linear model, written in
// parallel (each rank its block of rows, at offsets agreed by an exclusive scan of their lengths).

#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlbfgs/logistic.hpp"
#include "dlbfgs/partition.hpp"

namespace dlbfgs {
namespace {

// SplitMix64 (Steele, Lea & Flood 2014): a counter-based generator, so that row i's stream
// depends only on (seed, i), never on which rank draws it.
std::uint64_t Mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Stream {
 public:
  Stream(std::uint64_t seed, std::uint64_t kind, std::uint64_t index)
      : state_(Mix(Mix(Mix(seed) ^ kind) ^ index)) {}
  std::uint64_t Next() { return Mix(state_++); }
  // Uniform in (0, 1).
  double Uniform() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53; }
  // Uniform in [0, n).
  std::uint64_t Below(std::uint64_t n) {
    return std::min(n - 1, static_cast<std::uint64_t>(Uniform() * static_cast<double>(n)));
  }
  // Standard normal (Box-Muller).
  double Normal() {
    const double u = Uniform(), v = Uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
  }

 private:
  std::uint64_t state_;
};

constexpr std::uint64_t kWeights = 1, kIntercepts = 2, kRows = 3;

// Row i's features (sorted, distinct, 0-based) and values in thousandths, in (0, 1000].
void DrawRow(std::uint64_t seed, std::int64_t row, std::int64_t d, int nnz, Stream& s,
             std::vector<std::int64_t>& index, std::vector<int>& thousandths) {
  s = Stream(seed, kRows, static_cast<std::uint64_t>(row));
  index.clear();
  if (static_cast<std::int64_t>(nnz) * 8 <= d) {
    // Few of many: draw, sort, drop repeats, draw the missing ones again.
    while (static_cast<int>(index.size()) < nnz) {
      while (static_cast<int>(index.size()) < nnz) {
        index.push_back(static_cast<std::int64_t>(s.Below(static_cast<std::uint64_t>(d))));
      }
      std::sort(index.begin(), index.end());
      index.erase(std::unique(index.begin(), index.end()), index.end());
    }
  } else {
    // Selection sampling (Knuth, TAOCP vol. 2, Algorithm S): each feature in turn.
    std::int64_t needed = nnz;
    for (std::int64_t j = 0; j < d && needed > 0; ++j) {
      if (static_cast<double>(d - j) * s.Uniform() < static_cast<double>(needed)) {
        index.push_back(j);
        --needed;
      }
    }
  }
  thousandths.resize(index.size());
  for (int& t : thousandths) t = 1 + static_cast<int>(s.Below(1000));
}

int Digits(std::int64_t v) {
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

std::string Validate(const PlantedDataOptions& o) {
  if (o.rows < 1) return "rows must be >= 1";
  if (o.first_row < 0) return "first row must be >= 0";
  if (o.features < 1 || o.features > 2147483646LL) return "features must be in [1, 2^31 - 2]";
  if (o.nnz_per_row < 1 || o.nnz_per_row > o.features) {
    return "nnz per row must be in [1, features]";
  }
  if (o.classes < 2 || o.classes > 1000) return "classes must be in [2, 1000]";
  if (!(o.noise >= 0 && o.noise < 1)) return "noise must be in [0, 1)";
  return "";
}

// Every rank throws DataError(text) when any rank failed. Collective.
void AgreeOnFailure(MPI_Comm comm, bool failed, const std::string& text) {
  int any = failed ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, comm);
  if (any != 0) throw DataError(text);
}

}  // namespace

void WritePlantedLibsvm(MPI_Comm comm, const std::string& path, const PlantedDataOptions& o) {
  if (const std::string invalid = Validate(o); !invalid.empty()) {
    throw std::invalid_argument("planted data: " + invalid);
  }
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const int K = o.classes == 2 ? 1 : o.classes;
  const std::int64_t d = o.features;

  // The planted model: K x d standard normal weights (feature-major) and K intercepts.
  std::vector<double> w(static_cast<std::size_t>(d * K));
  for (std::int64_t j = 0; j < d; ++j) {
    Stream s(o.seed, kWeights, static_cast<std::uint64_t>(j));
    for (int k = 0; k < K; ++k) w[j * K + k] = s.Normal();
  }
  std::vector<double> b(static_cast<std::size_t>(K));
  {
    Stream s(o.seed, kIntercepts, 0);
    for (int k = 0; k < K; ++k) b[k] = s.Normal();
  }

  const std::int64_t first = o.first_row + Partition::BlockOffset(o.rows, ranks, 1, rank);
  const std::int64_t last = o.first_row + Partition::BlockOffset(o.rows, ranks, 1, rank + 1);
  std::vector<std::int32_t> label(static_cast<std::size_t>(last - first));
  std::vector<std::int64_t> index;
  std::vector<int> thousandths;
  std::vector<double> z(static_cast<std::size_t>(K));
  Stream s(0, 0, 0);
  auto label_text = [&](std::int32_t c) -> std::string {
    if (K == 1) return c != 0 ? "+1" : "-1";
    return std::to_string(c + 1);
  };

  // Pass 1: the labels and the length of this rank's text.
  std::int64_t bytes = 0;
  for (std::int64_t i = first; i < last; ++i) {
    DrawRow(o.seed, i, d, o.nnz_per_row, s, index, thousandths);
    std::copy(b.begin(), b.end(), z.begin());
    std::int64_t length = 1;  // '\n'
    for (std::size_t e = 0; e < index.size(); ++e) {
      const double v = thousandths[e] / 1000.0;  // the value the file will hold
      for (int k = 0; k < K; ++k) z[k] += v * w[index[e] * K + k];
      length += 1 + Digits(index[e] + 1) + 1 + (thousandths[e] == 1000 ? 1 : 5);
    }
    std::int32_t c =
        K == 1 ? (z[0] > 0 ? 1 : 0)
               : static_cast<std::int32_t>(std::max_element(z.begin(), z.end()) - z.begin());
    if (o.noise > 0 && s.Uniform() < o.noise) {
      // Another label, uniformly among the rest.
      const int labels = K == 1 ? 2 : K;
      const std::int32_t other = static_cast<std::int32_t>(s.Below(labels - 1));
      c = other >= c ? other + 1 : other;
    }
    label[i - first] = c;
    bytes += length + static_cast<std::int64_t>(label_text(c).size());
  }
  std::int64_t offset = 0;
  MPI_Exscan(&bytes, &offset, 1, MPI_INT64_T, MPI_SUM, comm);
  if (rank == 0) offset = 0;

  // Rank 0 creates (truncates) the file, then every rank writes its rows at its offset.
  int fd = -1;
  std::string error;
  if (rank == 0) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) error = std::strerror(errno);
  }
  int status = error.empty() ? 0 : 1;
  MPI_Bcast(&status, 1, MPI_INT, 0, comm);
  if (status != 0) {
    if (fd >= 0) ::close(fd);
    std::string text = error;
    int length = static_cast<int>(text.size());
    MPI_Bcast(&length, 1, MPI_INT, 0, comm);
    text.resize(static_cast<std::size_t>(length));
    MPI_Bcast(text.data(), length, MPI_CHAR, 0, comm);
    throw DataError("cannot write '" + path + "': " + text);
  }
  if (rank != 0) {
    fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) error = std::strerror(errno);
  }
  std::string buffer;
  buffer.reserve(std::size_t{1} << 23);
  std::int64_t at = offset;
  auto flush = [&] {
    std::size_t done = 0;
    while (error.empty() && done < buffer.size()) {
      const ssize_t put = ::pwrite(fd, buffer.data() + done, buffer.size() - done,
                                   static_cast<off_t>(at + static_cast<std::int64_t>(done)));
      if (put < 0 && errno == EINTR) continue;
      if (put <= 0) {
        error = std::strerror(errno);
        break;
      }
      done += static_cast<std::size_t>(put);
    }
    at += static_cast<std::int64_t>(buffer.size());
    buffer.clear();
  };
  char digits[24];
  for (std::int64_t i = first; i < last && error.empty(); ++i) {
    DrawRow(o.seed, i, d, o.nnz_per_row, s, index, thousandths);
    buffer += label_text(label[i - first]);
    for (std::size_t e = 0; e < index.size(); ++e) {
      buffer += ' ';
      const auto end = std::to_chars(digits, digits + sizeof digits, index[e] + 1).ptr;
      buffer.append(digits, end);
      if (thousandths[e] == 1000) {
        buffer += ":1";
      } else {
        const int t = thousandths[e];
        const char value[6] = {':',
                               '0',
                               '.',
                               static_cast<char>('0' + t / 100),
                               static_cast<char>('0' + t / 10 % 10),
                               static_cast<char>('0' + t % 10)};
        buffer.append(value, 6);
      }
    }
    buffer += '\n';
    if (buffer.size() >= (std::size_t{1} << 23)) flush();
  }
  if (error.empty()) flush();
  if (fd >= 0 && ::close(fd) != 0 && error.empty()) error = std::strerror(errno);
  AgreeOnFailure(
      comm, !error.empty(),
      "cannot write '" + path + "': " + (error.empty() ? std::string("on another rank") : error));
}

}  // namespace dlbfgs
