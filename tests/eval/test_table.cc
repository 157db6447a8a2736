// The printed results: both tables observed in the published logs (spec §7.2) rebuilt byte for byte
// from their numbers, and read back with layer_analysis.py's regex (spec §7.3).
#include <gtest/gtest.h>

#include "eval/results_io.h"
#include "eval/table.h"
#include "table_parser.h"

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

TEST(Table, ValuesRoundHalfEvenOnTheBinaryValue) {
  // 0.12355 is stored as 0.12354999...; 0.00025 as 0.000250000...05 (like C printf, not "half up").
  auto rows = format_results_table({task("t", 0, {{"m", 0.12355, 0.00025}})});
  EXPECT_NE(rows.find("|0.1235|±  |0.0003|"), std::string::npos) << rows;
}

TEST(Table, LayerAnalysisRegexReadsOurTables) {
  auto cs = testing::parse_lm_eval_table(results_report({commonsense(), "m", "bf16", {}, 0, 0}, "pretrained=m", "16"));
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs["arc_challenge"], (std::vector<std::pair<int, double>>{{0, 0.3993}, {0, 0.4317}}));
  EXPECT_EQ(cs["arc_easy"], (std::vector<std::pair<int, double>>{{0, 0.7231}, {0, 0.6957}}));
  EXPECT_EQ(cs["hellaswag"], (std::vector<std::pair<int, double>>{{0, 0.4606}, {0, 0.6044}}));
  auto rt = testing::parse_lm_eval_table(format_results_table(retrieval()));
  ASSERT_EQ(rt.size(), 3u);
  EXPECT_EQ(rt["fda"], (std::vector<std::pair<int, double>>{{0, 0.7831}}));
  EXPECT_EQ(rt["ruler_qa_squad"], (std::vector<std::pair<int, double>>{{4096, 0.5285}}));
  EXPECT_EQ(rt["swde"], (std::vector<std::pair<int, double>>{{0, 0.8506}}));
}

TEST(Table, RulerAloneIsRightAlignedLikePytablewriter) {
  // A numeric-only Metric column is typed as a number (spec §7.2 parser pitfall): the regex misses it.
  auto text = format_results_table({task("ruler_qa_squad", 1, {{"4096", 0.5, std::nullopt}})});
  EXPECT_NE(text.find("|  4096|"), std::string::npos) << text;
  EXPECT_TRUE(testing::parse_lm_eval_table(text).empty());
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

}  // namespace
}  // namespace halo::eval
