// `rank` on the published HypeNet 2B and 4B sweep logs (tests/data/published; docs/lm-eval-rules.md
// §8 step 6), and the shipped example.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "base/atomic_file.h"
#include "select/importance.h"
#include "select/rank.h"
#include "select/sweep_results.h"
#include "sweep_fixture.h"

namespace halo::select {
namespace {
namespace fs = std::filesystem;

// Expected scores: computed with exact rational arithmetic (Python fractions.Fraction) from the
// 4-decimal values printed in the logs' final tables, following docs/lm-eval-rules.md §7.3/§8 (commonsense = mean
// of the three acc_norm, retrieval = mean of fda contains, ruler_qa_squad 4096, swde contains;
// HALO = min(50, (max rt - rt_L) / (max cs - cs_L + 1e-10)); Jet-Nemotron = rt_orig - rt_L), then
// printed with 13 significant digits. Layer L is index L.
const std::vector<double> kHalo2B = {
    0.4001708565779, 0.7917620110123, 14.00943356577, 50, 4.056451563833, 0,
    10.30120463311, 3.868217009284, 16.34374846777, 13.56363599372, 1.568571415127,
    4.91940294102, 6.953270930562, 3.076470533945, 4.557575674711, 2.602941119053,
    8.720279537337, 3.330409327511, 4.228571376793, 9.340425382866, 1.862944148252,
    12.75943378171, 1.218508988032, 5.76041657666, 7.920212639571, 10.44497592663,
    7.077777659815, 4.764705777249};
const std::vector<double> kJet2B = {
    0.0868, 0.0005666666666667, 0.027, 0.0063, 0.01103333333333, -0.0225, 0.0345,
    0.01076666666667, -0.005066666666667, 0.02723333333333, -0.0042, 0.03243333333333, 0.0271,
    -0.005066666666667, 0.002566666666667, -0.0107, 0.01906666666667, 0.01546666666667,
    0.01203333333333, 0.03603333333333, 0.001966666666667, 0.06766666666667, -0.0067,
    0.01436666666667, 0.02713333333333, 0.05026666666667, 0.01996666666667, -0.0009};
const std::vector<double> kHalo4B = {
    50, 9.147058016436, 1.668749968711, 0, 0.6353591054913, 2.240963814922, 1.115577872629,
    9.229629424527, 0.8867924444642, 0.8835978695725, 0.8522167361741, 0.999999984127,
    0.87441859245, 1.271028019565, 2.828571388163, 4.014423019023, 1.723004670568,
    0.9730769118491, 1.502109685627, 1.491869900506, 1.688372069465, 1.976833953936,
    3.359073320165, 1.879518038322, 4.304195759047, 1.120171659397, 0.734374991394,
    1.374358953215, 0.7485714157388, 1.094527346848, 1.177631555705, 2.604477553631,
    1.445595832452, 4.686486410489, 3.781249929102, 0.9442379076851};

fs::path root_2b() { return testing::published_dir() / "layer_sweep_hypenet-2b"; }
fs::path root_4b() { return testing::published_dir() / "layer_sweep_hypenet-4b"; }

void expect_scores(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t l = 0; l < want.size(); ++l) EXPECT_NEAR(got[l], want[l], 1e-9) << "layer " << l;
}

RankRun rank_2b(Mode mode, const fs::path& out) {
  RankOptions o;
  o.root = root_2b();
  o.model = "hypenet-2b-lightning";
  o.mode = mode;
  o.out = out;
  return run_rank(o);
}

TEST(Published2B, TheRawLogReadsAsItsTableAlone) {
  // The one log shipped untrimmed: 324 lines of lm-eval output, tqdm bars overwritten with '\r'
  // and log lines holding '|', then the table. Only the table's three rows are read.
  const fs::path log = root_2b() / "hypenet-2b-lightning" / "layer0" / "retrieval_eval.log";
  const std::string text = read_file(log);
  ASSERT_GT(std::count(text.begin(), text.end(), '\r'), 50);
  const auto rows = eval::parse_results_table(text, log.string());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].task, "fda");
  EXPECT_EQ(rows[0].value, 0.6869);
  EXPECT_EQ(rows[1].metric, "4096");
  EXPECT_EQ(rows[1].value, 0.3562);
  EXPECT_EQ(rows[2].task, "swde");
  EXPECT_EQ(rows[2].value, 0.8587);
  // Its line numbers count the lines Python's universal newlines would see.
  EXPECT_GT(rows[0].line, 324u);
}

TEST(Published2B, HaloScoresOrderAndSelection) {
  RankRun run = rank_2b(Mode::halo, testing::fresh_dir("out"));
  const Ranking& r = run.ranking;
  expect_scores(r.score, kHalo2B);
  EXPECT_EQ(r.order, (std::vector<int>{3, 8, 2, 9, 21, 25, 6, 19, 16, 24, 26, 12, 23, 11, 27, 14,
                                       18, 4, 7, 17, 13, 15, 20, 10, 22, 1, 0, 5}));
  // Default --ratio 0.25 of 28 layers = 7: the published HypeNet-2B attention layers.
  EXPECT_EQ(r.selection.attention_layers, (std::vector<int>{2, 3, 6, 8, 9, 21, 25}));
  EXPECT_TRUE(r.selection.boundary_tie.empty());
  // docs/lm-eval-rules.md §8: cs_max = 0.5839 (layer 3), best retrieval 0.743233 (layer 5), baselines.
  EXPECT_NEAR(r.averages.cs[3], 0.5839, 1e-12);
  EXPECT_NEAR(r.averages.rt[5], 22297.0 / 30000, 1e-12);
  EXPECT_NEAR(r.averages.cs_original, 8659.0 / 15000, 1e-12);  // 0.577267
  EXPECT_NEAR(r.averages.rt_original, 10811.0 / 15000, 1e-12);  // 0.720733
  EXPECT_NE(run.printed.find("   1 |     3 | 50.0000000000\n   2 |     8 | 16.3437484678\n"),
            std::string::npos);
  EXPECT_NE(run.printed.find("Commonsense baseline: 0.577267\n"), std::string::npos);
  EXPECT_NE(run.printed.find("Retrieval baseline:   0.720733\n"), std::string::npos);
}

