// The lm-eval results table (eval/lm_eval_table.h): both tables observed in the published logs
// rebuilt byte for byte from their numbers (docs/lm-eval-rules.md §7.2); the reader's rules, which
// are layer_analysis.py's (§7.3), on hand-written lines; and tables written and read back.
#include <gtest/gtest.h>

#include <tuple>

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.h"
#include "eval/lm_eval_table.h"
#include "eval/results_io.h"
#include "table_rows.h"

namespace halo::eval {
namespace {

TaskResult task(std::string name, int version, std::vector<MetricResult> metrics) {
  TaskResult t;
  t.name = std::move(name);
  t.version = version;
  t.metrics = std::move(metrics);
  return t;
}

std::vector<TaskResult> commonsense() {
  return {task("arc_challenge", 1, {{"acc", 0.3993, 0.0143}, {"acc_norm", 0.4317, 0.0145}}),
          task("arc_easy", 1, {{"acc", 0.7231, 0.0092}, {"acc_norm", 0.6957, 0.0094}}),
          task("hellaswag", 1, {{"acc", 0.4606, 0.0050}, {"acc_norm", 0.6044, 0.0049}})};
}

std::vector<TaskResult> retrieval() {
  return {task("fda", 0, {{"contains", 0.7831, std::nullopt}}), task("ruler_qa_squad", 1, {{"4096", 0.5285, std::nullopt}}),
          task("swde", 0, {{"contains", 0.8506, std::nullopt}})};
}

TEST(Table, CommonsenseMatchesThePublishedLog) {
  EXPECT_EQ(format_results_table(commonsense()),
            "|    Tasks    |Version|Filter|n-shot| Metric |   |Value |   |Stderr|\n"
            "|-------------|------:|------|-----:|--------|---|-----:|---|-----:|\n"
            "|arc_challenge|      1|none  |     0|acc     |↑  |0.3993|±  |0.0143|\n"
            "|             |       |none  |     0|acc_norm|↑  |0.4317|±  |0.0145|\n"
            "|arc_easy     |      1|none  |     0|acc     |↑  |0.7231|±  |0.0092|\n"
            "|             |       |none  |     0|acc_norm|↑  |0.6957|±  |0.0094|\n"
            "|hellaswag    |      1|none  |     0|acc     |↑  |0.4606|±  |0.0050|\n"
            "|             |       |none  |     0|acc_norm|↑  |0.6044|±  |0.0049|\n");
}

TEST(Table, RetrievalMatchesThePublishedLog) {
  EXPECT_EQ(format_results_table(retrieval()),
            "|    Tasks     |Version|Filter|n-shot| Metric |   |Value |   |Stderr|\n"
            "|--------------|------:|------|-----:|--------|---|-----:|---|------|\n"
            "|fda           |      0|none  |     0|contains|↑  |0.7831|±  |   N/A|\n"
            "|ruler_qa_squad|      1|none  |     0|4096    |↑  |0.5285|±  |   N/A|\n"
            "|swde          |      0|none  |     0|contains|↑  |0.8506|±  |   N/A|\n");
}

TEST(Table, RulerAtTwoLengthsPrintsOneRowPerLength) {
  // lm-eval --metadata '{"max_seq_lengths":[1024,4096]}': "1024" is not in the task's metric_list,
  // so it has no higher_is_better entry (empty arrow cell) and lm-eval's mean with its stderr;
  // "4096" keeps aggregate_metrics (N/A). Rows sorted by metric name.
  auto rows = format_results_table({task("fda", 0, {{"contains", 0.7831, std::nullopt}}),
                                    task("ruler_qa_squad", 1,
                                         {{"1024", 0.6, 0.02, true, false}, {"4096", 0.5285, std::nullopt}}),
                                    task("swde", 0, {{"contains", 0.8506, std::nullopt}})});
  EXPECT_EQ(rows,
            "|    Tasks     |Version|Filter|n-shot| Metric |   |Value |   |Stderr|\n"
            "|--------------|------:|------|-----:|--------|---|-----:|---|------|\n"
            "|fda           |      0|none  |     0|contains|↑  |0.7831|±  |   N/A|\n"
            "|ruler_qa_squad|      1|none  |     0|1024    |   |0.6000|±  |0.0200|\n"
            "|              |       |none  |     0|4096    |↑  |0.5285|±  |   N/A|\n"
            "|swde          |      0|none  |     0|contains|↑  |0.8506|±  |   N/A|\n");
  // layer_analysis.py's regex wants the arrow: it skips the 1024 row, which names the task, so the
  // 4096 row (empty task cell) joins the last task it did read, fda. Its retrieval average is the
  // plain mean of every value read, so that attribution does not change it.
  std::vector<std::tuple<std::string, std::string, double>> parsed;
  for (const TableRow& row : parse_results_table(rows, "table")) parsed.emplace_back(row.task, row.metric, row.value);
  EXPECT_EQ(parsed, (std::vector<std::tuple<std::string, std::string, double>>{
                        {"fda", "contains", 0.7831}, {"fda", "4096", 0.5285}, {"swde", "contains", 0.8506}}));
  // No document of length 4096 (a --limit within the first length): lm-eval passes the integer -1
  // itself, not "%.4f", and pytablewriter prints it in the column's format.
  rows = format_results_table({task("fda", 0, {{"contains", 0.7831, std::nullopt}}),
                               task("ruler_qa_squad", 1,
                                    {{"1024", 0.6, 0.02, true, false}, {"4096", -1, std::nullopt, true, true, true}})});
  EXPECT_NE(rows.find("|              |       |none  |     0|4096    |↑  |-1.0000|±  |   N/A|\n"), std::string::npos)
      << rows;
}

TEST(Table, ValuesRoundHalfEvenOnTheBinaryValue) {
  // 0.12355 is stored as 0.12354999...; 0.00025 as 0.000250000...05 (like C printf, not "half up").
  auto rows = format_results_table({task("t", 0, {{"m", 0.12355, 0.00025}})});
  EXPECT_NE(rows.find("|0.1235|±  |0.0003|"), std::string::npos) << rows;
}

// pytablewriter re-types lm-eval's "%.4f" strings and re-formats number columns (table.cc): a cell's
// decimal places are those of Python's repr of its double ("0.3000" → 0.3 → 1; "1.0000" and
// "0.0000" are integers → 0) and a column prints them all with the largest count. The expected
// strings below are worked out by hand from that rule (DataProperty 1.1 / typepy 1.3 source).

TEST(Table, ValuesEndingInZeroLoseTheirZerosLikeARealLimit10Run) {
  // The table lm-eval 0.4.x printed for hellaswag, arc_easy, winogrande with --limit 10.
  // Value: 0.4000, 0.3000, 0.3000, 0.3000, 0.7000 → 1 decimal each → "%.1f"; width = "Value" (5).
  // Stderr: 0.1633, 0.1528 → 4 decimals → unchanged.
  auto text = format_results_table({task("arc_easy", 1, {{"acc", 0.4, 0.1633}, {"acc_norm", 0.3, 0.1528}}),
                                    task("hellaswag", 1, {{"acc", 0.3, 0.1528}, {"acc_norm", 0.3, 0.1528}}),
                                    task("winogrande", 1, {{"acc", 0.7, 0.1528}})});
  EXPECT_EQ(text,
            "|  Tasks   |Version|Filter|n-shot| Metric |   |Value|   |Stderr|\n"
            "|----------|------:|------|-----:|--------|---|----:|---|-----:|\n"
            "|arc_easy  |      1|none  |     0|acc     |↑  |  0.4|±  |0.1633|\n"
            "|          |       |none  |     0|acc_norm|↑  |  0.3|±  |0.1528|\n"
            "|hellaswag |      1|none  |     0|acc     |↑  |  0.3|±  |0.1528|\n"
            "|          |       |none  |     0|acc_norm|↑  |  0.3|±  |0.1528|\n"
            "|winogrande|      1|none  |     0|acc     |↑  |  0.7|±  |0.1528|\n");
  auto read = testing::rows_by_task(text);  // layer_analysis.py reads "  0.4" as 0.4
  EXPECT_EQ(read["arc_easy"], (std::vector<std::pair<std::uint64_t, double>>{{0, 0.4}, {0, 0.3}}));
}

TEST(Table, IntegerValuedCellsMixWithDecimalsOrPrintAsIntegers) {
  // Value: 0.3000, 0.5000 (1 decimal) with 1.0000, 0.0000 (integers, 0) → a real-number column with
  // 1 decimal: 0.3, 0.5, 1.0, 0.0. Stderr: 0.1528, 0.1667 (4) with 0.0000 twice → 4 decimals.
  EXPECT_EQ(format_results_table({task("arc_challenge", 1, {{"acc", 0.3, 0.1528}, {"acc_norm", 0.5, 0.1667}}),
                                  task("arc_easy", 1, {{"acc", 1.0, 0.0}, {"acc_norm", 0.0, 0.0}})}),
            "|    Tasks    |Version|Filter|n-shot| Metric |   |Value|   |Stderr|\n"
            "|-------------|------:|------|-----:|--------|---|----:|---|-----:|\n"
            "|arc_challenge|      1|none  |     0|acc     |↑  |  0.3|±  |0.1528|\n"
            "|             |       |none  |     0|acc_norm|↑  |  0.5|±  |0.1667|\n"
            "|arc_easy     |      1|none  |     0|acc     |↑  |  1.0|±  |0.0000|\n"
            "|             |       |none  |     0|acc_norm|↑  |  0.0|±  |0.0000|\n");
  // Only integers (a real --limit 2 run): integer columns, printed "{:d}": 0, 1.
  EXPECT_EQ(format_results_table({task("arc_easy", 1, {{"acc", 0.0, 0.0}, {"acc_norm", 1.0, 0.0}}),
                                  task("hellaswag", 1, {{"acc", 0.0, 0.0}, {"acc_norm", 0.0, 0.0}})}),
            "|  Tasks  |Version|Filter|n-shot| Metric |   |Value|   |Stderr|\n"
            "|---------|------:|------|-----:|--------|---|----:|---|-----:|\n"
            "|arc_easy |      1|none  |     0|acc     |↑  |    0|±  |     0|\n"
            "|         |       |none  |     0|acc_norm|↑  |    1|±  |     0|\n"
            "|hellaswag|      1|none  |     0|acc     |↑  |    0|±  |     0|\n"
            "|         |       |none  |     0|acc_norm|↑  |    0|±  |     0|\n");
}

TEST(Table, AColumnPrintsItsLargestDecimalCount) {
  // 0.7830, 0.5280 → 3 decimals, 0.8500 → 2: all "%.3f" (0.850 keeps one zero).
  EXPECT_EQ(format_results_table({task("fda", 0, {{"contains", 0.783, std::nullopt}}),
                                  task("ruler_qa_squad", 1, {{"4096", 0.528, std::nullopt}}),
                                  task("swde", 0, {{"contains", 0.85, std::nullopt}})}),
            "|    Tasks     |Version|Filter|n-shot| Metric |   |Value|   |Stderr|\n"
            "|--------------|------:|------|-----:|--------|---|----:|---|------|\n"
            "|fda           |      0|none  |     0|contains|↑  |0.783|±  |   N/A|\n"
            "|ruler_qa_squad|      1|none  |     0|4096    |↑  |0.528|±  |   N/A|\n"
            "|swde          |      0|none  |     0|contains|↑  |0.850|±  |   N/A|\n");
  // One 4-decimal cell keeps the whole column at 4: 0.5000 stays "0.5000".
  auto text = format_results_table({task("t", 1, {{"acc", 0.5, 0.0050}, {"acc_norm", 0.4317, 0.0145}})});
  EXPECT_NE(text.find("|0.5000|±  |0.0050|"), std::string::npos) << text;
}

TEST(Table, StderrColumnWithNATypesItsCellsInOrder) {
  // "   N/A" makes Stderr a text column (left-aligned), but its number cells are still re-formatted,
  // with the decimals of the column's number cells, and right-aligned one by one. Cells in order:
  //   0.0000 → integer (types so far: integer 1)                        → "0", right
  //   N/A    → text (integer 1, text 1)
  //   0.0050 → the most common type so far is integer (first on the tie), which takes no str at
  //            its top strict level → typed afresh: real, 3 decimals     → "%.3f" "0.005", right
  //   N/A    → text (integer 1, text 2, real 1)
  //   0.1234 → the most common type is now text, which takes any non-blank str → printed as is, left
  // Column decimals: max(0, 3) = 3. Value: 1.0000 (0), 0.5000 (1), 0.2500, 0.7500 (2), 0.6000 (1)
  // → a real-number column with 2 decimals.
  EXPECT_EQ(format_results_table({task("arc_easy", 1, {{"acc", 1.0, 0.0}}),
                                  task("fda", 0, {{"contains", 0.5, std::nullopt}}),
                                  task("hellaswag", 1, {{"acc", 0.25, 0.005}}),
                                  task("swde", 0, {{"contains", 0.75, std::nullopt}}),
                                  task("winogrande", 1, {{"acc", 0.6, 0.1234}})}),
            "|  Tasks   |Version|Filter|n-shot| Metric |   |Value|   |Stderr|\n"
            "|----------|------:|------|-----:|--------|---|----:|---|------|\n"
            "|arc_easy  |      1|none  |     0|acc     |↑  | 1.00|±  |     0|\n"
            "|fda       |      0|none  |     0|contains|↑  | 0.50|±  |   N/A|\n"
            "|hellaswag |      1|none  |     0|acc     |↑  | 0.25|±  | 0.005|\n"
            "|swde      |      0|none  |     0|contains|↑  | 0.75|±  |   N/A|\n"
            "|winogrande|      1|none  |     0|acc     |↑  | 0.60|±  |0.1234|\n");
}

TEST(Table, TheReaderReadsOurTables) {
  auto cs = testing::rows_by_task(results_report({commonsense(), "m", "bf16", {}, 0, 0}, "pretrained=m", "16"));
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs["arc_challenge"], (std::vector<std::pair<std::uint64_t, double>>{{0, 0.3993}, {0, 0.4317}}));
  EXPECT_EQ(cs["arc_easy"], (std::vector<std::pair<std::uint64_t, double>>{{0, 0.7231}, {0, 0.6957}}));
  EXPECT_EQ(cs["hellaswag"], (std::vector<std::pair<std::uint64_t, double>>{{0, 0.4606}, {0, 0.6044}}));
  auto rt = testing::rows_by_task(format_results_table(retrieval()));
  ASSERT_EQ(rt.size(), 3u);
  EXPECT_EQ(rt["fda"], (std::vector<std::pair<std::uint64_t, double>>{{0, 0.7831}}));
  EXPECT_EQ(rt["ruler_qa_squad"], (std::vector<std::pair<std::uint64_t, double>>{{4096, 0.5285}}));
  EXPECT_EQ(rt["swde"], (std::vector<std::pair<std::uint64_t, double>>{{0, 0.8506}}));
}

TEST(Table, RulerAloneIsRightAlignedLikePytablewriter) {
  // A numeric-only Metric column is typed as a number (docs/lm-eval-rules.md §7.2, the parser
  // pitfall): layer_analysis.py's pattern, and so the reader, misses it.
  auto text = format_results_table({task("ruler_qa_squad", 1, {{"4096", 0.5, std::nullopt}})});
  EXPECT_NE(text.find("|  4096|"), std::string::npos) << text;
  EXPECT_TRUE(testing::rows_by_task(text).empty());
  // Ruler before a text metric: "4096" is typed a number first, so it stays right-aligned inside the
  // text column ("contains" comes after it); with fda first it would be typed text (see above).
  text = format_results_table({task("ruler_qa_squad", 1, {{"4096", 0.5, std::nullopt}}),
                               task("swde", 0, {{"contains", 0.5, std::nullopt}})});
  EXPECT_NE(text.find("|    4096|"), std::string::npos) << text;
  EXPECT_NE(text.find("|contains|"), std::string::npos) << text;
}

TEST(Report, HeaderLineTableAndBlankLine) {
  EvalResults results{retrieval(), "fake", "bf16", std::nullopt, 0, 0};
  std::string report = results_report(results, "pretrained=/models/qwen3,dtype=bfloat16", "1");
  EXPECT_EQ(report.substr(0, report.find('\n')),
            "hf (pretrained=/models/qwen3,dtype=bfloat16), gen_kwargs: (None), limit: None, num_fewshot: 0, "
            "batch_size: 1");
  EXPECT_EQ(report.substr(report.size() - 3), "|\n\n");
  EXPECT_EQ(results_header_line("x", 10, "16"), "hf (x), gen_kwargs: (None), limit: 10.0, num_fewshot: 0, batch_size: 16");
}

TEST(ResultsJson, EveryMetricWithStderrAndRunFacts) {
  EvalResults results{commonsense(), "qwen3 28 layers", "bf16", 5, 0xabcdefull, 1.5};
  results.tasks[0].num_samples = 5;
  auto j = results_json(results, "pretrained=m");
  EXPECT_EQ(j["model"], "qwen3 28 layers");
  EXPECT_EQ(j["input_hash"], "0000000000abcdef");
  EXPECT_EQ(j["limit"], 5);
  EXPECT_EQ(j["tasks"]["arc_challenge"]["num_samples"], 5);
  EXPECT_EQ(j["tasks"]["arc_challenge"]["metrics"]["acc_norm"]["value"], 0.4317);
  EXPECT_EQ(j["tasks"]["arc_challenge"]["metrics"]["acc_norm"]["stderr"], 0.0145);
  auto r = results_json({retrieval(), "m", "fp32", std::nullopt, 0, 0}, "x");
  EXPECT_EQ(r["tasks"]["fda"]["metrics"]["contains"]["stderr"], "N/A");
  EXPECT_TRUE(r["limit"].is_null());
}

// ---- Reading: layer_analysis.py's row pattern and its quirks (docs/lm-eval-rules.md §7.3) ----

// The published 2B original's commonsense log, as its last lines are, after the kind of noise the
// published logs carry: log lines with '|' inside, tqdm bars joined by '\r'.
const std::string kPublishedCommonsense =
    "2025-11-30:19:08:21 INFO     [evaluator:185] Setting random seed to 0 | Setting numpy seed to 1234\n"
    "Loading checkpoint shards:   0%|          | 0/2 [00:00<?, ?it/s]\r"
    "Loading checkpoint shards:  50%|#####     | 1/2 [00:02<00:02,  2.67s/it]\n"
    "Running loglikelihood requests: 100%|##########| 5000/5000 [01:02<00:00, 80.1it/s]\n"
    "hf (pretrained=/m,dtype=bfloat16), gen_kwargs: (None), limit: None, num_fewshot: 0, batch_size: 16\n"
    "|    Tasks    |Version|Filter|n-shot| Metric |   |Value |   |Stderr|\n"
    "|-------------|------:|------|-----:|--------|---|-----:|---|-----:|\n"
    "|arc_challenge|      1|none  |     0|acc     |↑  |0.3993|±  |0.0143|\n"
    "|             |       |none  |     0|acc_norm|↑  |0.4317|±  |0.0145|\n"
    "|arc_easy     |      1|none  |     0|acc     |↑  |0.7231|±  |0.0092|\n"
    "|             |       |none  |     0|acc_norm|↑  |0.6957|±  |0.0094|\n"
    "|hellaswag    |      1|none  |     0|acc     |↑  |0.4606|±  |0.0050|\n"
    "|             |       |none  |     0|acc_norm|↑  |0.6044|±  |0.0049|\n\n";

TEST(Reader, ReadsThePublishedTableWithContinuationRowsAmidNoise) {
  auto rows = parse_results_table(kPublishedCommonsense, "cs.log");
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].task, "arc_challenge");
  EXPECT_TRUE(rows[0].names_task);
  EXPECT_EQ(rows[0].metric, "acc");
  EXPECT_EQ(rows[0].line, 8u);  // the bar's '\r' ends a line too
  EXPECT_EQ(rows[1].task, "arc_challenge");  // empty task cell: belongs to the task above
  EXPECT_FALSE(rows[1].names_task);
  EXPECT_EQ(rows[1].metric, "acc_norm");
  EXPECT_EQ(rows[1].value, 0.4317);
  EXPECT_EQ(rows[5].task, "hellaswag");
  EXPECT_EQ(rows[5].value, 0.6044);
}

