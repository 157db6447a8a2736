// The lm-eval table parser: layer_analysis.py's row pattern and its quirks (spec §7.3).
#include <gtest/gtest.h>

#include "base/error.h"
#include "select/results_table.h"
#include "sweep_fixture.h"

namespace halo::select {
namespace {

TEST(ResultsTable, ReadsTheObservedTablesWithContinuationRows) {
  auto rows = parse_results_table(testing::commonsense_log(0.4317, 0.6957, 0.6044), "cs.log");
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].task, "arc_challenge");
  EXPECT_TRUE(rows[0].names_task);
  EXPECT_EQ(rows[0].metric, "acc");
  EXPECT_EQ(rows[1].task, "arc_challenge");  // empty task cell: belongs to the task above
  EXPECT_FALSE(rows[1].names_task);
  EXPECT_EQ(rows[1].metric, "acc_norm");
  EXPECT_EQ(rows[1].value, 0.4317);
  EXPECT_EQ(rows[5].task, "hellaswag");
  EXPECT_EQ(rows[5].value, 0.6044);

  rows = parse_results_table(testing::retrieval_log(0.7831, 0.5285, 0.8506), "rt.log");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].task, "ruler_qa_squad");
  EXPECT_EQ(rows[1].metric, "4096");
  EXPECT_EQ(rows[1].value, 0.5285);
}

TEST(ResultsTable, CarriageReturnsEndLinesLikePythonUniversalNewlines) {
  // A tqdm bar overwritten in place, then the row: Python reads the row as its own line.
  auto rows = parse_results_table(
      "bar 10%|#   |\r|fda|0|none|0|contains|\u2191|0.5|\u00b1|N/A|\r\n"
      "|swde|0|none|0|contains|\u2191|0.25|", "x.log");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].task, "fda");
  EXPECT_EQ(rows[0].line, 2u);
  EXPECT_EQ(rows[1].task, "swde");
  EXPECT_EQ(rows[1].line, 3u);
}

TEST(ResultsTable, OnlyLinesStartingWithABarCount) {
  auto rows = parse_results_table("noise |fda|0|none|0|contains|\u2191|0.5|\n"
                                  "   \t|swde|0|none|0|contains|\u2191|0.25|\n", "x.log");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].task, "swde");
}

TEST(ResultsTable, TheMatchMayStartAtALaterBar) {
  // From the first bar the version cell would be "fda"; the search retries from the next bar.
  auto rows = parse_results_table("|x|fda|0|none|0|contains|\u2191|0.5|\n", "x.log");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].task, "fda");
  EXPECT_EQ(rows[0].value, 0.5);
}

TEST(ResultsTable, RowsThePatternRejects) {
  const char* rejected[] = {
      "|    Tasks    |Version|Filter|n-shot| Metric |   |Value |   |Stderr|",
      "|-------------|------:|------|-----:|--------|---|-----:|---|-----:|",
      "|ruler|1|none|0|  4096|\u2191|0.5|",        // right-aligned metric: no word at the bar
      "|fda|0|none|0|contains|\u2193|0.5|",        // lower-is-better arrow
      "|fda|0|none| |contains|\u2191|0.5|",        // n-shot must have digits
      "|fda|v1|none|0|contains|\u2191|0.5|",       // version must be digits or blank
      "|fda|0|none|0|contains x|\u2191|0.5|",      // metric: one word, then only spaces
      "|fda|0|none|0|contains|\u2191 x|0.5|",      // arrow cell: the arrow, then only spaces
      "|fda|0|none|0|contains|\u2191|N/A|",        // value must be a number
      "||0|none|0|contains|\u2191|0.5|",           // task cell must not be empty
  };
  for (const char* line : rejected) {
    EXPECT_TRUE(parse_results_table(line, "x.log").empty()) << line;
  }
}

TEST(ResultsTable, ValuesParseLikePythonFloat) {
  auto rows = parse_results_table(
      "|a|0|none|0|m|\u2191|+0.5|\n|b|0|none|0|m|\u2191|-0.1250|\n|c|0|none|0|m|\u2191|  7.|\n"
      "|d|0|none|0|m|\u2191|0.1234567890123456789|\n",
      "x.log");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].value, 0.5);
  EXPECT_EQ(rows[1].value, -0.125);
  EXPECT_EQ(rows[2].value, 7.0);  // "\d+(\.\d+)?" stops before a bare '.'
  EXPECT_EQ(rows[3].value, 0.1234567890123456789);
}

TEST(ResultsTable, ContinuationRowsBeforeAnyTaskAreDropped) {
  auto rows = parse_results_table("|   |  |none|0|acc|\u2191|0.5|\n|t|1|none|0|acc|\u2191|0.25|\n"
                                  "|   |  |none|0|acc_norm|\u2191|0.75|\n", "x.log");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].metric, "acc");
  EXPECT_EQ(rows[0].value, 0.25);
  EXPECT_EQ(rows[1].task, "t");
}

TEST(ResultsTable, OutOfRangeValueIsAnError) {
  const std::string huge(400, '9');
  try {
    parse_results_table("\n|a|0|none|0|m|\u2191|" + huge + "|\n", "big.log");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("big.log:2:"), std::string::npos) << e.what();
  }
}

TEST(ResultsTable, MetricContextIsPythonInt) {
  EXPECT_EQ(metric_context("4096"), 4096u);
  EXPECT_EQ(metric_context("1_000"), 1000u);
  EXPECT_EQ(metric_context("acc"), 0u);
  EXPECT_EQ(metric_context("acc_norm"), 0u);
  EXPECT_EQ(metric_context("_1"), 0u);
  EXPECT_EQ(metric_context("1_"), 0u);
  EXPECT_EQ(metric_context("1__0"), 0u);
  EXPECT_EQ(metric_context("4096k"), 0u);
  EXPECT_THROW(metric_context("99999999999999999999999"), Error);
}

}  // namespace
}  // namespace halo::select
