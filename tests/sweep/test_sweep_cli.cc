// `halo sweep` end to end on a tiny random model and the eval fixtures: the reference layout,
// `halo rank` on the result, resuming, kill -9 at arbitrary moments, failures and shards.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "base/atomic_file.h"
#include "run_command.h"
#include "tiny_checkpoint.h"

namespace halo {
namespace {

using testing::CommandResult;

const std::filesystem::path kData = std::filesystem::path(HALO_TEST_DATA) / "eval";
const std::filesystem::path kTinyTokenizer = std::filesystem::path(HALO_TEST_DATA) / "tokenizer" / "tiny";

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class SweepCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = testing::fresh_temp_dir("sweep_cli");
    testing::TinySpec spec;
    spec.vocab = 288;  // the tiny tokenizer's ids go up to 274
    testing::write_tiny_model(dir / "model", spec);
    testing::write_tiny_run(dir / "run", spec, 10);
    for (const char* file : {"tokenizer.json", "tokenizer_config.json"}) {
      std::filesystem::copy_file(kTinyTokenizer / file, dir / "model" / file);
    }
    root = dir / "root";
    // The eval fixtures, with fda/swde documents whose gold values are single common characters:
    // a random tiny model then scores differently per variant, which ranking needs.
    data = dir / "data";
    std::filesystem::copy(kData, data, std::filesystem::copy_options::recursive);
    for (const char* task : {"fda", "swde"}) {
      std::string rows;
      int i = 0;
      for (const char* value : {"e", "t", "a", "o", "n", "s", "i", "r"}) {
        rows += fmt::format(R"({{"doc_id": "{}", "file_name": "f.txt", "key": "k", "value": "{}", "text": "doc {} of {}:"}})",
                            i, value, i, task) + "\n";
        ++i;
      }
      write_file_atomic(data / task / "validation.jsonl", rows);
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::vector<std::string> sweep_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"sweep", "--model", (dir / "model").string(), "--rnn", (dir / "run").string(),
                                  "--model-name", "tiny-lightning", "--data", data.string(), "--limit", "4",
                                  "--out", root.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  CommandResult halo(const std::vector<std::string>& args) { return testing::run_command(HALO_BINARY, args); }

  std::vector<std::filesystem::path> variant_dirs() {
    return {root / "original", root / "tiny-lightning/layer0", root / "tiny-lightning/layer1",
            root / "tiny-lightning/layer2"};
  }
  int complete_variants() {
    int n = 0;
    for (const auto& d : variant_dirs()) n += std::filesystem::exists(d / "results.json");
    return n;
  }
  std::filesystem::path dir, root, data;
};

TEST_F(SweepCli, WritesReferenceLayoutThatRankReads) {
  CommandResult r = halo(sweep_args());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& d : variant_dirs()) {
    for (const char* f : {"commonsense_eval.log", "retrieval_eval.log", "results.json"}) {
      EXPECT_TRUE(std::filesystem::exists(d / f)) << d / f;
    }
    EXPECT_FALSE(std::filesystem::exists(d / "error.log"));
  }
  EXPECT_NE(read_file(root / "original/commonsense_eval.log").find("|hellaswag    |      1|none  |     0|acc     |↑  |"),
            std::string::npos);
  EXPECT_EQ(count(read_file(root / "summary.txt"), " done "), 4u) << read_file(root / "summary.txt");
  EXPECT_EQ(count(r.err, "left, ETA"), 4u) << r.err;  // one progress line per variant