TEST(Reader, CarriageReturnsEndLinesLikePythonUniversalNewlines) {
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

TEST(Reader, OnlyLinesStartingWithABarCount) {
  auto rows = parse_results_table("noise |fda|0|none|0|contains|\u2191|0.5|\n"
                                  "   \t|swde|0|none|0|contains|\u2191|0.25|\n", "x.log");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].task, "swde");
}

TEST(Reader, TheMatchMayStartAtALaterBar) {
  // From the first bar the version cell would be "fda"; the search retries from the next bar.
  auto rows = parse_results_table("|x|fda|0|none|0|contains|\u2191|0.5|\n", "x.log");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].task, "fda");
  EXPECT_EQ(rows[0].value, 0.5);
}

TEST(Reader, RowsThePatternRejects) {
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
      "|fda|0|none|0|contains|\u2191|nano|",       // ... and "nan" alone is not "nano"
      "||0|none|0|contains|\u2191|0.5|",           // task cell must not be empty
  };
  for (const char* line : rejected) {
    EXPECT_TRUE(parse_results_table(line, "x.log").empty()) << line;
  }
}

TEST(Reader, ValuesParseLikePythonFloat) {
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

TEST(Reader, NonFiniteValuesAreRowsWithThatValue) {
  // layer_analysis.py's pattern wants digits and would drop these rows (the task would look
  // missing); the reader returns them so that a caller can say the value is NaN.
  auto rows = parse_results_table(
      "|fda           |      0|none  |     0|contains|\u2191  |nan   |\u00b1  |   N/A|\n"
      "|ruler_qa_squad|      1|none  |     0|4096    |\u2191  |   inf|\u00b1  |   N/A|\n"
      "|swde          |      0|none  |     0|contains|\u2191  |-Infinity\n"
      "|x|0|none|0|m|\u2191|NaN|\n",
      "x.log");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].task, "fda");
  EXPECT_TRUE(std::isnan(rows[0].value));
  EXPECT_EQ(rows[0].line, 1u);
  EXPECT_EQ(rows[1].metric, "4096");
  EXPECT_EQ(rows[1].value, std::numeric_limits<double>::infinity());
  EXPECT_EQ(rows[2].value, -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(rows[3].value));
}

