// `halo sweep` end to end on a tiny random model and the eval fixtures: the reference layout,
// `halo rank` on the result, resuming, kill -9 at arbitrary moments, failures and shards.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/file_lock.h"
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
    if (std::find(extra.begin(), extra.end(), "--limit") != extra.end()) {  // the flag is given once
      args.erase(std::find(args.begin(), args.end(), "--limit"), std::find(args.begin(), args.end(), "--out"));
    }
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
  EXPECT_EQ(count(r.err, ": done ("), 4u) << r.err;  // one line per finished variant

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
  // Other inputs are refused before anything runs (the finished run is not thrown away) ...
  CommandResult refused = halo(sweep_args({"--limit", "1", "--layers", "0"}));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(count(refused.err, "halo: error: "), 1u) << refused.err;
  EXPECT_NE(refused.err.find("results.json: holds a run with other inputs"), std::string::npos) << refused.err;
  // ... and with --overwrite every variant runs again.
  CommandResult other = halo(sweep_args({"--limit", "1", "--layers", "0", "--overwrite"}));
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(count(other.err, "already complete"), 0u) << other.err;
}

// `halo rank` on a sweep root checks every variant's results.json: one run (one input fingerprint),
// every log read as that run wrote it. Each kind of tampering is refused with one line naming the
// variant and the file; undoing it makes the root rank again.
TEST_F(SweepCli, RankRefusesVariantsOfDifferentRunsOrChangedFiles) {
  ASSERT_EQ(halo(sweep_args()).exit_code, 0);
  auto rank = [&] {
    return halo({"rank", "--root", root.string(), "--model", "tiny-lightning", "--select", "1", "--out",
                 (dir / "rank").string()});
  };
  auto expect_refused = [&](const std::string& file, const std::string& label, const std::string& why) {
    CommandResult r = rank();
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(count(r.err, "\n"), 1u) << r.err;
    EXPECT_NE(r.err.find(label.empty() ? file + ": " : file + ": " + label + ": "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
  };
  ASSERT_EQ(rank().exit_code, 0);
  const std::filesystem::path layer1 = root / "tiny-lightning/layer1";

  // A log edited after the run.
  const std::string log = read_file(layer1 / "retrieval_eval.log");
  std::string edited = log;
  edited.insert(edited.find("|fda"), " ");
  write_file_atomic(layer1 / "retrieval_eval.log", edited);
  expect_refused(layer1.string(), "layer 1", "retrieval_eval.log is not the file its results.json recorded");
  write_file_atomic(layer1 / "retrieval_eval.log", log);
  ASSERT_EQ(rank().exit_code, 0);

  // A variant without its record while the others have one.
  const std::string record = read_file(layer1 / "results.json");
  std::filesystem::remove(layer1 / "results.json");
  expect_refused((layer1 / "results.json").string(), "layer 1", "missing, while original has one");
  write_file_atomic(layer1 / "results.json", record);

  // A record naming a log the run did not write (a log of another run dropped in).
  std::string no_log = record;
  no_log.replace(no_log.find("\"retrieval_eval.log\""), 20, "\"retrieval_eval.old\"");
  write_file_atomic(layer1 / "results.json", no_log);
  expect_refused((layer1 / "retrieval_eval.log").string(), "layer 1", "not written by the run");
  write_file_atomic(layer1 / "results.json", record);

  // A results.json that is not JSON.
  write_file_atomic(layer1 / "results.json", "{");
  expect_refused((layer1 / "results.json").string(), "", "not valid JSON");
  write_file_atomic(layer1 / "results.json", record);
  ASSERT_EQ(rank().exit_code, 0);

  // Layer 0 evaluated again with other inputs (another --limit; the original runs again with it):
  // each variant is complete on its own, but layers 1 and 2 come from another run than the rest.
  CommandResult other = halo(sweep_args({"--limit", "2", "--layers", "0", "--overwrite"}));
  ASSERT_EQ(other.exit_code, 0) << other.err;
  expect_refused(layer1.string() + "/results.json", "layer 1", "from another run than original");

  // Published logs (tables only, no results.json anywhere) are taken as they are.
  for (const auto& d : variant_dirs()) {
    std::filesystem::remove(d / "results.json");
    std::filesystem::remove(d / "outcomes.jsonl");
  }
  EXPECT_EQ(rank().exit_code, 0);
}

// kill -9 at several moments: a restart takes back every batch the journals hold (so at most the
// batch that was running is lost), finishes the sweep, and ends with the tables of an uninterrupted
// run, byte for byte.
TEST_F(SweepCli, SurvivesKillNineAndResumes) {
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(halo(sweep_args()).exit_code, 0);
  const auto full = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::map<std::string, std::string> clean;
  for (const auto& d : variant_dirs()) {
    for (const char* f : {"commonsense_eval.log", "retrieval_eval.log"}) clean[(d / f).string()] = read_file(d / f);
  }
  // Early (loading or the first batches), middle, and late in the run.
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
    // Batches journaled before the kill: one line each after the header (a torn last line aside).
    size_t journaled = 0;
    for (const auto& d : variant_dirs()) {
      if (complete_variants() == 4 || !std::filesystem::exists(d / "outcomes.jsonl")) continue;
      if (std::filesystem::exists(d / "results.json")) continue;
      std::string text = read_file(d / "outcomes.jsonl");
      size_t lines = count(text, "\n");
      if (lines > 1) journaled += lines - 1;
    }
    CommandResult r = halo(sweep_args());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(int(count(r.err, "already complete, skipped")), finished_before) << "killed at " << fraction << "\n" << r.err;
    size_t taken = 0;
    for (size_t at = r.err.find(" batch(es) taken back"); at != std::string::npos;
         at = r.err.find(" batch(es) taken back", at + 1)) {
      size_t begin = r.err.rfind(": ", at) + 2;
      taken += std::stoul(r.err.substr(begin, at - begin));
    }
    EXPECT_EQ(taken, journaled) << r.err;
    EXPECT_EQ(complete_variants(), 4);
    for (const auto& [path, text] : clean) EXPECT_EQ(read_file(path), text) << path << " killed at " << fraction;
    // No temporary files are left anywhere that a reader could mistake for results.
    for (const auto& d : variant_dirs()) {
      for (const auto& e : std::filesystem::directory_iterator(d)) {
        std::string name = e.path().filename().string();
        EXPECT_TRUE(name == "commonsense_eval.log" || name == "retrieval_eval.log" || name == "results.json" ||
                    name == "outcomes.jsonl" || name.rfind(".", 0) == 0)
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

// A NaN weight in layer 2's Stage-1 mixer makes that variant's log-probs NaN; without the check,
// choice 0 would win every document and the sweep would rank layer 2 first. The variant fails with
// error.log naming it, the task and the document; the others complete; the sweep exits 1.
TEST_F(SweepCli, NonFiniteMixerFailsItsVariantOnly) {
  testing::TinySpec spec;
  spec.vocab = 288;
  spec.bad_tensor = "model.model.layers.2.self_attn.student_layer.q_proj.weight";
  spec.bad_value = NAN;
  std::filesystem::remove_all(dir / "run");
  testing::write_tiny_run(dir / "run", spec, 10);
  CommandResult r = halo(sweep_args());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("1 of 4 variant(s) failed"), std::string::npos) << r.err;
  for (const auto& d : {root / "original", root / "tiny-lightning/layer0", root / "tiny-lightning/layer1"}) {
    EXPECT_TRUE(std::filesystem::exists(d / "results.json")) << d;
    EXPECT_FALSE(std::filesystem::exists(d / "error.log")) << d;
  }
  const auto layer2 = root / "tiny-lightning/layer2";
  EXPECT_FALSE(std::filesystem::exists(layer2 / "results.json"));
  const std::string error = read_file(layer2 / "error.log");
  EXPECT_EQ(count(error, "\n"), 1u) << error;
  EXPECT_NE(error.find("lightning at 2: arc_challenge doc_id 0: "), std::string::npos) << error;
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

// The Slurm array script maps SLURM_ARRAY_TASK_ID/COUNT (set here by hand) onto --shard.
TEST_F(SweepCli, SlurmArrayScriptRunsOneShardPerTask) {
  const std::string script = std::string(HALO_SOURCE_DIR) + "/scripts/slurm-sweep.sh";
  CommandResult unset = testing::run_command("/usr/bin/env", {"-u", "SLURM_ARRAY_TASK_ID", "bash", script});
  EXPECT_EQ(unset.exit_code, 2);
  EXPECT_NE(unset.err.find("Slurm array job"), std::string::npos) << unset.err;
  for (const char* id : {"7", "8"}) {  // --array=7-8: tasks 7 and 8 are shards 0/2 and 1/2
    std::vector<std::string> args{"SLURM_ARRAY_TASK_ID=" + std::string(id), "SLURM_ARRAY_TASK_MIN=7",
                                  "SLURM_ARRAY_TASK_COUNT=2", std::string("HALO=") + HALO_BINARY, "bash", script};
    for (const auto& a : sweep_args()) {
      if (a != "sweep") args.push_back(a);
    }
    CommandResult r = testing::run_command("/usr/bin/env", args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(std::string("in shard ") + (id[0] == '7' ? "0/2" : "1/2")), std::string::npos) << r.err;
  }
  EXPECT_EQ(complete_variants(), 4);
  EXPECT_TRUE(std::filesystem::exists(root / "summary-shard-0-of-2.txt"));
  EXPECT_TRUE(std::filesystem::exists(root / "summary-shard-1-of-2.txt"));
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

  // Other sequence lengths are other inputs: the sweep stops before running anything rather than
  // replace the finished results, and names the file it would lose.
  CommandResult refused = halo(sweep_args({"--tasks", "retrieval", "--layers", "0", "--ruler-lengths", "4096,8192"}));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(count(refused.err, "halo: error: "), 1u) << refused.err;
  EXPECT_NE(refused.err.find("results.json: holds a run with other inputs"), std::string::npos) << refused.err;
  EXPECT_EQ(count(refused.err, "done ("), 0u) << refused.err;
  // With --overwrite every variant is redone, even where --limit 4 keeps only 4096 documents; the
  // same lengths again are complete.
  CommandResult lengths =
      halo(sweep_args({"--tasks", "retrieval", "--layers", "0", "--ruler-lengths", "4096,8192", "--overwrite"}));
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
  expect_error(sweep_args({"--convert", "1"}), "--convert");  // sweep converts one layer at a time: --layers
  expect_error({"sweep", "--model", (dir / "model").string(), "--data", data.string(), "--out", root.string()},
               "needs --rnn");
}

// `--out` that is a file used to fail only after the weights were loaded and a suite had run.
TEST_F(SweepCli, OutputRootIsCheckedBeforeAnyWork) {
  write_file_atomic(dir / "a_file", "x");
  root = dir / "a_file";
  CommandResult r = halo(sweep_args());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: " + root.string() + ": --out must be a directory, but it is a file\n")
      << "no plan, no progress: nothing ran";
  root = dir / "a_file/root";
  r = halo(sweep_args());
  EXPECT_EQ(r.err, "halo: error: " + root.string() + ": --out: " + (dir / "a_file").string() +
                       " is a file, not a directory\n");
}

TEST_F(SweepCli, HelpOffersOnlyWhatTheSweepAccepts) {
  CommandResult r = halo({"sweep", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("--convert"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--tokenizer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--layers"), std::string::npos) << r.out;
}

TEST_F(SweepCli, EveryMissingDataFileOfBothSuitesIsNamedAtOnce) {
  std::filesystem::remove(data / "arc_challenge/test.jsonl");
  std::filesystem::remove(data / "fda/validation.jsonl");
  CommandResult r = halo(sweep_args({"--dry-run"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: " + data.string() +
                       ": 2 dataset files are missing: arc_challenge/test.jsonl, fda/validation.jsonl (see "
                       "docs/data.md for how to export them)\n");
}

TEST_F(SweepCli, FlagsSayWhatIsWrong) {
  std::vector<std::string> args = sweep_args();
  *(std::find(args.begin(), args.end(), "--limit") + 1) = "-1";
  CommandResult r = halo(args);
  EXPECT_EQ(r.err, "halo: error: --limit: -1 is negative; give a number of at least 1\n");
  // Repeated --tasks add up, as "commonsense,retrieval" does.
  r = halo(sweep_args({"--tasks", "commonsense", "--tasks", "retrieval", "--dry-run"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("  commonsense: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  retrieval: "), std::string::npos) << r.err;
}

TEST_F(SweepCli, TokenizerCanLiveOutsideTheModelDirectory) {
  auto tokenizer = dir / "tokenizer";
  std::filesystem::create_directories(tokenizer);
  for (const char* file : {"tokenizer.json", "tokenizer_config.json"}) {
    std::filesystem::rename(dir / "model" / file, tokenizer / file);
  }
  CommandResult r = halo(sweep_args({"--dry-run"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("model/tokenizer.json: missing; evaluation needs the model's tokenizer.json (pass --tokenizer"),
            std::string::npos) << r.err;
  r = halo(sweep_args({"--tokenizer", tokenizer.string(), "--layers", "1"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(root / "tiny-lightning/layer1/results.json"));
}

// Layer-prefix reuse changes how the work is scheduled, not the numbers: on CPU in fp32 the sweep's
// tables equal `halo eval` of each variant alone, byte for byte, on the trained golden model (every
// layer, every task at --limit), with one worker or two.
class SweepEquivalence : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = testing::fresh_temp_dir("sweep_equivalence");
    const auto golden = std::filesystem::path(HALO_TEST_DATA) / "golden_trained";
    std::filesystem::copy(golden / "models/qwen3_bytes_trained", dir / "model");
    for (const char* file : {"tokenizer.json", "tokenizer_config.json"}) {
      std::filesystem::copy_file(kTinyTokenizer / file, dir / "model" / file);
    }
    run = golden / "runs/stage1_bytes_trained";
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  CommandResult halo(const std::vector<std::string>& args) { return testing::run_command(HALO_BINARY, args); }
  std::vector<std::string> sweep_args(const std::filesystem::path& out, const std::string& device) {
    return {"sweep", "--model", (dir / "model").string(), "--rnn", run.string(), "--model-name", "g",
            "--data", kData.string(), "--limit", "3", "--precision", "fp32", "--device", device,
            "--out", out.string()};
  }
  // A log without its first line (the header names the model arguments, which differ by command).
  static std::string table(const std::string& log) { return log.substr(log.find('\n') + 1); }

  std::filesystem::path dir, run;
};

TEST_F(SweepEquivalence, SweepTablesEqualEachVariantEvaluatedAlone) {
  CommandResult sweep = halo(sweep_args(dir / "one", "cpu"));
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  CommandResult two = halo(sweep_args(dir / "two", "cpu,cpu"));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_NE(two.err.find("on 2 worker(s)"), std::string::npos) << two.err;
  for (int layer = -1; layer < 4; ++layer) {
    const std::string variant = layer < 0 ? "original" : fmt::format("g/layer{}", layer);
    for (const char* suite : {"commonsense", "retrieval"}) {
      std::vector<std::string> args{"eval", "--model", (dir / "model").string(), "--data", kData.string(),
                                    "--limit", "3", "--precision", "fp32", "--tasks", suite};
      if (layer >= 0) {
        for (std::string a : {std::string("--rnn"), run.string(), std::string("--convert"), std::to_string(layer)}) {
          args.push_back(a);
        }
      }
      CommandResult alone = halo(args);
      ASSERT_EQ(alone.exit_code, 0) << alone.err;
      const std::string log = std::string(suite) + "_eval.log";
      EXPECT_EQ(table(read_file(dir / "one" / variant / log)), table(alone.out)) << variant << " " << suite;
      EXPECT_EQ(read_file(dir / "two" / variant / log), read_file(dir / "one" / variant / log)) << variant;
    }
  }
}

// Every generated answer of one task in lm-eval's samples file under `dir` (one per document).
std::vector<std::string> generated_answers(const std::filesystem::path& dir, const std::string& task) {
  std::vector<std::string> answers;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("samples_" + task + "_", 0) != 0) continue;
    std::istringstream lines(read_file(entry.path()));
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) answers.push_back(nlohmann::json::parse(line)["resps"].dump());
    }
  }
  return answers;
}

// A hybrid checkpoint (`halo convert` output) as the base model: its own lightning layer lies
// below the swept layers' starts, where the variants take over the base pass's state (the unit
// test ABorrowingStateCopiesTheLendersLightningStates holds that copy itself). End to end, every
// generated answer of the trained demo model's variants equals that variant evaluated alone.
TEST(SweepOfAHybrid, AHybridBaseModelSweepsAsItsVariantsEvaluateAlone) {
  const auto dir = testing::fresh_temp_dir("sweep_hybrid_base");
  const auto demo = std::filesystem::path(HALO_SOURCE_DIR) / "examples/halo-demo";
  const std::string run = (demo / "stage1").string(), data = (demo / "data").string();
  const auto hybrid = dir / "hybrid";
  auto halo = [](const std::vector<std::string>& args) { return testing::run_command(HALO_BINARY, args); };
  CommandResult w = halo({"convert", "--model", (demo / "model").string(), "--rnn", run, "--convert", "0",
                          "--out", hybrid.string()});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const std::vector<std::string> common{"--data", data, "--limit", "4", "--precision", "fp32", "--tasks",
                                        "retrieval", "--ruler-lengths", "1024"};
  std::vector<std::string> sweep{"sweep", "--model", hybrid.string(), "--rnn", run, "--model-name", "h", "--layers",
                                 "3,5", "--lm-eval-output", "--out", (dir / "sweep").string()};
  sweep.insert(sweep.end(), common.begin(), common.end());
  CommandResult swept = halo(sweep);
  ASSERT_EQ(swept.exit_code, 0) << swept.err;
  size_t answers = 0;
  for (int layer : {-1, 3, 5}) {
    const auto alone_dir = dir / fmt::format("alone{}", layer);
    std::vector<std::string> args{"eval", "--model", hybrid.string(), "--lm-eval-output", alone_dir.string()};
    args.insert(args.end(), common.begin(), common.end());
    if (layer >= 0) {
      for (std::string a : {std::string("--rnn"), run, std::string("--convert"), std::to_string(layer)}) args.push_back(a);
    }
    CommandResult alone = halo(args);
    ASSERT_EQ(alone.exit_code, 0) << alone.err;
    const auto variant = dir / "sweep" / (layer < 0 ? "original" : fmt::format("h/layer{}", layer));
    for (const char* task : {"fda", "swde", "ruler_qa_squad"}) {
      std::vector<std::string> got = generated_answers(variant, task), want = generated_answers(alone_dir, task);
      EXPECT_EQ(got.size(), 4u) << variant << " " << task;
      EXPECT_EQ(got, want) << variant << " " << task;
      for (const std::string& a : got) answers += a != "[[\"\"]]" ? 1 : 0;
    }
  }
  EXPECT_GT(answers, 12u) << "the demo model should answer most prompts with text";
  std::filesystem::remove_all(dir);
}

// Each variant folder is locked while a sweep writes it: a second sweep on the same root stops at
// once with a message that says why, and writes nothing.
TEST_F(SweepEquivalence, SecondSweepOnALockedRootStops) {
  const auto out = dir / "root";
  std::filesystem::create_directories(out / "g/layer2");
  FileLock held(out / "g/layer2/.halo-sweep.lock", "a test");
  CommandResult r = halo(sweep_args(out, "cpu"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("another halo process is writing"), std::string::npos) << r.err;
  EXPECT_EQ(count(r.err, "\n"), 1u) << r.err;  // before anything else
  EXPECT_FALSE(std::filesystem::exists(out / "original/outcomes.jsonl"));
}

}  // namespace
}  // namespace halo
