// End to end: the `halo rank` binary, its main command, its outputs and its error exits.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>

#include <cstdlib>

#include "base/atomic_file.h"
#include "sweep_fixture.h"

namespace halo::select {
namespace {
namespace fs = std::filesystem;

struct Result {
  int exit_code;
  std::string out, err;
};

// Runs `halo <args>` in `cwd`, capturing stdout and stderr.
Result halo(const fs::path& cwd, const std::string& args) {
  const fs::path out = cwd / "stdout.txt", err = cwd / "stderr.txt";
  const std::string cmd = fmt::format("cd '{}' && '{}' {} >'{}' 2>'{}'", cwd.string(), HALO_BINARY,
                                      args, out.string(), err.string());
  const int status = std::system(cmd.c_str());
  Result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
  fs::remove(out);
  fs::remove(err);
  return r;
}

const std::string kExample = std::string(HALO_SOURCE_DIR) + "/examples/hypenet-2b/sweep.json";

TEST(RankCli, ReadmeMainCommandPrintsThePublished2BLayers) {
  const fs::path cwd = testing::fresh_dir("cwd");
  Result r = halo(cwd, "rank --results '" + kExample + "' --select 7");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("Attention layers (k = 7, --select 7): 2, 3, 6, 8, 9, 21, 25\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nRank | Layer | Value\n-----|-------|----------------\n"
                       "   1 |     3 | 50.0000000000\n"),
            std::string::npos);
  // Without --out, a results file's outputs go to ./<model>_rank/.
  const fs::path out = cwd / "hypenet-2b-lightning_rank";
  for (const char* f : {"hypenet-2b-lightning_commonsense_avg.json",
                        "hypenet-2b-lightning_retrieval_avg.json", "ranking.json",
                        "hypenet_config.json", "importance.svg", "report.html"}) {
    EXPECT_TRUE(fs::is_regular_file(out / f)) << f;
  }
  const std::string report = read_file(out / "report.html");
  EXPECT_NE(report.find("data-attention-layers=\"2,3,6,8,9,21,25\""), std::string::npos);
  EXPECT_EQ(report.find("http://"), report.find("http://www.w3.org/2000/svg"));  // no fetches
  EXPECT_TRUE(read_file(out / "importance.svg").starts_with("<svg xmlns="));
}

TEST(RankCli, LogsAndResultsFilePrintTheSameBlock) {
  const fs::path cwd = testing::fresh_dir("cwd");
  const fs::path root = testing::published_dir() / "layer_sweep_hypenet-2b";
  Result logs = halo(cwd, fmt::format("rank --root '{}' --model hypenet-2b-lightning --out a",
                                      root.string()));
  Result file = halo(cwd, "rank --results '" + kExample + "' --out a");
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_EQ(logs.out, file.out);
  EXPECT_NE(logs.out.find("Attention layers (k = 7, --ratio 0.25 of 28 layers): 2, 3, 6, 8, 9, 21, 25\n"),
            std::string::npos);
}

TEST(RankCli, ErrorsAreOneLineAndExitNonZero) {
  const fs::path cwd = testing::fresh_dir("cwd");
  const fs::path root = cwd / "sweep";
  testing::write_sweep(root, "m", 0.58, 0.75, {0.5, 0.6, 0.55, 0.4}, {0.7, 0.5, 0.6, 0.8});
  fs::remove(root / "m" / "layer2" / "commonsense_eval.log");
  Result r = halo(cwd, "rank --root sweep --model m");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "halo: error: sweep/m/layer2/commonsense_eval.log: layer 2: missing "
                   "commonsense log (HALO mode needs the commonsense and retrieval results of every "
                   "variant; --mode jet-nemotron needs only retrieval)\n");