TEST(Reader, ContinuationRowsBeforeAnyTaskAreDropped) {
  auto rows = parse_results_table("|   |  |none|0|acc|\u2191|0.5|\n|t|1|none|0|acc|\u2191|0.25|\n"
                                  "|   |  |none|0|acc_norm|\u2191|0.75|\n", "x.log");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].metric, "acc");
  EXPECT_EQ(rows[0].value, 0.25);
  EXPECT_EQ(rows[1].task, "t");
}

TEST(Reader, OutOfRangeValueIsAnError) {
  const std::string huge(400, '9');
  try {
    parse_results_table("\n|a|0|none|0|m|\u2191|" + huge + "|\n", "big.log");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("big.log:2:"), std::string::npos) << e.what();
  }
}

TEST(Reader, MetricContextIsPythonInt) {
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

// ---- Writing, then reading: the one format, both ways ----

TEST(RoundTrip, WrittenTablesReadBackAsTheSameRows) {
  // Tables as lm-eval prints them for the sweep (both suites, and all six tasks in one run as the
  // published 8B original's retrieval run did), a --limit run whose values lose their zeros, a
  // run with integer-valued cells, and a variant whose result is NaN. Values have at most four
  // decimals, so the printed text reads back as the same double.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<TaskResult> six = commonsense();
  for (TaskResult& t : retrieval()) six.push_back(std::move(t));
  std::sort(six.begin(), six.end(), [](const TaskResult& a, const TaskResult& b) { return a.name < b.name; });
  const std::vector<std::vector<TaskResult>> tables = {
      commonsense(),
      retrieval(),
      six,
      {task("arc_easy", 1, {{"acc", 0.4, 0.1633}, {"acc_norm", 0.3, 0.1528}}),
       task("hellaswag", 1, {{"acc", 1.0, 0.0}, {"acc_norm", 0.0, 0.0}})},
      {task("fda", 0, {{"contains", 0.783, std::nullopt}}),
       task("ruler_qa_squad", 1, {{"4096", nan, std::nullopt}}),
       task("swde", 0, {{"contains", 0.85, std::nullopt}})},
  };
  for (const auto& tasks : tables) {
    const std::string text = results_report({tasks, "m", "bf16", {}, 0, 0}, "pretrained=m", "16");
    const std::vector<TableRow> rows = parse_results_table(text, "written");
    std::size_t i = 0;
    for (const TaskResult& t : tasks) {
      for (std::size_t m = 0; m < t.metrics.size(); ++m, ++i) {
        ASSERT_LT(i, rows.size()) << text;
        EXPECT_EQ(rows[i].task, t.name) << text;
        EXPECT_EQ(rows[i].names_task, m == 0) << text;
        EXPECT_EQ(rows[i].metric, t.metrics[m].name) << text;
        if (std::isnan(t.metrics[m].value)) {
          EXPECT_TRUE(std::isnan(rows[i].value)) << text;
        } else {
          EXPECT_EQ(rows[i].value, t.metrics[m].value) << text;
        }
      }
    }
    EXPECT_EQ(rows.size(), i) << text;
  }
}

}  // namespace
}  // namespace halo::eval
