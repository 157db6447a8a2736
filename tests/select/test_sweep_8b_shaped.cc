// A sweep shaped like the published HypeNet-8B one (tests/data/select/sweep-8b-shaped): the
// original's retrieval log also holds the commonsense table, the layers' do not. The reference
// layer_analysis.py averages every row of the original's log; so does halo, and it still rejects
// layers that disagree with each other.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/error.h"
#include "select/rank.h"
#include "sweep_fixture.h"

namespace halo::select {
namespace {
namespace fs = std::filesystem;

const fs::path kSweep = fs::path(HALO_TEST_DATA) / "select" / "sweep-8b-shaped";
const std::string kModel = "hypenet-8b-lightning";

// Expected values: printed once by tests/data/select/expected_8b_shaped.py, which reads the
// fixture with layer_analysis.py's row pattern and computes the averages, scores and top 9 as the
// reference does (scores with 13 significant digits).
const std::vector<int> kHaloOrder = {24, 17, 33, 20, 14, 5, 1, 15, 29, 10, 27, 13, 35, 11, 26, 21, 34, 12,
                                     3,  22, 32, 18, 25, 2, 4, 31, 6, 19, 0, 16, 30, 7, 9, 23, 28, 8};
const std::vector<double> kHaloScores = {
    0.5953984277294, 13.41779782767, 1.085825743488, 1.770114922183, 1.080729158223, 16.18260848457,
    0.9139784847959, 0.3905579373998, 0.0, 0.3046874989798, 5.267782360655, 2.452380917347,
    1.984265723859, 3.52303520171, 19.25956268366, 10.60946736145, 0.4931163936429, 42.2307594852,
    1.306542048748, 0.770434778589, 31.59649081233, 2.046357595566, 1.749999986184, 0.2676240198396,
    50.0, 1.179365073749, 2.164785538387, 4.288690437899, 0.1691176433282, 6.13580235551,
    0.4135240556039, 0.9265129642946, 1.411764693426, 35.01960715648, 2.024999962031, 2.550116532284};
const std::vector<int> kHaloTop9 = {1, 5, 14, 15, 17, 20, 24, 29, 33};
const std::vector<double> kJetScores = {
    -0.03693333333333, 0.2242333333333, -0.04446666666667, -0.0569, -0.05846666666667, 0.05176666666667,
    -0.0638, -0.06623333333333, -0.0723, -0.0632, -0.03033333333333, -0.05513333333333,
    -0.03446666666667, -0.02896666666667, 0.1626666666667, 0.04723333333333, -0.05916666666667, -0.054,
    -0.049, -0.05753333333333, 0.1678333333333, -0.0517, -0.05013333333333, -0.06546666666667,
    -0.06006666666667, -0.04753333333333, -0.04033333333333, -0.02426666666667, -0.07153333333333,
    -0.03916666666667, -0.0617, -0.05086666666667, -0.0563, 0.1063, -0.0615, -0.03583333333333};
const std::vector<int> kJetTop9 = {1, 5, 10, 13, 14, 15, 20, 27, 33};
constexpr double kCommonsenseBaseline = 0.7132000000000001;  // 3 acc_norm rows
constexpr double kRetrievalBaseline = 0.7229;                // all 9 rows of the original's log

RankRun rank(Mode mode, const fs::path& root = kSweep) {
  RankOptions o;
  o.root = root;
  o.model = kModel;
  o.mode = mode;
  o.out = testing::fresh_dir("out");
  return run_rank(o);
}

void expect_scores(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t l = 0; l < want.size(); ++l) {
    EXPECT_NEAR(got[l], want[l], 1e-12 * std::max(1.0, std::abs(want[l])) + 1e-13) << "layer " << l;
  }
}

TEST(Sweep8BShaped, HaloRanksAsTheReference) {
  const RankRun run = rank(Mode::halo);
  const Ranking& r = run.ranking;
  expect_scores(r.score, kHaloScores);
  EXPECT_EQ(r.order, kHaloOrder);
  EXPECT_EQ(r.selection.attention_layers, kHaloTop9);  // --ratio 0.25 of 36 layers
  EXPECT_EQ(r.averages.cs_original, kCommonsenseBaseline);
  EXPECT_EQ(r.averages.rt_original, kRetrievalBaseline);
}

TEST(Sweep8BShaped, JetNemotronUsesTheOriginalsWholeLog) {
  const Ranking r = rank(Mode::jet_nemotron).ranking;
  expect_scores(r.score, kJetScores);
  EXPECT_EQ(r.selection.attention_layers, kJetTop9);
}

TEST(Sweep8BShaped, RecordsWhichRowsEachAverageUsed) {
  const RankRun run = rank(Mode::halo);
  const AveragedRows& rt = run.ranking.averages.rt_rows;
  const std::vector<std::string> layer_rows = {"fda/contains", "ruler_qa_squad/4096", "swde/contains"};
  const std::vector<std::string> extra = {"arc_challenge/acc", "arc_challenge/acc_norm", "arc_easy/acc",
                                          "arc_easy/acc_norm", "hellaswag/acc", "hellaswag/acc_norm"};
  EXPECT_EQ(rt.layers, layer_rows);
  EXPECT_EQ(rt.original_extra, extra);
  EXPECT_EQ(rt.original.size(), 9u);
  EXPECT_TRUE(run.ranking.averages.cs_rows.original_extra.empty());

  const auto j = nlohmann::json::parse(read_file(run.out_dir / "ranking.json"));
  const auto& rows = j.at("averaged_rows");
  EXPECT_EQ(rows.size(), 37u);  // original and 36 layers
  EXPECT_EQ(rows.at("original").at("retrieval").size(), 9u);
  EXPECT_EQ(rows.at("original").at("retrieval")[0], "arc_challenge/acc");
  EXPECT_EQ(rows.at("original").at("commonsense"),
            nlohmann::json({"arc_challenge/acc_norm", "arc_easy/acc_norm", "hellaswag/acc_norm"}));
  EXPECT_EQ(rows.at("layer35").at("retrieval"), nlohmann::json(layer_rows));
  EXPECT_EQ(j.at("baselines").at("retrieval"), kRetrievalBaseline);
  // The report says why the original's drops compare different rows.
  EXPECT_NE(read_file(run.out_dir / "report.html").find("averages all 9 rows of that log"), std::string::npos);
}

// A copy of the fixture to break.
fs::path copy_of_fixture() {
  const fs::path root = testing::fresh_dir("sweep");
  fs::copy(kSweep, root, fs::copy_options::recursive);
  return root;
}

std::string rank_error(const fs::path& root) {
  try {
    rank(Mode::halo, root);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an error";
  return "";
}

std::string without_line(std::string text, const std::string& start) {
  const auto at = text.find(start);
  if (at == std::string::npos) return text;
  return text.erase(at, text.find('\n', at) + 1 - at);
}

TEST(Sweep8BShaped, LayersThatDisagreeAreStillRejected) {
  const fs::path root = copy_of_fixture();
  const fs::path log = root / kModel / "layer7" / "retrieval_eval.log";
  testing::write_text(log, without_line(read_file(log), "|swde"));
  const std::string m = rank_error(root);
  EXPECT_NE(m.find(log.string() + ": layer 7: swde/contains is missing"), std::string::npos) << m;
}

TEST(Sweep8BShaped, TheOriginalMustHaveEveryRowTheLayersAverage) {
  const fs::path root = copy_of_fixture();
  const fs::path log = root / "original" / "retrieval_eval.log";
  testing::write_text(log, without_line(read_file(log), "|swde"));
  const std::string m = rank_error(root);
  EXPECT_NE(m.find(log.string() + ": original: swde/contains is missing (every layer averages it"),
            std::string::npos)
      << m;
}

}  // namespace
}  // namespace halo::select
