// Averages, HALO / Jet-Nemotron scores, ranking and selection on hand-made tables, and the
// reference script's output formats.
#include <gtest/gtest.h>

#include "base/error.h"
#include "eval/lm_eval_table.h"
#include "select/importance.h"
#include "select/ranking.h"
#include "select/reference_output.h"

namespace halo::select {
namespace {

SuiteResults rows(std::vector<TableRow> r) { return SuiteResults{"hand.log", std::move(r)}; }
TableRow row(const char* task, bool first, const char* metric, double value) {
  return TableRow{task, first, metric, value, 0};
}

TEST(SuiteAverage, CommonsenseDropsTheFirstRowOfEachTask) {
  auto avg = suite_average(rows({row("a", true, "acc", 0.9), row("a", false, "acc_norm", 0.3),
                                 row("b", true, "acc", 0.9), row("b", false, "acc_norm", 0.6)}),
                           Suite::commonsense, "layer 0");
  EXPECT_EQ(avg.value, (0.3 + 0.6) / 2);
  EXPECT_EQ(avg.kept, (std::vector<std::string>{"a/acc_norm", "b/acc_norm"}));
}

TEST(SuiteAverage, RowsAreSortedStablyByContextBeforeTheFirstIsDropped) {
  // "4096" has context 4096 and "acc" context 0, so acc sorts first and is the one dropped.
  auto avg = suite_average(rows({row("a", true, "4096", 0.2), row("a", false, "acc", 0.9)}),
                           Suite::commonsense, "layer 0");
  EXPECT_EQ(avg.value, 0.2);
  EXPECT_EQ(avg.kept, std::vector<std::string>{"a/4096"});
}

TEST(SuiteAverage, RetrievalKeepsEveryRowAndDropsNegativeValues) {
  auto avg = suite_average(rows({row("fda", true, "contains", 0.5), row("ruler", true, "8192", -1),
                                 row("ruler", false, "4096", 0.25), row("swde", true, "contains", 0.75)}),
                           Suite::retrieval, "original");
  EXPECT_EQ(avg.value, (0.5 + 0.25 + 0.75) / 3);
  EXPECT_EQ(avg.kept, (std::vector<std::string>{"fda/contains", "ruler/4096", "swde/contains"}));
}

TEST(SuiteAverage, RetrievalLogWithSeveralRulerLengthsAsHaloEvalPrintsIt) {
  // halo eval --ruler-lengths 1024,4096,8192 prints lm-eval's table: a row per length, "1024"
  // without the arrow (it is outside the task's metric_list). layer_analysis.py's regex needs the
  // arrow, so that row is not read; the 4096 and 8192 rows (empty task cell) then join fda, the
  // last task read. The retrieval average is the plain mean of every value read either way.
  auto task = [](std::string name, int version, std::vector<eval::MetricResult> metrics) {
    eval::TaskResult t;
    t.name = std::move(name);
    t.version = version;
    t.metrics = std::move(metrics);
    return t;
  };
  const std::string table = eval::format_results_table(
      {task("fda", 0, {{"contains", 0.7831, std::nullopt}}),
       task("ruler_qa_squad", 1,
            {{"1024", 0.6, 0.02, true, false}, {"4096", 0.5285, std::nullopt}, {"8192", 0.4, std::nullopt}}),
       task("swde", 0, {{"contains", 0.8506, std::nullopt}})});
  SuiteResults suite{"retrieval_eval.log", eval::parse_results_table(table, "retrieval_eval.log")};
  ASSERT_EQ(suite.rows.size(), 4u) << table;
  EXPECT_EQ(suite.rows[1].task, "fda");
  EXPECT_EQ(suite.rows[1].metric, "4096");
  auto avg = suite_average(suite, Suite::retrieval, "layer 0");
  EXPECT_DOUBLE_EQ(avg.value, (0.7831 + 0.5285 + 0.4 + 0.8506) / 4);
  EXPECT_EQ(avg.kept, (std::vector<std::string>{"fda/contains", "fda/4096", "fda/8192", "swde/contains"}));
}

TEST(SuiteAverage, ATaskWithNothingLeftIsAnErrorNamingIt) {
  try {
    suite_average(rows({row("a", true, "acc", 0.9), row("a", false, "acc_norm", 0.3),
                        row("hellaswag", true, "acc", 0.9)}),
                  Suite::commonsense, "layer 4");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("hand.log: layer 4: task hellaswag"), std::string::npos) << m;
  }
}

// cs = [0.5, 0.6, 0.55, 0.4], rt = [0.7, 0.5, 0.6, 0.8]: cs_max 0.6 (layer 1), rt_max 0.8 (layer 3).
SweepAverages hand_averages() {
  SweepAverages a;
  a.cs_original = 0.58;
  a.rt_original = 0.75;
  a.cs = {0.5, 0.6, 0.55, 0.4};
  a.rt = {0.7, 0.5, 0.6, 0.8};
  return a;
}

TEST(Importance, HaloMath) {
  auto s = importance(hand_averages(), Mode::halo, "hand");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_NEAR(s[0], 0.999999999, 1e-12);  // (0.8 - 0.7) / (0.6 - 0.5 + 1e-10)
  EXPECT_EQ(s[1], 50.0);                   // 0.3 / 1e-10, clipped
  EXPECT_NEAR(s[2], 3.999999992, 1e-12);  // (0.8 - 0.6) / (0.6 - 0.55 + 1e-10)
  EXPECT_EQ(s[3], 0.0);                    // the best retrieval: 0 / 0.2
  EXPECT_EQ(rank_layers(s), (std::vector<int>{1, 2, 0, 3}));
}

TEST(Importance, BestCommonsenseAndBestRetrievalScoresZero) {
  SweepAverages a = hand_averages();
  a.rt = {0.7, 0.9, 0.6, 0.8};  // layer 1 now has both maxima: 0 / 1e-10
  auto s = importance(a, Mode::halo, "hand");
  EXPECT_EQ(s[1], 0.0);
  EXPECT_NEAR(s[3], 0.49999999975, 1e-12);  // (0.9 - 0.8) / (0.6 - 0.4 + 1e-10)
}

TEST(Importance, JetNemotronIsTheRetrievalDropFromTheOriginal) {
  auto s = importance(hand_averages(), Mode::jet_nemotron, "hand");
  EXPECT_EQ(s, (std::vector<double>{0.75 - 0.7, 0.75 - 0.5, 0.75 - 0.6, 0.75 - 0.8}));
  EXPECT_LT(s[3], 0);  // better than the original: negative, not clipped
  EXPECT_EQ(rank_layers(s), (std::vector<int>{1, 2, 0, 3}));
}

TEST(Importance, UninformativeScoresAreErrors) {
  SweepAverages one = hand_averages();
  one.cs = {0.5};
  one.rt = {0.7};
  EXPECT_THROW(importance(one, Mode::halo, "hand"), Error);

  SweepAverages flat_rt = hand_averages();
  flat_rt.rt = {0.7, 0.7, 0.7, 0.7};
  for (Mode m : {Mode::halo, Mode::jet_nemotron}) {
    try {
      importance(flat_rt, m, "hand");
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("same retrieval average"), std::string::npos);
    }
  }

