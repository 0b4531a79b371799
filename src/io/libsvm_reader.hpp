#pragma once

// Private to the LIBSVM reader and its tests: the parser of one line.

#include <cstdint>
#include <string>
#include <vector>

namespace dlbfgs::internal {

/// What ParseLibsvmLine() found in a line.
enum class LineKind { kRow, kSkip, kError };

/// Where ParseLibsvmLine() appends a row: its label, and its entries to `column` and `value`.
struct RowSink {
  double label = 0;
  std::vector<std::int32_t>* column = nullptr;
  std::vector<double>* value = nullptr;
};

/// Parses the line [begin, end) (without its '\n'; a trailing '\r' is dropped): `label idx:val
/// ...` with optional `qid:N` and `# comment`. kSkip for an empty or comment-only line; kRow with
/// the label in sink.label and the entries appended (0-based indices); kError with a one-line
/// description in `error` (the entries appended so far are left for the caller to drop).
/// `features` > 0 bounds the 0-based indices. Local.
LineKind ParseLibsvmLine(const char* begin, const char* end, bool zero_based, std::int64_t features,
                         RowSink& sink, std::string& error);

}  // namespace dlbfgs::internal
