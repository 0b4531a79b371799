// The parallel LIBSVM/SVMlight reader: each rank parses the lines that start in its byte range,
// streaming the file through a fixed buffer, then the ranks agree on rows, features, labels and on
// the first error of the file.

#include "io/libsvm_reader.hpp"

#include <fcntl.h>
#include <mpi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "dlbfgs/libsvm.hpp"

namespace dlbfgs {
namespace internal {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Up to 40 characters of [b, e), for messages.
std::string Quote(const char* b, const char* e) {
  const std::size_t n = static_cast<std::size_t>(e - b);
  return "'" + std::string(b, std::min<std::size_t>(n, 40)) + (n > 40 ? "...'" : "'");
}

// A finite decimal number filling [b, e) exactly; a leading '+' is accepted (LIBSVM labels are
// often written +1), which std::from_chars alone refuses.
bool ParseNumber(const char* b, const char* e, double& v) {
  if (b < e && *b == '+') ++b;
  if (b == e || *b == '+') return false;
  const auto [ptr, ec] = std::from_chars(b, e, v, std::chars_format::general);
  if (ec == std::errc::result_out_of_range && ptr == e && e - b < 64) {
    // libstdc++ refuses subnormal numbers; strtod gives their value (and inf for overflow).
    char copy[64];
    std::memcpy(copy, b, static_cast<std::size_t>(e - b));
    copy[e - b] = '\0';
    v = std::strtod(copy, nullptr);
    return std::isfinite(v);
  }
  return ec == std::errc() && ptr == e && std::isfinite(v);
}

}  // namespace

LineKind ParseLibsvmLine(const char* begin, const char* end, bool zero_based, std::int64_t features,
                         RowSink& sink, std::string& error) {
  if (begin < end && end[-1] == '\r') --end;
  for (const char* c = begin; c < end; ++c) {
    if (*c == '#') {
      end = c;
      break;
    }
  }
  const char* p = begin;
  while (p < end && IsBlank(*p)) ++p;
  if (p == end) return LineKind::kSkip;

  const char* token = p;
  while (p < end && !IsBlank(*p)) ++p;
  if (!ParseNumber(token, p, sink.label)) {
    error = "bad label " + Quote(token, p) + " (each line starts with a finite number)";
    return LineKind::kError;
  }

  const std::int64_t base = zero_based ? 0 : 1;
  std::int64_t previous = -1;  // last 0-based index of the line
  for (;;) {
    while (p < end && IsBlank(*p)) ++p;
    if (p == end) return LineKind::kRow;
    token = p;
    while (p < end && !IsBlank(*p)) ++p;
    const char* colon =
        static_cast<const char*>(std::memchr(token, ':', static_cast<std::size_t>(p - token)));
    if (colon == nullptr) {
      error = "feature " + Quote(token, p) + " has no ':' (expected index:value)";
      return LineKind::kError;
    }
    if (colon - token == 3 && std::memcmp(token, "qid", 3) == 0) continue;  // SVMlight query id
    std::int64_t index = 0;
    const auto [end_index, ec] = std::from_chars(token, colon, index);
    if (ec != std::errc() || end_index != colon || token == colon || *token == '-') {
      error = "bad feature index " + Quote(token, colon) + " (expected a whole number)";
      return LineKind::kError;
    }
    if (index < base) {
      error =
          "feature index 0 in a file with 1-based indices (read 0-based files with "
          "--zero-based)";
      return LineKind::kError;
    }
    const std::int64_t index0 = index - base;
    if (index0 <= previous) {
      error = "feature indices must increase strictly within a line: " + std::to_string(index) +
              " after " + std::to_string(previous + base);
      return LineKind::kError;
    }
    if (features > 0 && index0 >= features) {
      error = "feature index " + std::to_string(index) + " is beyond the feature count " +
              std::to_string(features) + " (--features)";
      return LineKind::kError;
    }
    if (index0 >= std::numeric_limits<std::int32_t>::max()) {
      error = "feature index " + std::to_string(index) + " is too large (at most 2^31 - 2)";
      return LineKind::kError;
    }
    double v = 0;
    if (!ParseNumber(colon + 1, p, v)) {
      error = "bad value " + Quote(colon + 1, p) + " of feature " + std::to_string(index) +
              " (expected a finite number)";
      return LineKind::kError;
    }
    previous = index0;
    sink.column->push_back(static_cast<std::int32_t>(index0));
    sink.value->push_back(v);
  }
}

namespace {

// What a rank tells the others after parsing its byte range.
enum Field {
  kLines,      // lines in its range (only up to its first error when it has one)
  kRows,       // rows parsed
  kNnz,        // entries stored
  kFeatures,   // largest 0-based index + 1 (0: none)
  kFailed,     // 1: cannot open or read the file, 2: a bad line
  kErrorLine,  // 1-based number of the bad line within its range
  kFields
};

// Streams the lines that start in [begin, end) of an open file through one buffer.
class LineStream {
 public:
  LineStream(int fd, std::uint64_t size, std::size_t buffer_bytes)
      : fd_(fd), size_(size), buffer_(std::max<std::size_t>(buffer_bytes, 1)) {}