  SweepAverages flat_cs = hand_averages();
  flat_cs.cs = {0.5, 0.5, 0.5, 0.5};
  try {
    importance(flat_cs, Mode::halo, "hand");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1e-10"), std::string::npos) << e.what();
  }
  // Jet-Nemotron ignores commonsense, so a flat commonsense is fine there.
  EXPECT_NO_THROW(importance(flat_cs, Mode::jet_nemotron, "hand"));
}

TEST(Mode, ParsesEitherCase) {
  EXPECT_EQ(parse_mode("HALO"), Mode::halo);
  EXPECT_EQ(parse_mode("halo"), Mode::halo);
  EXPECT_EQ(parse_mode("Jet-Nemotron"), Mode::jet_nemotron);
  EXPECT_THROW(parse_mode("jet"), Error);
}

TEST(Ranking, TiesGoToTheLowerLayer) {
  EXPECT_EQ(rank_layers({1, 2, 2, 0, 2}), (std::vector<int>{1, 2, 4, 0, 3}));
}

TEST(Ranking, RatioRoundsHalfUp) {
  EXPECT_EQ(count_from_ratio(0.25, 28), 7);
  EXPECT_EQ(count_from_ratio(0.25, 36), 9);
  EXPECT_EQ(count_from_ratio(0.25, 26), 7);   // 6.5
  EXPECT_EQ(count_from_ratio(0.25, 30), 8);   // 7.5
  EXPECT_EQ(count_from_ratio(0.35, 10), 4);   // 3.4999999999999996 in binary: still the half
  EXPECT_EQ(count_from_ratio(0.2, 28), 6);    // 5.6
  EXPECT_EQ(count_from_ratio(1.0, 28), 28);
  EXPECT_THROW(count_from_ratio(0.01, 28), Error);  // rounds to 0
  EXPECT_THROW(count_from_ratio(0, 28), Error);
  EXPECT_THROW(count_from_ratio(1.5, 28), Error);
}