  CommandResult rank = halo({"rank", "--root", root.string(), "--model", "tiny-lightning", "--select", "1",
                             "--out", (dir / "rank").string()});
  ASSERT_EQ(rank.exit_code, 0) << rank.err;
  EXPECT_NE(rank.out.find("Attention layers (k = 1, --select 1):"), std::string::npos) << rank.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "rank/ranking.json"));

  // Restarted with the same command: nothing is redone.
  auto stamp = std::filesystem::last_write_time(root / "tiny-lightning/layer1/results.json");
  CommandResult again = halo(sweep_args());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(count(again.err, "already complete, skipped"), 4u) << again.err;
  EXPECT_EQ(std::filesystem::last_write_time(root / "tiny-lightning/layer1/results.json"), stamp);

  // Other inputs (another --limit) make every variant stale; a corrupt results.json too.
  write_file_atomic(root / "tiny-lightning/layer0/results.json", "{");
  CommandResult changed = halo(sweep_args({"--layers", "0"}));
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(count(changed.err, "already complete"), 1u) << changed.err;  // original only
  CommandResult other = halo(sweep_args({"--limit", "1", "--layers", "0"}));
  EXPECT_EQ(count(other.err, "already complete"), 0u) << other.err;
}

// kill -9 at several moments: a restart finishes the sweep and redoes only what was unfinished.
TEST_F(SweepCli, SurvivesKillNineAndResumes) {
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(halo(sweep_args()).exit_code, 0);
  const auto full = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  // Early (loading or the first variant), middle, and late in the run.
  for (double fraction : {0.15, 0.5, 0.85}) {
    const auto delay = std::chrono::milliseconds(int64_t(double(full.count()) * fraction));
    std::filesystem::remove_all(root);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::vector<std::string> args = sweep_args();
      std::vector<char*> argv{const_cast<char*>(HALO_BINARY)};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      ::execv(HALO_BINARY, argv.data());
      ::_exit(127);
    }
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    const int finished_before = complete_variants();
    CommandResult r = halo(sweep_args());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(int(count(r.err, "already complete, skipped")), finished_before) << "killed at " << fraction << "\n" << r.err;
    EXPECT_EQ(complete_variants(), 4);
    // No temporary files are left anywhere that a reader could mistake for results.
    for (const auto& d : variant_dirs()) {
      for (const auto& e : std::filesystem::directory_iterator(d)) {
        std::string name = e.path().filename().string();
        EXPECT_TRUE(name == "commonsense_eval.log" || name == "retrieval_eval.log" || name == "results.json" ||
                    name.rfind(".", 0) == 0)
            << name;
      }
    }
    CommandResult rank = halo({"rank", "--root", root.string(), "--model", "tiny-lightning", "--select", "1",
                               "--out", (dir / "rank").string()});
    EXPECT_EQ(rank.exit_code, 0) << rank.err;
  }
}