  // Moves to the first line that starts at or after `begin` (a line starts at 0 or after '\n').
  // False on a read error (errno set).
  bool SeekLineStart(std::uint64_t begin) {
    position_ = begin == 0 ? 0 : begin - 1;
    filled_ = used_ = 0;
    if (begin == 0) return true;
    for (;;) {
      if (used_ == filled_ && !Fill()) return false;
      if (used_ == filled_) return true;  // end of file: no line starts in the range
      const char* data = buffer_.data() + used_;
      const void* nl = std::memchr(data, '\n', filled_ - used_);
      if (nl != nullptr) {
        used_ += static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1;
        return true;
      }
      used_ = filled_;
    }
  }

  // Offset in the file of the next line.
  std::uint64_t offset() const { return position_ - (filled_ - used_); }

  // The next line [*b, *e) without its '\n'; false at the end of the file or on a read error
  // (error() tells).
  bool Next(const char** b, const char** e) {
    for (;;) {
      const char* data = buffer_.data() + used_;
      const std::size_t left = filled_ - used_;
      const void* nl = std::memchr(data, '\n', left);
      if (nl != nullptr) {
        *b = data;
        *e = static_cast<const char*>(nl);
        used_ += static_cast<std::size_t>(*e - data) + 1;
        return true;
      }
      if (position_ >= size_) {  // the last line, without a newline
        if (left == 0) return false;
        *b = data;
        *e = data + left;
        used_ = filled_;
        return true;
      }
      // Keep the partial line, at the front of the buffer, and read more behind it.
      std::memmove(buffer_.data(), data, left);
      filled_ = left;
      used_ = 0;
      if (filled_ == buffer_.size()) buffer_.resize(2 * buffer_.size());  // a long line
      if (!Fill()) {
        failed_ = true;
        return false;
      }
    }
  }

  bool failed() const { return failed_; }

 private:
  // Appends what follows in the file to the buffer. False on a read error.
  bool Fill() {
    if (used_ == filled_) used_ = filled_ = 0;
    while (filled_ < buffer_.size() && position_ < size_) {
      const ssize_t got = ::pread(fd_, buffer_.data() + filled_, buffer_.size() - filled_,
                                  static_cast<off_t>(position_));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      filled_ += static_cast<std::size_t>(got);
      position_ += static_cast<std::uint64_t>(got);
      break;
    }
    return true;
  }