TEST(Ranking, SelectionIsTheTopKAscendingAndReportsBoundaryTies) {
  std::vector<double> score{5, 3, 1, 3, 4};
  auto order = rank_layers(score);
  EXPECT_EQ(order, (std::vector<int>{0, 4, 1, 3, 2}));
  auto s = select_top(order, score, 3, "--select 3");
  EXPECT_EQ(s.attention_layers, (std::vector<int>{0, 1, 4}));
  EXPECT_EQ(s.boundary_tie, (std::vector<int>{1, 3}));
  s = select_top(order, score, 2, "--select 2");
  EXPECT_EQ(s.attention_layers, (std::vector<int>{0, 4}));
  EXPECT_TRUE(s.boundary_tie.empty());
  EXPECT_THROW(select_top(order, score, 0, "--select 0"), Error);
  EXPECT_THROW(select_top(order, score, 6, "--select 6"), Error);
}

TEST(ReferenceOutput, PythonFloatRepr) {
  EXPECT_EQ(python_float_repr(50.0), "50.0");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(0.5), "0.5");
  EXPECT_EQ(python_float_repr(0.5839), "0.5839");
  EXPECT_EQ(python_float_repr(0.3107666666666667), "0.3107666666666667");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(3.3333333333333335e-05), "3.3333333333333335e-05");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(123456789012345.0), "123456789012345.0");
}

TEST(ReferenceOutput, AveragesJsonIsPythonJsonDumpIndent4) {
  EXPECT_EQ(averages_json({0.5, 0.25}),
            "{\n    \"contexts\": [\n        0,\n        1\n    ],\n    \"values\": [\n"
            "        0.5,\n        0.25\n    ]\n}");
}

TEST(ReferenceOutput, StdoutBlock) {
  Ranking r;
  r.averages = hand_averages();
  r.score = importance(r.averages, Mode::halo, "hand");
  r.order = rank_layers(r.score);
  EXPECT_EQ(reference_table(r, "figures/x.svg"),
            "\nRank | Layer | Value\n-----|-------|----------------\n"
            "   1 |     1 | 50.0000000000\n"
            "   2 |     2 | 3.9999999920\n"
            "   3 |     0 | 0.9999999990\n"
            "   4 |     3 | 0.0000000000\n"
            "\xF0\x9F\x93\xA6 Commonsense baseline: 0.580000\n"
            "\xF0\x9F\x93\xA6 Retrieval baseline:   0.750000\n"
            "\xF0\x9F\x93\x8A Saved plot \xE2\x86\x92 figures/x.svg\n");
}

}  // namespace
}  // namespace halo::select
