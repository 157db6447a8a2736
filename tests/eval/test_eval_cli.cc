// `halo eval` end to end: every task on a tiny random model on CPU with --limit, through the real
// binary, tokenizer and runtime; output files; one-line errors for bad data.
#include <gtest/gtest.h>

#include "eval/lm_eval_table.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "base/atomic_file.h"
#include "run_command.h"
#include "table_rows.h"
#include "tiny_checkpoint.h"

namespace halo::eval {
namespace {

// Tasks in the results table printed on stdout.
size_t table_tasks(const std::string& out) {
  size_t n = 0;
  for (const TableRow& row : parse_results_table(out, "stdout")) n += row.names_task;
  return n;
}

const std::filesystem::path kData = std::filesystem::path(HALO_TEST_DATA) / "eval";
const std::filesystem::path kTinyTokenizer = std::filesystem::path(HALO_TEST_DATA) / "tokenizer" / "tiny";

class EvalCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = halo::testing::fresh_temp_dir("eval_cli");
    halo::testing::TinySpec spec;
    spec.vocab = 288;  // the tiny tokenizer's ids go up to 274
    halo::testing::write_tiny_model(dir / "model", spec);
    halo::testing::write_tiny_run(dir / "run", spec, 10);
    for (const char* file : {"tokenizer.json", "tokenizer_config.json"}) {
      std::filesystem::copy_file(kTinyTokenizer / file, dir / "model" / file);
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  halo::testing::CommandResult eval(std::vector<std::string> extra) {
    std::vector<std::string> args{"eval", "--model", (dir / "model").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return halo::testing::run_command(HALO_BINARY, args);
  }
  std::filesystem::path dir;
};

TEST_F(EvalCli, EveryTaskOnATinyModel) {
  auto out = dir / "table.txt", json = dir / "results.json", samples = dir / "samples.jsonl";
  auto r = eval({"--tasks", "commonsense,retrieval", "--data", kData.string(), "--limit", "2", "--out", out.string(),
                 "--results-json", json.string(), "--log-samples", samples.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("hf (pretrained=" + (dir / "model").string() + ",dtype=bfloat16), gen_kwargs: (None), "
                        "limit: 2.0, num_fewshot: 0, batch_size: 1\n", 0), 0u) << r.out;
  EXPECT_EQ(read_file(out), r.out);
  auto table = testing::rows_by_task(r.out);
  ASSERT_EQ(table.size(), 6u) << r.out;
  EXPECT_EQ(table["hellaswag"].size(), 2u);
  EXPECT_EQ(table["ruler_qa_squad"].at(0).first, 4096u);
  EXPECT_NE(r.err.find("hellaswag"), std::string::npos) << "progress on stderr";

  auto results = nlohmann::json::parse(read_file(json));
  EXPECT_EQ(results["tasks"].size(), 6u);
  EXPECT_EQ(results["tasks"]["hellaswag"]["num_samples"], 2);
  EXPECT_EQ(results["tasks"]["arc_challenge"]["num_samples"], 1);
  EXPECT_EQ(results["tasks"]["ruler_qa_squad"]["num_samples"], 2);
  EXPECT_EQ(results["tasks"]["fda"]["metrics"]["contains"]["stderr"], "N/A");
  EXPECT_EQ(results["input_hash"].get<std::string>().size(), 16u);
  EXPECT_EQ(results["precision"], "bf16");

  std::istringstream lines(read_file(samples));
  size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("generated_tokens")) {
      int limit = j["task"] == "ruler_qa_squad" ? 32 : 48;
      EXPECT_LE(j["generated_tokens"].get<int>(), limit);
    }
  }
  EXPECT_EQ(count, 2u + 2 + 1 + 2 + 1 + 2);  // hellaswag, arc_easy, arc_challenge, fda, swde, ruler
}

TEST_F(EvalCli, ConvertedVariantSeesOtherInputsThanTheOriginal) {
  auto hash_of = [&](std::vector<std::string> extra) {
    auto json = dir / "r.json";
    extra.insert(extra.end(), {"--tasks", "arc_easy", "--data", kData.string(), "--results-json", json.string()});
    auto r = eval(extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("batch_size: 16"), std::string::npos) << r.out;
    return nlohmann::json::parse(read_file(json))["input_hash"].get<std::string>();
  };
  std::string original = hash_of({});
  EXPECT_EQ(hash_of({"--precision", "fp32"}), original);
  EXPECT_NE(hash_of({"--rnn", (dir / "run").string(), "--convert", "1"}), original);
}

// The generation config, as HF's generate() reads it under lm-eval (docs/eval.md readings 2, 3).
TEST_F(EvalCli, GenerationConfigMaxNewTokensReplacesTheTaskBudget) {
  auto tokens_and_hash = [&](std::vector<std::string>* err) {
    auto json = dir / "r.json", samples = dir / "s.jsonl";
    auto r = eval({"--tasks", "fda,ruler_qa_squad", "--data", kData.string(), "--limit", "2", "--results-json",
                   json.string(), "--log-samples", samples.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    err->push_back(r.err);
    std::map<std::string, int> longest;
    std::istringstream lines(read_file(samples));
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line);
      int& n = longest[j["task"].get<std::string>()];
      n = std::max(n, j["generated_tokens"].get<int>());
    }
    return std::make_pair(longest, nlohmann::json::parse(read_file(json))["input_hash"].get<std::string>());
  };
  std::vector<std::string> errs;
  auto [plain, plain_hash] = tokens_and_hash(&errs);
  EXPECT_EQ(plain["ruler_qa_squad"], 32) << "the tiny model runs to the budget";
  EXPECT_EQ(errs.back().find("note"), std::string::npos) << errs.back();

  const auto config = dir / "model" / "generation_config.json";
  write_file_atomic(config, R"({"eos_token_id": 287, "max_new_tokens": 40, "do_sample": true, "temperature": 0.6})");
  auto [longer, longer_hash] = tokens_and_hash(&errs);
  EXPECT_EQ(longer["ruler_qa_squad"], 40) << "generation_config.json's max_new_tokens wins over max_gen_toks 32";
  EXPECT_LE(longer["fda"], 40);
  EXPECT_NE(longer_hash, plain_hash);
  const std::string note = "halo: note: " + config.string() +
                           ": max_new_tokens 40 replaces every generation task's max_gen_toks "
                           "(HF gives it precedence over lm-eval's max_length; see docs/eval.md)\n";
  EXPECT_EQ(errs.back().find(note), 0u) << errs.back();
  EXPECT_EQ(errs.back().find("note", note.size()), std::string::npos) << "said once";
}

TEST_F(EvalCli, UnsupportedGenerationConfigFieldIsOneLineError) {
  const auto config = dir / "model" / "generation_config.json";
  write_file_atomic(config, R"({"eos_token_id": 287, "do_sample": true, "temperature": 0.6, "top_k": 20,
                               "top_p": 0.95, "repetition_penalty": 1.1})");
  auto r = eval({"--tasks", "swde", "--data", kData.string(), "--limit", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: " + config.string() +
                       ": repetition_penalty 1.1 is not supported (lm-eval would apply it; see docs/eval.md)\n");
  EXPECT_EQ(r.out, "");
  // Without it the sampling-only fields are ignored, as under lm-eval's do_sample=False.
  write_file_atomic(config, R"({"eos_token_id": 287, "do_sample": true, "temperature": 0.6, "top_k": 20,
                               "top_p": 0.95, "repetition_penalty": 1.0})");
  r = eval({"--tasks", "swde", "--data", kData.string(), "--limit", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("halo: "), std::string::npos) << r.err;
}

// A NaN weight in layer 2's Stage-1 mixer: that variant's logits are NaN, and halo eval stops with
// one line naming the variant, the task and the first document, for scoring and for generation
// tasks alike; other variants of the same run are unaffected.
TEST_F(EvalCli, NonFiniteWeightsStopWithOneLineNamingVariantTaskAndDocument) {
  halo::testing::TinySpec spec;
  spec.vocab = 288;
  spec.bad_tensor = "model.model.layers.2.self_attn.student_layer.q_proj.weight";
  spec.bad_value = NAN;
  halo::testing::write_tiny_run(dir / "nan_run", spec, 10);
  for (const char* task : {"arc_easy", "fda"}) {
    auto r = eval({"--rnn", (dir / "nan_run").string(), "--convert", "2", "--tasks", task, "--data", kData.string(),
                   "--limit", "2"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const std::string err = r.err.substr(r.err.find("halo: error: "));  // after the progress bars
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << r.err;
    EXPECT_NE(err.find(fmt::format("lightning at 2: {} doc_id 0: ", task)), std::string::npos) << r.err;
  }
  auto fine = eval({"--rnn", (dir / "nan_run").string(), "--convert", "1", "--tasks", "arc_easy,fda", "--data",
                    kData.string(), "--limit", "2"});
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
}

TEST_F(EvalCli, RulerAtTwoLengthsPrintsARowPerLength) {
  // A data folder with fda, swde and lm-eval's dump of a two-length ruler run (two prompts each).
  auto data = dir / "data";
  for (const char* task : {"fda", "swde"}) {
    std::filesystem::create_directories(data / task);
    std::filesystem::copy_file(kData / task / "validation.jsonl", data / task / "validation.jsonl");
  }
  std::filesystem::create_directories(data / "ruler_qa_squad");
  std::filesystem::copy_file(kData / "prompts_lengths" / "ruler_qa_squad" / "prompts.jsonl",
                             data / "ruler_qa_squad" / "prompts.jsonl");
  auto json = dir / "r.json";
  auto r = eval({"--tasks", "retrieval", "--data", data.string(), "--ruler-lengths", "1024,4096", "--results-json",
                 json.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // "1024" is outside the task's metric_list: no arrow, lm-eval's mean with a stderr.
  EXPECT_NE(r.out.find("\n|ruler_qa_squad|      1|none  |     0|1024    |   |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n|              |       |none  |     0|4096    |↑  |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("|   N/A|\n|swde"), std::string::npos) << "4096: N/A\n" << r.out;
  auto results = nlohmann::json::parse(read_file(json));
  auto metrics = results["tasks"]["ruler_qa_squad"]["metrics"];
  EXPECT_EQ(metrics.size(), 2u);
  EXPECT_TRUE(metrics["1024"]["higher_is_better"].is_null());
  EXPECT_TRUE(metrics["1024"]["stderr"].is_number());
  EXPECT_EQ(metrics["4096"]["stderr"], "N/A");

  // The default is today's single length; prompts of another length are then an error.
  r = eval({"--tasks", "ruler_qa_squad", "--data", data.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.find("halo: error:")),
            "halo: error: " + (data / "ruler_qa_squad" / "prompts.jsonl").string() +
                ":1: max_length 1024 is not among the sequence lengths asked for (4096)\n");
  for (const auto& [flag, message] : std::vector<std::pair<std::string, std::string>>{
           {"0", "--ruler-lengths: 0 is not a positive sequence length"},
           {"1024,1024", "--ruler-lengths: 1024 appears twice"},
           {"1024,x", "--ruler-lengths: 'x' is not an integer"}}) {
    r = eval({"--tasks", "fda", "--data", data.string(), "--ruler-lengths", flag});
    EXPECT_EQ(r.exit_code, 1) << flag;
    EXPECT_EQ(r.err, "halo: error: " + message + "\n");
  }
}

TEST_F(EvalCli, LmEvalOutputAndDiff) {
  // halo's lm-eval files, run twice: the same model and data agree with themselves.
  auto once = dir / "once", twice = dir / "twice";
  for (const auto& out : {once, twice}) {
    auto r = eval({"--tasks", "arc_easy,fda", "--data", kData.string(), "--limit", "2", "--lm-eval-output", out.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto diff = [](const std::filesystem::path& a, const std::filesystem::path& b) {
    return halo::testing::run_command(HALO_BINARY, {"lm-eval-diff", "--lm-eval", a.string(), "--halo", b.string()});
  };
  auto r = diff(once, twice);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.out.ends_with("lm-eval-diff: the outputs agree\n")) << r.out;
  EXPECT_EQ(r.err, "");

  // Against lm-eval's own files for the same data (another model): requests, documents, targets
  // and hashes agree; only what the model decides differs.
  const auto lm_eval = std::filesystem::path(HALO_TEST_DATA) / "lm_eval" / "output";
  r = diff(lm_eval, once);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("arc_easy: documents: 2 compared"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fda: documents: 2 compared"), std::string::npos) << r.out;
  for (const char* mismatch : {"context of", "continuation of", "document field", "document differs", "target ", "_hash",
                               "generation arguments", "only in"}) {
    EXPECT_EQ(r.out.find(mismatch), std::string::npos) << mismatch << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("log-likelihood of choice"), std::string::npos) << r.out;

  // Bad input: one line, exit status 2 (1 means "they differ").
  r = diff(once, dir / "nowhere");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "halo: error: " + (dir / "nowhere").string() + ": not a directory (expected lm-eval's --output_path)\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(EvalCli, BadDataIsOneLineError) {
  auto r = eval({"--tasks", "hellaswag", "--data", (dir / "nowhere").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: --data " + (dir / "nowhere").string() + ": not a directory\n");
  std::filesystem::create_directories(dir / "data" / "fda");
  std::filesystem::copy_file(kData / "bad" / "based_missing_field.jsonl", dir / "data" / "fda" / "validation.jsonl");
  r = eval({"--tasks", "fda", "--data", (dir / "data").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: " + (dir / "data" / "fda" / "validation.jsonl").string() + ":2: missing field 'value'\n");
  write_file_atomic(dir / "model" / "generation_config.json", R"({"eos_token_id": "<|end|>"})");
  r = eval({"--tasks", "swde", "--data", kData.string(), "--limit", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: " + (dir / "model" / "generation_config.json").string() +
                       ": eos_token_id must be an integer or a list of integers\n");
  r = eval({"--tasks", "piqa", "--data", kData.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown task 'piqa'"), std::string::npos) << r.err;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// A bad output location used to fail only after the whole evaluation.
TEST_F(EvalCli, OutputLocationsAreCheckedBeforeAnyWork) {
  write_file_atomic(dir / "a_file", "x");
  auto r = eval({"--tasks", "arc_easy", "--data", kData.string(), "--results-json", (dir / "a_file/r.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: " + (dir / "a_file/r.json").string() + ": --results-json: " +
                       (dir / "a_file").string() + " is a file, not a directory\n")
      << "nothing ran before the error";
  std::filesystem::create_directories(dir / "a_dir");
  r = eval({"--tasks", "arc_easy", "--data", kData.string(), "--log-samples", (dir / "a_dir").string()});
  EXPECT_EQ(r.err, "halo: error: " + (dir / "a_dir").string() + ": --log-samples names a directory, not a file\n");
  r = eval({"--tasks", "arc_easy", "--data", kData.string(), "--out", (dir / "same.txt").string(), "--results-json",
            (dir / "same.txt").string()});
  EXPECT_EQ(r.err, "halo: error: " + (dir / "same.txt").string() +
                       ": named by both --out and --results-json; each output needs its own file\n");
  EXPECT_EQ(r.out, "");
}

// --limit -1 used to become 18446744073709551615.
TEST_F(EvalCli, LimitMustBeAPositiveNumber) {
  auto r = eval({"--tasks", "arc_easy", "--data", kData.string(), "--limit", "-1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: --limit: -1 is negative; give a number of at least 1\n");
  r = eval({"--tasks", "arc_easy", "--data", kData.string(), "--limit", "99999999999999999999999"});
  EXPECT_EQ(r.err, "halo: error: --limit: 99999999999999999999999 is too large\n");
  r = eval({"--tasks", "arc_easy", "--data", kData.string(), "--limit", "0"});
  EXPECT_EQ(r.err, "halo: error: --limit: must be at least 1\n");
}

// --tasks given twice used to fail with CLI11's "At Most 1 required but received 2".
TEST_F(EvalCli, TasksGivenTwiceAddUpAndRunOnce) {
  auto r = eval({"--tasks", "arc_easy", "--tasks", "arc_easy,arc_challenge", "--data", kData.string(), "--limit", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(table_tasks(r.out), 2u) << r.out;
  EXPECT_EQ(count(r.out, "|arc_easy"), 1u) << r.out;
}

// eval used to say only "tokenizer.json: no such file" for a model directory without one.
TEST_F(EvalCli, TokenizerCanLiveOutsideTheModelDirectory) {
  auto tokenizer = dir / "tokenizer";
  std::filesystem::create_directories(tokenizer);
  for (const char* file : {"tokenizer.json", "tokenizer_config.json"}) {
    std::filesystem::rename(dir / "model" / file, tokenizer / file);
  }
  auto r = eval({"--tasks", "arc_easy", "--data", kData.string(), "--limit", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: " + (dir / "model/tokenizer.json").string() +
                       ": missing; evaluation needs the model's tokenizer.json (pass --tokenizer DIR if it lives "
                       "elsewhere)\n");
  r = eval({"--tokenizer", tokenizer.string(), "--tasks", "arc_easy", "--data", kData.string(), "--limit", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(table_tasks(r.out), 1u) << r.out;
}

// Every missing data file in one error, not one per run.
TEST_F(EvalCli, EveryMissingDataFileIsNamedAtOnce) {
  auto data = dir / "data";
  std::filesystem::copy(kData, data, std::filesystem::copy_options::recursive);
  std::filesystem::remove(data / "hellaswag/validation.jsonl");
  std::filesystem::remove(data / "swde/validation.jsonl");
  auto r = eval({"--tasks", "commonsense,retrieval", "--data", data.string(), "--limit", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: " + data.string() +
                       ": 2 dataset files are missing: hellaswag/validation.jsonl, swde/validation.jsonl (see "
                       "docs/data.md for how to export them)\n");
  // A row with no choices says so (it used to say "has 0 entries but choices.label has 0").
  write_file_atomic(data / "arc_easy/test.jsonl",
                    R"({"id": "E9", "question": "Q?", "choices": {"text": [], "label": []}, "answerKey": "A"})");
  r = eval({"--tasks", "arc_easy", "--data", data.string()});
  EXPECT_EQ(r.err, "halo: error: " + (data / "arc_easy/test.jsonl").string() +
                       ":1: the row has no choices (choices.text and choices.label are empty)\n");
}

// Contexts are cut from the left at the model's max_position_embeddings exactly as lm-eval 0.4.9.1's
// HF backend cuts them; before, they ran whole (a 100k-character context took minutes of attention
// over positions the model was never trained on).
class ShortModelEvalCli : public EvalCli {
 protected:
  void SetUp() override {
    EvalCli::SetUp();
    auto config = nlohmann::json::parse(read_file(dir / "model/config.json"));
    config["max_position_embeddings"] = kMaxLength;
    write_file_atomic(dir / "model/config.json", config.dump());
    data = dir / "data";
    write_file_atomic(data / "arc_easy/test.jsonl",
                      R"({"id": "L1", "question": "Which of these words is the one that the longest question of this )"
                      R"(test file is asking about, given all of the words that came before it?", "choices": {"text": )"
                      R"(["hello world", "ab"], "label": ["A", "B"]}, "answerKey": "A"})" "\n");
    write_file_atomic(data / "fda/validation.jsonl",
                      R"({"doc_id": "0", "file_name": "f", "key": "k", "value": "v", "text": "a short one:"})" "\n" +
                          nlohmann::json{{"doc_id", "1"}, {"file_name", "f"}, {"key", "k"}, {"value", "v"},
                                         {"text", std::string(100000, 'a') + " and then the question:"}}.dump() +
                          "\n");
  }
  std::vector<int> token_ids(const std::string& text) {
    auto r = halo::testing::run_command(HALO_BINARY, {"tokenize", "--tokenizer", (dir / "model").string(), "--text",
                                                      text, "--ids-only"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<int> ids;
    std::istringstream in(r.out);
    for (std::string id; std::getline(in, id, ',');) ids.push_back(std::stoi(id));
    return ids;
  }
  static constexpr int kMaxLength = 60;
  std::filesystem::path data;
};

TEST_F(ShortModelEvalCli, LogLikelihoodsAreThoseOfTheLeftTruncatedInput) {
  auto samples = dir / "s.jsonl";
  auto r = eval({"--tasks", "arc_easy", "--data", data.string(), "--precision", "fp32", "--log-samples",
                 samples.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto sample = nlohmann::json::parse(read_file(samples));
  const std::string context = sample["context"];
  const std::vector<int> context_ids = token_ids(context);
  ASSERT_GT(context_ids.size(), size_t(kMaxLength)) << "the question must not fit";
  EXPECT_EQ(sample["context_tokens"], context_ids.size());
  for (size_t c = 0; c < 2; ++c) {
    std::vector<int> whole = token_ids(context + sample["continuations"][c].get<std::string>());
    const size_t continuation = whole.size() - context_ids.size();
    // lm-eval: (context + continuation)[-(max_length + 1):], scored on its last len(continuation) tokens.
    std::vector<int> input(whole.end() - (kMaxLength + 1), whole.end());
    EXPECT_EQ(sample["context_tokens_kept"][c], kMaxLength + 1 - continuation);
    std::string tokens;
    for (int id : input) tokens += (tokens.empty() ? "" : ",") + std::to_string(id);
    auto score =
        halo::testing::run_command(HALO_BINARY, {"score", "--model", (dir / "model").string(), "--tokens", tokens});
    ASSERT_EQ(score.exit_code, 0) << score.err;
    auto logprobs = nlohmann::json::parse(score.out)["logprobs"].get<std::vector<double>>();
    double expected = 0;
    for (size_t i = logprobs.size() - continuation; i < logprobs.size(); ++i) expected += logprobs[i];
    ASSERT_NEAR(sample["loglikelihoods"][c].get<double>(), expected, 1e-4) << "choice " << c;
  }
}

TEST_F(ShortModelEvalCli, PromptsKeepTheirLastMaxLengthMinusMaxGenToksTokens) {
  auto samples = dir / "s.jsonl";
  auto r = eval({"--tasks", "fda", "--data", data.string(), "--log-samples", samples.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(read_file(samples));
  std::vector<size_t> prompt_tokens;
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    prompt_tokens.push_back(j["prompt_tokens"]);
    EXPECT_LE(j["prompt_tokens"].get<size_t>() + j["generated_tokens"].get<size_t>(), size_t(kMaxLength));
  }
  const size_t short_prompt = token_ids("a short one:").size();
  EXPECT_EQ(prompt_tokens, (std::vector<size_t>{short_prompt, kMaxLength - 48}));
  // lm-eval asserts max_length > max_gen_toks; so does halo, in one line.
  auto config = nlohmann::json::parse(read_file(dir / "model/config.json"));
  config["max_position_embeddings"] = 48;
  write_file_atomic(dir / "model/config.json", config.dump());
  r = eval({"--tasks", "fda", "--data", data.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "halo: error: fda: max_gen_toks 48 leaves no room for a prompt within the model's maximum length "
                   "48 (max_position_embeddings)\n");
}

}  // namespace
}  // namespace halo::eval