  int fd_;
  std::uint64_t size_;
  std::vector<char> buffer_;
  std::uint64_t position_ = 0;  // file offset just past the buffer's contents
  std::size_t filled_ = 0;      // bytes in the buffer
  std::size_t used_ = 0;        // bytes of the buffer consumed
  bool failed_ = false;
};

// Rank `root`'s `text` on every rank. Collective.
std::string BroadcastText(MPI_Comm comm, std::string text, int root) {
  int size = static_cast<int>(std::min<std::size_t>(text.size(), 4000));
  MPI_Bcast(&size, 1, MPI_INT, root, comm);
  text.resize(static_cast<std::size_t>(size));
  MPI_Bcast(text.data(), size, MPI_CHAR, root, comm);
  return text;
}

std::string Validate(const LibsvmReadOptions& o) {
  if (o.features < 0) return "LibsvmReadOptions.features must be >= 0";
  if (o.features > std::numeric_limits<std::int32_t>::max() - 1) {
    return "LibsvmReadOptions.features must be < 2^31 - 1";
  }
  if (o.max_labels < 1) return "LibsvmReadOptions.max_labels must be >= 1";
  if (o.buffer_bytes < 1) return "LibsvmReadOptions.buffer_bytes must be >= 1";
  for (double l : o.allowed_labels) {
    if (!std::isfinite(l)) return "LibsvmReadOptions.allowed_labels must be finite";
  }
  return "";
}

std::string LabelList(const std::vector<double>& labels) {
  std::string out;
  for (std::size_t i = 0; i < labels.size() && i < 10; ++i) {
    char text[32];
    std::snprintf(text, sizeof text, "%s%.17g", i ? " " : "", labels[i]);
    out += text;
  }
  return out + (labels.size() > 10 ? " ..." : "");
}

}  // namespace
}  // namespace internal