  r = halo(cwd, "rank --results '" + kExample + "' --select 3 --ratio 0.5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("excludes"), std::string::npos) << r.err;

  r = halo(cwd, "rank --results '" + kExample + "' --mode jet");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: --mode jet: expected halo or jet-nemotron\n");

  r = halo(cwd, "rank");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--results"), std::string::npos) << r.err;
}

TEST(RankCli, JetNemotronMode) {
  const fs::path cwd = testing::fresh_dir("cwd");
  Result r = halo(cwd, "rank --results '" + kExample + "' --mode jet-nemotron --ratio 0.1 --out o");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 0.1 * 28 = 2.8 -> 3 layers: the three largest retrieval drops (scores 0.0868, 0.0677, 0.0503).
  EXPECT_NE(r.out.find("Attention layers (k = 3, --ratio 0.1 of 28 layers): 0, 21, 25\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("   1 |     0 | 0.0868000000\n"), std::string::npos);
}

TEST(RankCli, ATieAtTheSelectionBoundaryIsWarnedAbout) {
  const fs::path cwd = testing::fresh_dir("cwd");
  // Layers 2 and 3 have identical results, hence identical scores, and --select 2 splits them.
  testing::write_sweep(cwd / "sweep", "m", 0.58, 0.75, {0.5, 0.6, 0.55, 0.55}, {0.7, 0.5, 0.6, 0.6});
  Result r = halo(cwd, "rank --root sweep --model m --select 2 --out o");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Attention layers (k = 2, --select 2): 1, 2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("warning: layers 2, 3 tie at the selection boundary"), std::string::npos)
      << r.err;
  EXPECT_NE(read_file(cwd / "o" / "report.html").find("Layers 2, 3 tie at the selection boundary"),
            std::string::npos);
  // Without a tie at the boundary there is no warning.
  r = halo(cwd, "rank --root sweep --model m --select 3 --out o");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST(RankCli, AnOriginalWithExtraRowsRanksWithOneNote) {
  // The HypeNet-8B shape: the original's retrieval log also holds the commonsense table. Expected
  // selections and baseline: tests/data/select/expected_8b_shaped.py (see test_sweep_8b_shaped.cc).
  const fs::path cwd = testing::fresh_dir("cwd");
  const fs::path root = fs::path(HALO_TEST_DATA) / "select" / "sweep-8b-shaped";
  Result r = halo(cwd, fmt::format("rank --root '{}' --model hypenet-8b-lightning --out o", root.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Attention layers (k = 9, --ratio 0.25 of 36 layers): 1, 5, 14, 15, 17, 20, 24, 29, 33\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Retrieval baseline:   0.722900\n"), std::string::npos) << r.out;
  const std::string note = "halo: note: " + (root / "original" / "retrieval_eval.log").string() +
                           ": averages all 9 rows of the original's log, as layer_analysis.py does, 6 "
                           "more than the layers' 3 (arc_challenge/acc, arc_challenge/acc_norm, "
                           "arc_easy/acc, arc_easy/acc_norm, hellaswag/acc, hellaswag/acc_norm); this "
                           "moves the original's baseline (the jet-nemotron scores), not the HALO scores\n";
  EXPECT_EQ(r.err, note);

  r = halo(cwd, fmt::format("rank --root '{}' --model hypenet-8b-lightning --mode jet-nemotron --out o",
                            root.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Attention layers (k = 9, --ratio 0.25 of 36 layers): 1, 5, 10, 13, 14, 15, 20, 27, 33\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("   1 |     1 | 0.2242333333\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, note);
}

TEST(RankCli, ANanResultIsRefusedNamingTheVariantAndTheFile) {
  const fs::path cwd = testing::fresh_dir("cwd");
  testing::write_sweep(cwd / "sweep", "m", 0.58, 0.75, {0.5, 0.6, 0.55, 0.4}, {0.7, 0.5, 0.6, 0.8});
  const fs::path log = cwd / "sweep" / "m" / "layer3" / "retrieval_eval.log";
  std::string text = read_file(log);
  text.replace(text.find("0.8000", text.find("|swde")), 6, "   nan");
  testing::write_text(log, text);
  Result r = halo(cwd, "rank --root sweep --model m --out o");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "halo: error: sweep/m/layer3/retrieval_eval.log:10: layer 3: swde/contains is NaN, "
                   "not a finite number; evaluate this variant again\n");
  EXPECT_FALSE(fs::exists(cwd / "o"));
}

TEST(RankCli, AModelNameCannotLeadOutOfTheOutputFolder) {
  const fs::path cwd = testing::fresh_dir("cwd");
  std::string sweep = read_file(kExample);
  const std::string model = "\"model\": \"hypenet-2b-lightning\"";
  const std::string escape = "halo_rank_cli_escape_" + std::to_string(::getpid());
  sweep.replace(sweep.find(model), model.size(), "\"model\": \"../" + escape + "\"");
  testing::write_text(cwd / "sweep.json", sweep);
  Result r = halo(cwd, "rank --results sweep.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: sweep.json: \"model\" \"../" + escape +
                       "\" is not a plain name: it contains '/'\n");
  EXPECT_FALSE(fs::exists(cwd.parent_path() / (escape + "_rank")));
  EXPECT_EQ(std::distance(fs::directory_iterator(cwd), fs::directory_iterator()), 1);  // sweep.json
}

TEST(RankCli, WritesAllOutputsOrNone) {
  const fs::path cwd = testing::fresh_dir("cwd");
  // importance.svg cannot replace a folder of that name: nothing else may appear either.
  fs::create_directories(cwd / "o" / "importance.svg" / "x");
  Result r = halo(cwd, "rank --results '" + kExample + "' --out o");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.find("halo: error: o/importance.svg: cannot rename temporary file into place: "), 0u) << r.err;
  EXPECT_NE(r.err.find("; no output file was changed\n"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  EXPECT_EQ(std::distance(fs::directory_iterator(cwd / "o"), fs::directory_iterator()), 1);
}

TEST(RankCli, JetNemotronRanksARetrievalOnlySweep) {
  const fs::path cwd = testing::fresh_dir("cwd");
  testing::write_sweep(cwd / "sweep", "m", 0.58, 0.75, {0.5, 0.6, 0.55, 0.4}, {0.7, 0.5, 0.6, 0.8});
  for (const auto& e : fs::recursive_directory_iterator(cwd / "sweep")) {
    if (e.path().filename() == "commonsense_eval.log") fs::remove(e.path());
  }
  Result r = halo(cwd, "rank --root sweep --model m --mode jet-nemotron --select 1 --out o");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Attention layers (k = 1, --select 1): 1\nWrote 5 files to o\n"), std::string::npos) << r.out;
  r = halo(cwd, "rank --root sweep --model m --select 1 --out o");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: sweep/original/commonsense_eval.log: original: missing commonsense log "
                   "(HALO mode needs the commonsense and retrieval results of every variant; --mode "
                   "jet-nemotron needs only retrieval)\n");
}

}  // namespace
}  // namespace halo::select
