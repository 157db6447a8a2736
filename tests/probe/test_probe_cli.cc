// `halo probe` end to end on the small trained golden model (tests/data/golden_trained) with the
// tiny tokenizer, a generated calibration text and the eval fixtures: the record it writes, how its
// proxies follow from the per-task numbers it records, --root/--layers, and one-line errors that
// stop before anything is written.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "eval/probe_record.h"
#include "run_command.h"
#include "tiny_checkpoint.h"

namespace halo {
namespace {

using testing::CommandResult;

const std::filesystem::path kData = std::filesystem::path(HALO_TEST_DATA) / "eval";
const std::filesystem::path kGolden = std::filesystem::path(HALO_TEST_DATA) / "golden_trained";
const std::filesystem::path kTinyTokenizer = std::filesystem::path(HALO_TEST_DATA) / "tokenizer" / "tiny";

// Python-like lines (the golden model was trained on Python source), deterministic.
std::string corpus(size_t lines) {
  std::mt19937 rng(7);
  const char* names[] = {"value", "index", "result", "self", "items", "key", "count", "name"};
  std::string out;
  for (size_t i = 0; i < lines; ++i) {
    const char* a = names[rng() % 8];
    const char* b = names[rng() % 8];
    switch (rng() % 3) {
      case 0: out += fmt::format("    {} = {}.get({})\n", a, b, rng() % 100); break;
      case 1: out += fmt::format("    if {} is None:\n        return {}\n", a, b); break;
      default: out += fmt::format("def {}_{}({}):\n", a, b, a); break;
    }
  }
  return out;
}

class ProbeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = halo::testing::fresh_temp_dir("probe_cli");
    std::filesystem::copy(kGolden / "models/qwen3_bytes_trained", dir / "model");
    for (const char* file : {"tokenizer.json", "tokenizer_config.json"}) {
      std::filesystem::copy_file(kTinyTokenizer / file, dir / "model" / file);
    }
    run = kGolden / "runs/stage1_bytes_trained";
    write_file_atomic(dir / "calib.txt", corpus(120));
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  CommandResult halo(const std::vector<std::string>& args) { return testing::run_command(HALO_BINARY, args); }
  std::vector<std::string> probe_args(std::vector<std::string> extra) {
    std::vector<std::string> args{"probe", "--model", (dir / "model").string(), "--rnn", run.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  std::vector<std::string> full_args(const std::filesystem::path& out) {
    return probe_args({"--calibration", (dir / "calib.txt").string(), "--chunk-tokens", "64", "--text-chunks", "6",
                       "--data", kData.string(), "--requests", "2", "--out", out.string()});
  }
  void expect_one_line_error(const CommandResult& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "probe.json"));
  }