LibsvmData ReadLibsvm(MPI_Comm comm, const std::string& path, const LibsvmReadOptions& options) {
  using internal::Field;
  if (const std::string invalid = internal::Validate(options); !invalid.empty()) {
    throw std::invalid_argument("ReadLibsvm: " + invalid);
  }
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const double start = MPI_Wtime();

  LibsvmData data;
  data.path = path;
  data.row_start.push_back(0);
  std::int64_t mine[internal::kFields] = {0, 0, 0, 0, 0, 0};
  std::string error;

  std::vector<double> allowed = options.allowed_labels;
  std::sort(allowed.begin(), allowed.end());
  std::set<double> labels;

  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    mine[internal::kFailed] = 1;
    error = std::string("cannot open: ") + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    mine[internal::kFailed] = 1;
    error = "not a regular file";
  } else {
    // Rank r owns the lines that start in [r S / p, (r + 1) S / p).
    const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    auto bound = [&](int r) {  // size * r / ranks without overflow
      const std::uint64_t p = static_cast<std::uint64_t>(ranks), rr = static_cast<std::uint64_t>(r);
      return size / p * rr + size % p * rr / p;
    };
    const std::uint64_t end = bound(rank + 1);
    internal::LineStream stream(fd, size, options.buffer_bytes);
    if (!stream.SeekLineStart(bound(rank))) {
      mine[internal::kFailed] = 1;
      error = std::string("read error: ") + std::strerror(errno);
    }
    const std::uint64_t first = stream.offset();
    internal::RowSink sink{0, &data.column, &data.value};
    const char* b = nullptr;
    const char* e = nullptr;
    while (mine[internal::kFailed] == 0 && stream.offset() < end && stream.Next(&b, &e)) {
      ++mine[internal::kLines];
      const internal::LineKind kind =
          internal::ParseLibsvmLine(b, e, options.zero_based, options.features, sink, error);
      if (kind == internal::LineKind::kSkip) continue;
      if (kind == internal::LineKind::kRow && !allowed.empty() &&
          !std::binary_search(allowed.begin(), allowed.end(), sink.label)) {
        char text[64];
        std::snprintf(text, sizeof text, "%.17g", sink.label);
        error = std::string("label ") + text + " is not one of the model's labels (" +
                internal::LabelList(allowed) + ")";
        mine[internal::kFailed] = 2;
      } else if (kind == internal::LineKind::kRow && labels.insert(sink.label).second &&
                 labels.size() > static_cast<std::size_t>(options.max_labels)) {
        error = "more than " + std::to_string(options.max_labels) +
                " distinct labels: not a classification data set";
        mine[internal::kFailed] = 2;
      } else if (kind == internal::LineKind::kError) {
        mine[internal::kFailed] = 2;
      }
      if (mine[internal::kFailed] != 0) {
        mine[internal::kErrorLine] = mine[internal::kLines];
        break;
      }
      data.label.push_back(sink.label);
      data.row_start.push_back(static_cast<std::int64_t>(data.column.size()));
      if (!data.column.empty()) {
        mine[internal::kFeatures] =
            std::max<std::int64_t>(mine[internal::kFeatures], data.column.back() + 1);
      }
    }
    if (stream.failed() && mine[internal::kFailed] == 0) {
      mine[internal::kFailed] = 1;
      error = std::string("read error: ") + std::strerror(errno);
    }
    data.bytes = stream.offset() - first;
  }
  if (fd >= 0) ::close(fd);
  mine[internal::kRows] = data.local_rows();
  mine[internal::kNnz] = static_cast<std::int64_t>(data.column.size());
  data.seconds = MPI_Wtime() - start;

  // Agreement: every rank learns every rank's counts and the first error of the file.
  std::vector<std::int64_t> all(static_cast<std::size_t>(ranks) * internal::kFields);
  MPI_Allgather(mine, internal::kFields, MPI_INT64_T, all.data(), internal::kFields, MPI_INT64_T,
                comm);
  auto at = [&](int r, Field f) {
    return all[static_cast<std::size_t>(r) * internal::kFields + f];
  };
  std::int64_t lines_before = 0;
  for (int r = 0; r < ranks; ++r) {
    if (at(r, internal::kFailed) != 0) {
      const std::string what = internal::BroadcastText(comm, error, r);
      if (at(r, internal::kFailed) == 1) throw DataError(path + ": " + what);
      throw DataError(path + ":" + std::to_string(lines_before + at(r, internal::kErrorLine)) +
                      ": " + what);
    }
    if (r < rank) data.first_row += at(r, internal::kRows);
    lines_before += at(r, internal::kLines);
    data.rows += at(r, internal::kRows);
    data.nnz += at(r, internal::kNnz);
    data.features = std::max<Eigen::Index>(data.features, at(r, internal::kFeatures));
  }
  if (data.rows == 0) {
    throw DataError(path + ": no rows (the file is empty or holds only comments and empty lines)");
  }
  if (options.features > 0) data.features = options.features;

  // The label set: the union of the ranks' distinct labels.
  std::vector<double> local_labels(labels.begin(), labels.end());
  int count = static_cast<int>(local_labels.size());
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  long long total = 0;
  for (int r = 0; r < ranks; ++r) {
    displs[r] = static_cast<int>(total);
    total += counts[r];
  }
  if (total > std::numeric_limits<int>::max()) {
    throw DataError(path + ": too many distinct labels");  // cannot happen with max_labels
  }
  std::vector<double> gathered(static_cast<std::size_t>(total));
  MPI_Allgatherv(local_labels.data(), count, MPI_DOUBLE, gathered.data(), counts.data(),
                 displs.data(), MPI_DOUBLE, comm);
  std::sort(gathered.begin(), gathered.end());
  gathered.erase(std::unique(gathered.begin(), gathered.end()), gathered.end());
  if (gathered.size() > static_cast<std::size_t>(options.max_labels)) {
    throw DataError(path + ": more than " + std::to_string(options.max_labels) +
                    " distinct labels: not a classification data set");
  }
  data.label_set = std::move(gathered);
  return data;
}

}  // namespace dlbfgs
