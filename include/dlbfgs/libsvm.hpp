#pragma once

#include <mpi.h>

#include <Eigen/Core>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlbfgs {

/// A data file that cannot be used: malformed, unreadable, or not fitting the model it is read
/// for. Its what() is one line, "FILE:LINE: problem" when a line is to blame. Thrown on every rank
/// alike (with the same message), after the ranks have agreed on it, so that no rank is left
/// waiting in a collective.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Options of ReadLibsvm(). Every rank must pass the same values.
struct LibsvmReadOptions {
  /// Feature indices start at 0 (false: at 1, the LIBSVM convention; an index 0 is then an error).
  bool zero_based = false;
  /// Number of features d: every index (after the base shift) must be < d. 0: d is the largest
  /// index found on any rank, plus one. Range >= 0.
  Eigen::Index features = 0;
  /// Labels allowed (any order); a row with another label is an error naming its line. Empty:
  /// any finite label.
  std::vector<double> allowed_labels;
  /// Most distinct labels the file may have (a classification data set has few; a regression one
  /// has as many as rows). Range >= 1.
  int max_labels = 10000;
  /// Size of each rank's read buffer in bytes (it grows for a longer line). Range >= 1. Small
  /// values are for tests of lines that span reads.
  std::size_t buffer_bytes = std::size_t{1} << 22;
};

/// The rows of a LIBSVM/SVMlight file that this rank parsed, in compressed sparse rows, and what
/// the ranks agreed on. Rank r holds the rows whose lines start in its byte range
/// [r S / p, (r + 1) S / p) of the file of S bytes, so rows are in file order across the ranks.
struct LibsvmData {
  std::string path;            ///< the file read
  Eigen::Index rows = 0;       ///< rows in the whole file (all ranks)
  Eigen::Index features = 0;   ///< d, agreed (LibsvmReadOptions::features, or largest index + 1)
  Eigen::Index nnz = 0;        ///< stored entries in the whole file
  Eigen::Index first_row = 0;  ///< global (0-based) index of this rank's first row
  std::vector<double> label;   ///< this rank's rows' labels
  std::vector<std::int64_t> row_start;  ///< size local rows + 1: row i is [row_start[i], [i+1])
  std::vector<std::int32_t> column;  ///< 0-based feature index of each entry, increasing in a row
  std::vector<double> value;         ///< value of each entry
  std::vector<double> label_set;     ///< the distinct labels of the whole file, increasing
  std::uint64_t bytes = 0;           ///< bytes of the file this rank parsed (its lines)
  double seconds = 0;                ///< this rank's time to read and parse them
  /// Number of rows this rank holds. Local.
  Eigen::Index local_rows() const { return static_cast<Eigen::Index>(label.size()); }
  /// This rank's parse speed in MB/s (1 MB = 10^6 bytes; 0 when it parsed nothing). Local.
  double mb_per_s() const { return seconds > 0 ? 1e-6 * static_cast<double>(bytes) / seconds : 0; }
};

/// Reads the LIBSVM/SVMlight file `path` in parallel: every rank parses only the lines that start
/// in its own byte range (no rank ever holds the whole file), then the ranks agree on the number
/// of rows, the feature count and the label set.
///
/// Format: one row per line, `label index:value index:value ...`, separated by spaces or tabs.
/// Indices are 1-based (0-based with zero_based) and strictly increasing within a line; a label
/// may be written +1. Accepted: `# comments` (to the end of the line), `qid:N` (ignored), empty
/// lines (skipped), CRLF line ends, rows without features, a last line without a newline.
///
/// Collective on comm (a few allgathers and broadcasts). Throws DataError on every rank alike when
/// the file cannot be read, has no rows, or has a malformed line: the message names the file, the
/// first bad line of the file (its 1-based number) and the problem. Throws std::invalid_argument
/// on every rank when the options are out of range.
LibsvmData ReadLibsvm(MPI_Comm comm, const std::string& path,
                      const LibsvmReadOptions& options = LibsvmReadOptions());

}  // namespace dlbfgs