TEST_F(SweepCli, FailedVariantGetsErrorLogAndTheSweepGoesOn) {
  // A directory where layer 1's log must go makes writing it fail.
  std::filesystem::create_directories(root / "tiny-lightning/layer1/commonsense_eval.log");
  CommandResult r = halo(sweep_args());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("1 of 4 variant(s) failed"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(root / "tiny-lightning/layer1/error.log"));
  EXPECT_NE(read_file(root / "tiny-lightning/layer1/error.log").find("commonsense_eval.log"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(root / "tiny-lightning/layer2/results.json"));
  EXPECT_NE(read_file(root / "summary.txt").find("FAILED"), std::string::npos);
}

TEST_F(SweepCli, ShardsShareOneRoot) {
  CommandResult a = halo(sweep_args({"--shard", "0/2"}));
  CommandResult b = halo(sweep_args({"--shard", "1/2"}));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(complete_variants(), 4);
  EXPECT_TRUE(std::filesystem::exists(root / "summary-shard-0-of-2.txt"));
  EXPECT_TRUE(std::filesystem::exists(root / "summary-shard-1-of-2.txt"));
  EXPECT_EQ(count(a.err, "] original:"), 1u) << a.err;  // variant 0 (original) belongs to shard 0
  EXPECT_EQ(count(b.err, "] original:"), 0u) << b.err;
  CommandResult rank = halo({"rank", "--root", root.string(), "--model", "tiny-lightning", "--select", "1",
                             "--out", (dir / "rank").string()});
  EXPECT_EQ(rank.exit_code, 0) << rank.err;
}

TEST_F(SweepCli, DryRunListsWorkAndWritesNothing) {
  CommandResult r = halo(sweep_args({"--dry-run"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count(r.out, "\n"), 4u) << r.out;
  EXPECT_NE(r.out.find("layer 2\t"), std::string::npos);
  EXPECT_NE(r.err.find("log-likelihood requests"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(root));
}

TEST_F(SweepCli, GenerationConfigMaxNewTokensSetsEveryGenerationBudget) {
  CommandResult plain = halo(sweep_args({"--tasks", "retrieval", "--dry-run"}));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.err.find("(+ at most 512 generated)"), std::string::npos) << plain.err;  // 8 × 48 + 4 × 32
  write_file_atomic(dir / "model" / "generation_config.json", R"({"max_new_tokens": 40})");
  CommandResult r = halo(sweep_args({"--tasks", "retrieval", "--dry-run"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("(+ at most 480 generated)"), std::string::npos) << r.err;  // 12 × 40 (HF's precedence)
  EXPECT_EQ(count(r.err, "halo: note: "), 1u) << r.err;
}

TEST_F(SweepCli, RulerLengthsEnterTheFingerprintAndLmEvalFilesGoBesideEachVariant) {
  CommandResult r = halo(sweep_args({"--tasks", "retrieval", "--layers", "0", "--lm-eval-output"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& variant : {root / "original", root / "tiny-lightning/layer0"}) {
    // lm-eval's --output_path layout under the variant: <sanitized model name>/results + samples.
    std::vector<std::string> names;
    for (const auto& folder : std::filesystem::directory_iterator(variant / "lm-eval")) {
      for (const auto& e : std::filesystem::directory_iterator(folder.path())) {
        std::string name = e.path().filename().string();
        names.push_back(name.substr(0, name.rfind('_')));  // without "_<date>.json(l)"
      }
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"results", "samples_fda", "samples_ruler_qa_squad", "samples_swde"}))
        << variant;
  }
  // The two variants' files compare document by document (a tiny random model: they differ).
  CommandResult diff = halo({"lm-eval-diff", "--lm-eval", (root / "original/lm-eval").string(), "--halo",
                             (root / "tiny-lightning/layer0/lm-eval").string()});
  EXPECT_NE(diff.exit_code, 2) << diff.err;
  EXPECT_NE(diff.out.find("ruler_qa_squad: documents: 4 compared"), std::string::npos) << diff.out;

  // Other sequence lengths are other inputs: every variant is redone, even where --limit 4 keeps
  // only 4096 documents; the same lengths again are complete.
  CommandResult lengths = halo(sweep_args({"--tasks", "retrieval", "--layers", "0", "--ruler-lengths", "4096,8192"}));
  ASSERT_EQ(lengths.exit_code, 0) << lengths.err;
  EXPECT_EQ(count(lengths.err, "already complete"), 0u) << lengths.err;
  CommandResult same = halo(sweep_args({"--tasks", "retrieval", "--layers", "0", "--ruler-lengths", "4096,8192"}));
  EXPECT_EQ(count(same.err, "already complete"), 2u) << same.err;
  CommandResult bad = halo(sweep_args({"--ruler-lengths", "4096,-1"}));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "halo: error: --ruler-lengths: -1 is not a positive sequence length\n");
}

TEST_F(SweepCli, BadFlags) {
  auto expect_error = [&](std::vector<std::string> args, const std::string& needle) {
    CommandResult r = halo(args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(count(r.err, "\n"), 1u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  };
  expect_error(sweep_args({"--shard", "2/2"}), "--shard");
  expect_error(sweep_args({"--layers", "3"}), "--layers: index 3 out of range");
  expect_error(sweep_args({"--tasks", "hellaswag"}), "not a sweep suite");
  expect_error(sweep_args({"--convert", "1"}), "use --layers");
  expect_error({"sweep", "--model", (dir / "model").string(), "--data", data.string(), "--out", root.string()},
               "needs --rnn");
}

}  // namespace
}  // namespace halo
