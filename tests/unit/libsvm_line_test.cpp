// ParseLibsvmLine: every accepted form of a LIBSVM/SVMlight line and every malformed one, with
// the one-line description of the problem.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/libsvm_reader.hpp"

namespace {

using dlbfgs::internal::LineKind;
using dlbfgs::internal::ParseLibsvmLine;
using dlbfgs::internal::RowSink;

struct Parsed {
  LineKind kind;
  double label = 0;
  std::vector<std::int32_t> column;
  std::vector<double> value;
  std::string error;
};

Parsed Parse(const std::string& line, bool zero_based = false, std::int64_t features = 0) {
  Parsed p;
  RowSink sink{0, &p.column, &p.value};
  p.kind =
      ParseLibsvmLine(line.data(), line.data() + line.size(), zero_based, features, sink, p.error);
  p.label = sink.label;
  return p;
}

TEST(LibsvmLineTest, ReadsLabelAndEntriesWithOneBasedIndices) {
  const Parsed p = Parse("+1 1:0.5 3:-2 10:1e-3");
  ASSERT_EQ(p.kind, LineKind::kRow) << p.error;
  EXPECT_EQ(p.label, 1.0);
  EXPECT_EQ(p.column, (std::vector<std::int32_t>{0, 2, 9}));
  EXPECT_EQ(p.value, (std::vector<double>{0.5, -2, 1e-3}));
}

TEST(LibsvmLineTest, AcceptsTabsCommentsQidCrlfAndRowsWithoutFeatures) {
  Parsed p = Parse("-1\t2:1.5 \t 4:2\t# a comment 5:9");
  ASSERT_EQ(p.kind, LineKind::kRow) << p.error;
  EXPECT_EQ(p.label, -1.0);
  EXPECT_EQ(p.column, (std::vector<std::int32_t>{1, 3}));
  p = Parse("3 qid:17 1:1 2:2");
  ASSERT_EQ(p.kind, LineKind::kRow) << p.error;
  EXPECT_EQ(p.label, 3.0);
  EXPECT_EQ(p.column.size(), 2u);
  p = Parse("0 1:1 2:2\r");
  ASSERT_EQ(p.kind, LineKind::kRow) << p.error;
  EXPECT_EQ(p.value, (std::vector<double>{1, 2}));
  p = Parse("2");
  ASSERT_EQ(p.kind, LineKind::kRow) << p.error;
  EXPECT_TRUE(p.column.empty());
  p = Parse("  1.5e0   ");
  ASSERT_EQ(p.kind, LineKind::kRow) << p.error;
  EXPECT_EQ(p.label, 1.5);
}

TEST(LibsvmLineTest, SkipsEmptyAndCommentLines) {
  for (const char* line : {"", "   ", "\t", "\r", "# only a comment", "   # indented"}) {
    EXPECT_EQ(Parse(line).kind, LineKind::kSkip) << "'" << line << "'";
  }
}

TEST(LibsvmLineTest, ReadsSubnormalValues) {
  const Parsed p = Parse("1 1:4.9406564584124654e-324 2:-1e-310");
  ASSERT_EQ(p.kind, LineKind::kRow) << p.error;
  EXPECT_EQ(p.value, (std::vector<double>{4.9406564584124654e-324, -1e-310}));
}

TEST(LibsvmLineTest, ZeroBasedIndicesStartAtZero) {
  const Parsed p = Parse("1 0:1 5:2", true);
  ASSERT_EQ(p.kind, LineKind::kRow) << p.error;
  EXPECT_EQ(p.column, (std::vector<std::int32_t>{0, 5}));
}

// Each malformed case gives kError and a description that names the problem.
TEST(LibsvmLineTest, MalformedLinesSayWhatIsWrong) {
  struct Case {
    const char* line;
    const char* needle;
  };
  const Case cases[] = {
      {"abc 1:1", "bad label 'abc'"},
      {"1:2 3:4", "bad label '1:2'"},
      {"nan 1:1", "bad label 'nan'"},
      {"inf 1:1", "bad label 'inf'"},
      {"++1 1:1", "bad label"},
      {"1 5", "feature '5' has no ':'"},
      {"1 1:1 2", "feature '2' has no ':'"},
      {"1 x:1", "bad feature index 'x'"},
      {"1 -3:1", "bad feature index '-3'"},
      {"1 :1", "bad feature index ''"},
      {"1 0:1", "feature index 0 in a file with 1-based indices"},
      {"1 3:1 2:1", "must increase strictly within a line: 2 after 3"},
      {"1 3:1 3:1", "must increase strictly within a line: 3 after 3"},
      {"1 1:abc", "bad value 'abc' of feature 1"},
      {"1 1:", "bad value '' of feature 1"},
      {"1 1:1.5.2", "bad value '1.5.2'"},
      {"1 1:inf", "bad value 'inf'"},
      {"1 1:1e999", "bad value '1e999'"},
      {"1 3000000000:1", "too large"},
  };
  for (const Case& c : cases) {
    const Parsed p = Parse(c.line);
    EXPECT_EQ(p.kind, LineKind::kError) << c.line;
    EXPECT_NE(p.error.find(c.needle), std::string::npos) << c.line << " -> " << p.error;
    EXPECT_EQ(p.error.find('\n'), std::string::npos) << p.error;
  }
}

TEST(LibsvmLineTest, IndexBeyondTheFeatureCountIsAnError) {
  EXPECT_EQ(Parse("1 10:1", false, 10).kind, LineKind::kRow);
  const Parsed p = Parse("1 11:1", false, 10);
  EXPECT_EQ(p.kind, LineKind::kError);
  EXPECT_NE(p.error.find("feature index 11 is beyond the feature count 10"), std::string::npos)
      << p.error;
  EXPECT_EQ(Parse("1 10:1", true, 10).kind, LineKind::kError);  // 0-based: 10 is the 11th
}

}  // namespace
