// ReadLibsvm at 1-4 ranks: every rank parses only its byte range, aligned to line starts, and
// the rows, their order, the feature count and the label set come out as from a serial read,
// whatever the read buffer and wherever the range boundaries fall (mid-line). A malformed line
// gives the same one-line DataError, naming the file and the line, on every rank.

#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "dlbfgs/libsvm.hpp"
#include "mpi_test_helpers.hpp"

namespace {

using dlbfgs::DataError;
using dlbfgs::LibsvmData;
using dlbfgs::LibsvmReadOptions;
using dlbfgs::ReadLibsvm;
using dlbfgs::test_support::TempDir;
using dlbfgs::test_support::WorldRank;
using dlbfgs::test_support::WorldSize;

struct Row {
  double label;
  std::vector<std::int32_t> column;  // 0-based
  std::vector<double> value;
};

// Writes `text` to DIR/name on rank 0; every rank gets the path. Collective.
std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  if (WorldRank() == 0) {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return path;
}

// Checks this rank's rows against rows[first_row, first_row + local_rows), and that the ranks'
// blocks tile all the rows in order. Collective.
void ExpectRows(const LibsvmData& data, const std::vector<Row>& rows) {
  EXPECT_EQ(data.rows, static_cast<Eigen::Index>(rows.size()));
  long long mine = data.local_rows(), before = 0, total = 0;
  MPI_Exscan(&mine, &before, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  if (WorldRank() == 0) before = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(data.first_row, before);
  EXPECT_EQ(total, static_cast<long long>(rows.size()));
  ASSERT_EQ(data.row_start.size(), static_cast<std::size_t>(data.local_rows()) + 1);
  ASSERT_EQ(data.column.size(), data.value.size());
  EXPECT_EQ(data.row_start.back(), static_cast<std::int64_t>(data.column.size()));
  for (Eigen::Index i = 0; i < data.local_rows(); ++i) {
    const Row& want = rows[static_cast<std::size_t>(data.first_row + i)];
    EXPECT_EQ(data.label[i], want.label) << "row " << data.first_row + i;
    const std::vector<std::int32_t> column(data.column.begin() + data.row_start[i],
                                           data.column.begin() + data.row_start[i + 1]);
    const std::vector<double> value(data.value.begin() + data.row_start[i],
                                    data.value.begin() + data.row_start[i + 1]);
    EXPECT_EQ(column, want.column) << "row " << data.first_row + i;
    EXPECT_EQ(value, want.value) << "row " << data.first_row + i;
  }
}

// The DataError message of reading `path`, identical on every rank (or "" when it read).
std::string ErrorOf(const std::string& path, const LibsvmReadOptions& options = {}) {
  std::string message;
  try {
    ReadLibsvm(MPI_COMM_WORLD, path, options);
  } catch (const DataError& e) {
    message = e.what();
  }
  // Every rank must have failed alike.
  int length = static_cast<int>(message.size()), lo = length, hi = length;
  MPI_Allreduce(&length, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&length, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(lo, hi) << "the error differs between ranks: " << message;
  return message;
}

// A file of every accepted form: tabs, comments, qid, empty lines, CRLF, a row without features,
// labels written +1, a last line without a newline.
const char kEdgeCases[] =
    "# a header comment\n"
    "+1 1:0.5 3:-2\t10:1e-3\n"
    "\n"
    "-1\t2:1.5  4:2 # trailing comment\n"
    "   \n"
    "2 qid:7 1:1 5:0.25\r\n"
    "0\n"
    "1.5 7:7\r\n"
    "# another comment\r\n"
    "-1 1:3 2:4";

std::vector<Row> EdgeCaseRows() {
  return {{1, {0, 2, 9}, {0.5, -2, 1e-3}},
          {-1, {1, 3}, {1.5, 2}},
          {2, {0, 4}, {1, 0.25}},
          {0, {}, {}},
          {1.5, {6}, {7}},
          {-1, {0, 1}, {3, 4}}};
}

TEST(LibsvmReaderTest, ReadsEveryAcceptedFormInFileOrder) {
  TempDir dir;
  const std::string path = WriteFile(dir, "edge.svm", kEdgeCases);
  for (std::size_t buffer :
       {std::size_t{1} << 22, std::size_t{1}, std::size_t{5}, std::size_t{17}}) {
    LibsvmReadOptions options;
    options.buffer_bytes = buffer;
    const LibsvmData data = ReadLibsvm(MPI_COMM_WORLD, path, options);
    ExpectRows(data, EdgeCaseRows());
    EXPECT_EQ(data.features, 10);
    EXPECT_EQ(data.nnz, 10);
    EXPECT_EQ(data.label_set, (std::vector<double>{-1, 0, 1, 1.5, 2}));
  }
}

// Lines of very different lengths, so that the byte-range boundaries r S / p fall inside lines
// at 2-4 ranks (asserted), read with small and large buffers.
TEST(LibsvmReaderTest, RangeBoundariesMidLineLoseAndRepeatNoRow) {
  std::string text;
  std::vector<Row> rows;
  for (int i = 0; i < 37; ++i) {
    Row row{static_cast<double>(i % 3), {}, {}};
    text += std::to_string(i % 3);
    const int entries = (i * 7) % 11;
    for (int e = 0; e < entries; ++e) {
      const int index = 1 + e * 3 + i % 2;
      row.column.push_back(index - 1);
      row.value.push_back(0.5 * (e + 1));
      text += " " + std::to_string(index) + ":" + std::to_string(0.5 * (e + 1));
    }
    text += "\n";
    rows.push_back(row);
  }
  const int p = WorldSize();
  int mid_line = 0;
  for (int r = 1; r < p; ++r) {
    const std::size_t b = text.size() * r / p;
    mid_line += text[b - 1] != '\n' ? 1 : 0;
  }
  if (p > 1) {
    EXPECT_GT(mid_line, 0) << "no boundary falls mid-line: the test tests nothing";
  }
  TempDir dir;
  const std::string path = WriteFile(dir, "ragged.svm", text);
  for (std::size_t buffer :
       {std::size_t{1} << 22, std::size_t{1}, std::size_t{3}, std::size_t{64}}) {
    LibsvmReadOptions options;
    options.buffer_bytes = buffer;
    ExpectRows(ReadLibsvm(MPI_COMM_WORLD, path, options), rows);
  }
}

// A line longer than a whole rank's range: the ranks whose range lies inside it own no row.
TEST(LibsvmReaderTest, ALineLongerThanARangeLeavesRanksEmpty) {
  std::string text = "1 1:1\n-1";
  Row long_row{-1, {}, {}};
  for (int j = 1; j <= 400; ++j) {
    text += " " + std::to_string(j) + ":2";
    long_row.column.push_back(j - 1);
    long_row.value.push_back(2);
  }
  text += "\n1 2:3\n";
  TempDir dir;
  const std::string path = WriteFile(dir, "long.svm", text);
  const LibsvmData data = ReadLibsvm(MPI_COMM_WORLD, path);
  ExpectRows(data, {{1, {0}, {1}}, long_row, {1, {1}, {3}}});
  EXPECT_EQ(data.features, 400);
}

TEST(LibsvmReaderTest, ZeroBasedAndAGivenFeatureCount) {
  TempDir dir;
  const std::string path = WriteFile(dir, "zero.svm", "1 0:1 4:2\n-1 2:3\n");
  LibsvmReadOptions options;
  options.zero_based = true;
  LibsvmData data = ReadLibsvm(MPI_COMM_WORLD, path, options);
  ExpectRows(data, {{1, {0, 4}, {1, 2}}, {-1, {2}, {3}}});
  EXPECT_EQ(data.features, 5);
  options.features = 9;
  data = ReadLibsvm(MPI_COMM_WORLD, path, options);
  EXPECT_EQ(data.features, 9);
  options.features = 4;
  EXPECT_EQ(ErrorOf(path, options),
            path + ":1: feature index 4 is beyond the feature count 4 (--features)");
  // The same file read 1-based: index 0 is an error on line 1.
  EXPECT_EQ(ErrorOf(path), path +
                               ":1: feature index 0 in a file with 1-based indices (read "
                               "0-based files with --zero-based)");
}

// Every malformed case, placed after 40 good lines of varying length so that at 2-4 ranks it
// lies on a rank other than the first: the error names the file's line number, not the rank's.
TEST(LibsvmReaderTest, MalformedLinesGiveOneErrorNamingTheLineOnEveryRank) {
  struct Case {
    const char* line;
    const char* problem;
  };
  const Case cases[] = {
      {"x1 1:1", "bad label 'x1' (each line starts with a finite number)"},
      {"1 3", "feature '3' has no ':' (expected index:value)"},
      {"1 4:1 2:1", "feature indices must increase strictly within a line: 2 after 4"},
      {"1 0:1",
       "feature index 0 in a file with 1-based indices (read 0-based files with "
       "--zero-based)"},
      {"1 1:1 2:zz", "bad value 'zz' of feature 2 (expected a finite number)"},
      {"1 q:1", "bad feature index 'q' (expected a whole number)"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    std::string text = "# comment\n";
    for (int i = 0; i < 40; ++i) {
      text += (i % 2 ? "-1" : "+1") + std::string(" 1:1 ") + std::to_string(2 + i % 5) + ":0.5\n";
      if (i % 7 == 0) text += "\n";
    }
    // Lines so far: 1 comment + 40 rows + 6 empty = 47; the bad one is line 48, then good ones.
    text += std::string(c.line) + "\n";
    for (int i = 0; i < 10; ++i) text += "1 1:1\n";
    const std::string path = WriteFile(dir, "bad.svm", text);
    EXPECT_EQ(ErrorOf(path), path + ":48: " + c.problem);
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

// Two bad lines on different ranks: the first one of the file is reported.
TEST(LibsvmReaderTest, TheFirstBadLineOfTheFileIsReported) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "1 1:1 2:2 3:3\n";
  text += "bad\n";  // line 31
  for (int i = 0; i < 30; ++i) text += "1 1:1 2:2 3:3\n";
  text += "1 1:x\n";  // line 62
  TempDir dir;
  const std::string path = WriteFile(dir, "two.svm", text);
  EXPECT_EQ(ErrorOf(path), path + ":31: bad label 'bad' (each line starts with a finite number)");
}

TEST(LibsvmReaderTest, EmptyMissingAndUnexpectedLabelsAreErrors) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(WriteFile(dir, "empty.svm", "")),
            dir.path() +
                "/empty.svm: no rows (the file is empty or holds only comments and "
                "empty lines)");
  EXPECT_EQ(ErrorOf(WriteFile(dir, "comments.svm", "# nothing\n\n  \n")).find("no rows") !=
                std::string::npos,
            true);
  const std::string missing = dir.path() + "/missing.svm";
  EXPECT_EQ(ErrorOf(missing), missing + ": cannot open: No such file or directory");
  LibsvmReadOptions options;
  options.allowed_labels = {1, -1};
  const std::string path = WriteFile(dir, "labels.svm", "1 1:1\n-1 1:1\n3 1:1\n");
  EXPECT_EQ(ErrorOf(path, options), path + ":3: label 3 is not one of the model's labels (-1 1)");
  options.allowed_labels.clear();
  options.max_labels = 2;
  // One rank seeing all three labels names the line; ranks that each see two learn it only
  // from the union, which has no line.
  const std::string many = ErrorOf(path, options);
  EXPECT_EQ(many.rfind(path, 0), 0u) << many;
  EXPECT_NE(many.find("more than 2 distinct labels: not a classification data set"),
            std::string::npos)
      << many;
}

// The ranks agree on the features and labels even when each rank sees only some of them.
TEST(LibsvmReaderTest, FeaturesAndLabelsAreAgreedOverRanks) {
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += std::to_string(i / 10) + " " + std::to_string(1 + i) + ":1\n";
  TempDir dir;
  const LibsvmData data = ReadLibsvm(MPI_COMM_WORLD, WriteFile(dir, "spread.svm", text));
  EXPECT_EQ(data.features, 40);
  EXPECT_EQ(data.label_set, (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(data.nnz, 40);
  double bytes = static_cast<double>(data.bytes);
  MPI_Allreduce(MPI_IN_PLACE, &bytes, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(bytes, static_cast<double>(text.size()));  // every byte parsed exactly once
}

}  // namespace
