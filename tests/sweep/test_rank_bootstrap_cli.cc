// `halo rank --bootstrap` end to end: a real `halo sweep` of the trained golden model, then the
// ranking's stability from the per-document outcomes the sweep kept.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "run_command.h"
#include "tiny_checkpoint.h"
#include "trained_sweep.h"

namespace halo {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

CommandResult halo(const std::vector<std::string>& args) { return testing::run_command(HALO_BINARY, args); }

std::size_t lines(const std::string& text) { return size_t(std::count(text.begin(), text.end(), '\n')); }

class RankBootstrapCli : public ::testing::Test {
 protected:
  // One sweep for every test of the suite (it is the slow part).
  static void SetUpTestSuite() {
    dir = new fs::path(testing::fresh_temp_dir("rank_bootstrap_cli"));
    sweep = new testing::TrainedSweep(*dir);
    std::vector<std::string> args{"sweep", "--model-name", testing::TrainedSweep::kModelName, "--out",
                                  (*dir / "root").string()};
    for (const auto& a : sweep->model_args()) args.push_back(a);
    CommandResult r = halo(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir);
    delete sweep;
    delete dir;
  }
  static CommandResult rank(const fs::path& root, const fs::path& out, std::vector<std::string> extra) {
    std::vector<std::string> args{"rank", "--root", root.string(), "--model", testing::TrainedSweep::kModelName,
                                  "--select", "1", "--out", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return halo(args);
  }
  static nlohmann::json ranking(const fs::path& out) { return nlohmann::json::parse(read_file(out / "ranking.json")); }

  static inline fs::path* dir = nullptr;
  static inline testing::TrainedSweep* sweep = nullptr;
};

TEST_F(RankBootstrapCli, ReportsStabilityInJsonStdoutAndReport) {
  const fs::path root = *dir / "root";
  CommandResult r = rank(root, *dir / "a", {"--bootstrap", "300", "--seed", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Bootstrap: 300 replicates (seed 5)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Chosen set reproduced in "), std::string::npos) << r.out;
  const nlohmann::json j = ranking(*dir / "a");
  ASSERT_TRUE(j.contains("stability")) << j.dump();
  const nlohmann::json& s = j["stability"];
  EXPECT_EQ(s["replicates"], 300);
  EXPECT_EQ(s["seed"], 5);
  EXPECT_EQ(s["k"], 1);
  ASSERT_EQ(s["tasks"].size(), 6u);
  for (const auto& t : s["tasks"]) EXPECT_EQ(t["documents"], 12) << t.dump();
  ASSERT_GT(s["ranked_replicates"].get<int>(), 0);
  // Each ranked replicate keeps exactly k layers, so the probabilities add up to k.
  double sum = 0;
  ASSERT_EQ(s["p_top_k"].size(), 4u);
  for (const auto& p : s["p_top_k"]) sum += p.get<double>();
  EXPECT_NEAR(sum, 1.0, 1e-9);
  const int chosen = j["selection"]["attention_layers"][0];
  EXPECT_LE(s["selection_reproduced"].get<double>(), 1.0);
  EXPECT_EQ(s["selection_reproduced"], s["p_top_k"][size_t(chosen)]);  // k = 1: the set is the layer
  for (std::size_t l = 0; l < 4; ++l) {
    EXPECT_LE(s["score_ci95"][l][0].get<double>(), s["score_ci95"][l][1].get<double>());
  }
  const std::string report = read_file(*dir / "a/report.html");
  EXPECT_NE(report.find("id=\"stability\""), std::string::npos);
  EXPECT_NE(report.find("data-selection-reproduced="), std::string::npos);

  // Deterministic given the seed; another seed draws other documents.
  ASSERT_EQ(rank(root, *dir / "b", {"--bootstrap", "300", "--seed", "5"}).exit_code, 0);
  EXPECT_EQ(ranking(*dir / "b")["stability"], s);
  ASSERT_EQ(rank(root, *dir / "c", {"--bootstrap", "300", "--seed", "6"}).exit_code, 0);
  EXPECT_NE(ranking(*dir / "c")["stability"]["p_top_k"], s["p_top_k"]);
  // Without --bootstrap nothing changes.
  CommandResult plain = rank(root, *dir / "d", {});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_FALSE(ranking(*dir / "d").contains("stability"));
  EXPECT_EQ(plain.out.find("Bootstrap"), std::string::npos);
}

TEST_F(RankBootstrapCli, BadInputIsOneLine) {
  const fs::path copy = *dir / "broken";
  fs::copy(*dir / "root", copy, fs::copy_options::recursive);
  const fs::path journal = copy / "g/layer2/outcomes.jsonl";
  std::string text = read_file(journal);
  text.erase(text.rfind('\n', text.size() - 2) + 1);  // the last batch
  write_file_atomic(journal, text);
  CommandResult r = rank(copy, *dir / "e", {"--bootstrap", "20"});
  EXPECT_EQ(r.exit_code, 1);
  // The recorded digest of the journal no longer matches: rank refuses before resampling (the
  // journal checks of the resampling itself are unit-tested in tests/select/test_bootstrap.cc).
  EXPECT_NE(r.err.find((copy / "g/layer2").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("outcomes.jsonl"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_FALSE(fs::exists(*dir / "e/ranking.json"));

  const fs::path root = *dir / "root";
  CommandResult zero = rank(root, *dir / "f", {"--bootstrap", "0"});
  EXPECT_EQ(zero.exit_code, 1);
  EXPECT_NE(zero.err.find("--bootstrap 0: expected at least 1 replicate"), std::string::npos) << zero.err;
  CommandResult seed_alone = rank(root, *dir / "f", {"--seed", "3"});
  EXPECT_NE(seed_alone.exit_code, 0);
  EXPECT_NE(seed_alone.err.find("--bootstrap"), std::string::npos) << seed_alone.err;
}

TEST(RankBootstrapPublished, LogsWithoutDocumentsSayItAndRank) {
  const fs::path out = testing::fresh_temp_dir("rank_bootstrap_published");
  const fs::path published = fs::path(HALO_TEST_DATA) / "published/layer_sweep_hypenet-2b";
  CommandResult r = halo({"rank", "--root", published.string(), "--model", "hypenet-2b-lightning", "--out",
                          out.string(), "--bootstrap", "50"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no per-document outcomes"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_FALSE(nlohmann::json::parse(read_file(out / "ranking.json")).contains("stability"));
  fs::remove_all(out);
}

}  // namespace
}  // namespace halo