  std::filesystem::path dir, run;
};

TEST_F(ProbeCli, WritesEveryProxyForEveryLayer) {
  const CommandResult r = halo(full_args(dir / "probe.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const eval::ProbeRecord p = eval::read_probe_record(dir / "probe.json");
  EXPECT_EQ(p.num_layers, 4);
  EXPECT_EQ(p.layers, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(p.rnn_step, 600);
  EXPECT_EQ(p.precision, "fp32");
  EXPECT_EQ(p.device, "cpu");
  for (const std::string& name : eval::probe_proxy_names()) {
    ASSERT_TRUE(p.proxies.contains(name)) << name;
    ASSERT_EQ(p.proxies.at(name).size(), 4u) << name;
  }
  // The stdout table: a header naming the proxies and one line per layer.
  EXPECT_NE(r.out.find("Layer |      kl-text | kl-retrieval |          nll |           bi"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Wrote " + (dir / "probe.json").string()), std::string::npos);

  // The corpus: whole 64-token chunks of the tokenized file (counted here with halo tokenize).
  const CommandResult tok = halo({"tokenize", "--tokenizer", (dir / "model").string(), "--text", read_file(dir / "calib.txt")});
  ASSERT_EQ(tok.exit_code, 0) << tok.err;
  const size_t tokens = nlohmann::json::parse(tok.out)["ids"].size();
  ASSERT_TRUE(p.text.has_value());
  EXPECT_EQ(p.text->chunks_in_file, int64_t(tokens / 64));
  EXPECT_EQ(p.text->chunks, std::min<int64_t>(6, int64_t(tokens / 64)));
  EXPECT_EQ(p.text->positions, p.text->chunks * 63);
  EXPECT_EQ(p.text->file, (dir / "calib.txt").string());
  EXPECT_EQ(p.text->sha256.size(), 64u);

  // Tasks: the first 2 documents of each fixture file, and the proxies as the per-task numbers say.
  EXPECT_EQ(p.requests_per_task, 2);
  const std::map<std::string, int64_t> docs{{"arc_challenge", 1}, {"arc_easy", 2}, {"fda", 2}, {"hellaswag", 2},
                                            {"ruler_qa_squad", 2}, {"swde", 1}};
  ASSERT_EQ(p.tasks.size(), docs.size());
  for (const auto& [task, n] : docs) {
    ASSERT_TRUE(p.tasks.contains(task)) << task;
    EXPECT_EQ(p.tasks.at(task).requests, n) << task;
    EXPECT_GE(p.tasks.at(task).answer_tokens, n) << task;
  }
  for (size_t k = 0; k < 4; ++k) {
    double nll = 0, kl = 0;
    int retrieval = 0;
    for (const auto& [task, t] : p.tasks) {
      nll += t.nll[k] - t.nll_original;
      if (t.suite == "retrieval") kl += t.kl[k], ++retrieval;
      EXPECT_GE(t.kl[k], 0.0);
      EXPECT_EQ(t.suite, task == "fda" || task == "swde" || task == "ruler_qa_squad" ? "retrieval" : "commonsense");
    }
    EXPECT_EQ(retrieval, 3);
    EXPECT_NEAR(p.proxies.at("nll")[k], nll / double(p.tasks.size()), 1e-12);
    EXPECT_NEAR(p.proxies.at("kl-retrieval")[k], kl / 3, 1e-12);
    EXPECT_GT(p.proxies.at("kl-text")[k], 0.0);
    EXPECT_GT(p.proxies.at("bi")[k], 0.0);
    EXPECT_LT(p.proxies.at("bi")[k], 2.0);
  }
}

TEST_F(ProbeCli, RootLayersAndOneSideOnly) {
  // --root writes ROOT/probe.json; --layers probes only those; without --data only kl-text and bi.
  CommandResult r = halo(probe_args({"--calibration", (dir / "calib.txt").string(), "--chunk-tokens", "32",
                                     "--text-chunks", "3", "--layers", "1,3", "--root", (dir / "root").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  eval::ProbeRecord p = eval::read_probe_record(dir / "root/probe.json");
  EXPECT_EQ(p.layers, (std::vector<int>{1, 3}));
  EXPECT_EQ(p.proxies.size(), 2u);
  EXPECT_TRUE(p.proxies.contains("kl-text") && p.proxies.contains("bi"));
  EXPECT_TRUE(p.tasks.empty());
  EXPECT_TRUE(p.data.empty());
  // Without a corpus: only the task proxies; --tasks retrieval leaves nll to the retrieval tasks.
  r = halo(probe_args({"--data", kData.string(), "--tasks", "retrieval", "--requests", "1", "--layers", "2",
                       "--out", (dir / "t.json").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  p = eval::read_probe_record(dir / "t.json");
  EXPECT_FALSE(p.text.has_value());
  EXPECT_EQ(p.proxies.size(), 2u);
  EXPECT_TRUE(p.proxies.contains("kl-retrieval") && p.proxies.contains("nll"));
  EXPECT_EQ(p.tasks.size(), 3u);
}

TEST_F(ProbeCli, BadInputsAreOneLineErrors) {
  const std::string out = (dir / "probe.json").string();
  const std::string calib = (dir / "calib.txt").string();
  expect_one_line_error(halo(probe_args({"--calibration", (dir / "nope.txt").string(), "--out", out})),
                        (dir / "nope.txt").string() + ": calibration corpus not found (--calibration)");
  write_file_atomic(dir / "empty.txt", "\n\n");
  expect_one_line_error(halo(probe_args({"--calibration", (dir / "empty.txt").string(), "--out", out})),
                        (dir / "empty.txt").string() + ": the calibration corpus is empty");
  write_file_atomic(dir / "short.txt", "def f(x):\n");
  expect_one_line_error(halo(probe_args({"--calibration", (dir / "short.txt").string(), "--out", out})),
                        (dir / "short.txt").string() + ": 10 tokens, fewer than one chunk of 512 (--chunk-tokens)");
  expect_one_line_error(halo(probe_args({"--calibration", calib, "--layers", "2,7", "--out", out})), "--layers");
  expect_one_line_error(halo(probe_args({"--out", out})), "probe needs --calibration FILE (kl-text, bi) and/or --data DIR");
  expect_one_line_error(halo(probe_args({"--calibration", calib})), "probe needs exactly one of --out FILE and --root DIR");
  expect_one_line_error(halo({"probe", "--model", (dir / "model").string(), "--calibration", calib, "--out", out}),
                        "probe needs --rnn");
  expect_one_line_error(halo(probe_args({"--data", (dir / "nodata").string(), "--out", out})), "not a directory");
  expect_one_line_error(halo(probe_args({"--calibration", calib, "--chunk-tokens", "600", "--out", out})),
                        "--chunk-tokens 600: a chunk runs 599 positions, more than the model's max_position_embeddings 512");
  std::filesystem::create_directories(dir / "data");
  expect_one_line_error(halo(probe_args({"--data", (dir / "data").string(), "--out", out})), "missing");
  expect_one_line_error(halo(probe_args({"--calibration", calib, "--tasks", "bogus", "--data", kData.string(),
                                         "--out", out})),
                        "bogus");
}

}  // namespace
}  // namespace halo