TEST(Published2B, JetNemotronScoresAndTieRule) {
  const Ranking r = rank_2b(Mode::jet_nemotron, testing::fresh_dir("out")).ranking;
  expect_scores(r.score, kJet2B);
  // Layers 8 and 13 have the same retrieval average (0.7258): the lower layer ranks first.
  EXPECT_EQ(r.score[8], r.score[13]);
  EXPECT_EQ(r.order, (std::vector<int>{0, 21, 25, 19, 6, 11, 9, 24, 12, 2, 26, 16, 17, 23, 18, 4,
                                       7, 3, 14, 20, 1, 27, 10, 8, 13, 22, 15, 5}));
}

TEST(Published4B, HaloScoresOrderAndSelection) {
  RankOptions o;
  o.root = root_4b();
  o.model = "hypenet-4b-lightning";
  o.out = testing::fresh_dir("out");
  const Ranking r = run_rank(o).ranking;
  expect_scores(r.score, kHalo4B);
  EXPECT_EQ(r.order, (std::vector<int>{0, 7, 1, 33, 24, 15, 34, 22, 14, 31, 5, 21, 23, 16, 20, 2,
                                       18, 19, 32, 27, 13, 30, 25, 6, 29, 11, 17, 35, 8, 9, 12, 10,
                                       28, 26, 4, 3}));
  // 0.25 of 36 = 9 (the published hypenet-5b config differs in one layer, 31 for 34: docs/lm-eval-rules.md §8).
  EXPECT_EQ(r.selection.attention_layers, (std::vector<int>{0, 1, 7, 14, 15, 22, 24, 33, 34}));
}

TEST(Published2B, WritesTheReferenceAveragesFiles) {
  const fs::path out = testing::fresh_dir("out");
  rank_2b(Mode::halo, out);
  const std::string cs = read_file(out / "hypenet-2b-lightning_commonsense_avg.json");
  // Python's json.dump(indent=4) of the layer averages; values as Python's repr.
  EXPECT_TRUE(cs.starts_with("{\n    \"contexts\": [\n        0,\n        1,\n"));
  EXPECT_NE(cs.find("    \"values\": [\n        0.3107666666666667,\n        0.5547666666666666,\n"),
            std::string::npos);
  EXPECT_TRUE(cs.ends_with("        0.5793666666666666\n    ]\n}"));
  const std::string rt = read_file(out / "hypenet-2b-lightning_retrieval_avg.json");
  EXPECT_NE(rt.find("        0.7432333333333334,\n"), std::string::npos);  // layer 5
}

TEST(ShippedExample, IsThePublished2BSweepInOurFormat) {
  const fs::path example = fs::path(HALO_SOURCE_DIR) / "examples" / "hypenet-2b" / "sweep.json";
  const SweepResults logs = load_sweep_logs(root_2b(), "hypenet-2b-lightning", Mode::halo);
  EXPECT_EQ(read_file(example), sweep_file_text(logs));

  // Both sources give bit-identical averages, hence identical scores and order.
  const SweepResults file = load_sweep_file(example, Mode::halo);
  const SweepAverages a = average_sweep(logs), b = average_sweep(file);
  EXPECT_EQ(a.cs, b.cs);
  EXPECT_EQ(a.rt, b.rt);
  EXPECT_EQ(a.cs_original, b.cs_original);
  EXPECT_EQ(a.rt_original, b.rt_original);

  RankOptions o;
  o.results_file = example;
  o.select = 7;
  o.out = testing::fresh_dir("out");
  const Ranking r = run_rank(o).ranking;
  EXPECT_EQ(r.model, "hypenet-2b-lightning");
  EXPECT_EQ(r.selection.attention_layers, (std::vector<int>{2, 3, 6, 8, 9, 21, 25}));
  expect_scores(r.score, kHalo2B);
}

TEST(Export, RoundTripsThroughOurFormat) {
  const fs::path out = testing::fresh_dir("out");
  RankOptions o;
  o.root = root_4b();
  o.model = "hypenet-4b-lightning";
  o.out = out;
  o.export_file = out / "sweep.json";
  const Ranking from_logs = run_rank(o).ranking;

  RankOptions f;
  f.results_file = out / "sweep.json";
  f.out = out / "again";
  const Ranking from_file = run_rank(f).ranking;
  EXPECT_EQ(from_file.score, from_logs.score);
  EXPECT_EQ(from_file.order, from_logs.order);
  EXPECT_EQ(sweep_file_text(load_sweep_file(out / "sweep.json", Mode::halo)), read_file(out / "sweep.json"));
}

}  // namespace
}  // namespace halo::select
