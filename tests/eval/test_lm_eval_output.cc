// lm-eval's own output files for a halo run (lm_eval_output.h). The expected samples lines were
// produced by lm-eval 0.4.9.1's own steps, run in CPython on the same inputs: evaluate()'s example
// dict (doc_id, doc, target, arguments, resps, filtered_resps, filter, metrics, sha256 hashes of
// json.dumps(doc, indent=2, ensure_ascii=False), of the prompt and of str(target), then the metric
// values) and save_results_samples (gen_args_<i>/arg_<j>, sanitize_list, str(target), json.dumps).
#include <gtest/gtest.h>

#include "base/sha256.h"
#include "eval/lm_eval_output.h"
#include "eval/py_json.h"
#include "eval/registry.h"
#include "eval/runner.h"
#include "fakes.h"

namespace halo::eval {
namespace {

const std::filesystem::path kData = std::filesystem::path(HALO_TEST_DATA) / "eval";

// The fake model's replies (FakeModel scores every continuation token -1).
std::string reply(const std::string& prompt) {
  if (prompt.ends_with("applicant:")) return " MEDTRONIC, INC. (Minneapolis)\nnext line";
  if (prompt.ends_with("France? Answer:")) return " Paris.\nParis is the capital of France, as everyone knows.";
  return " I do not know.";
}

struct Evaluated {
  PreparedEval prepared;
  EvalResults results;
};

Evaluated run(const std::string& tasks, const std::filesystem::path& data, std::vector<size_t> lengths = {4096},
        std::optional<size_t> limit = std::nullopt) {
  static testing::ByteCodec codec;
  testing::FakeModel model(codec, reply);
  RunOptions o;
  o.data_dir = data;
  o.limit = limit;
  o.eos_string = "<|im_end|>";
  o.stop_token_ids = {testing::ByteCodec::kImEnd};
  o.progress = false;
  o.max_seq_lengths = std::move(lengths);
  Evaluated r;
  r.prepared = prepare_eval(resolve_tasks(tasks), codec, o);
  r.results = run_prepared(r.prepared, model, o);
  return r;
}

TEST(LmEvalOutput, MultipleChoiceSampleLine) {
  Evaluated r = run("arc_easy", kData);
  LmEvalSamples s = lm_eval_samples(r.prepared.tasks[0], r.results.tasks[0]);
  ASSERT_EQ(s.lines.size(), 2u);
  EXPECT_EQ(s.lines[0],
            R"x({"doc_id": 0, "doc": {"id": "E1", "question": "Which is a gas?", "choices": {"text": ["ice", "steam", "rock", "wood"], "label": ["A", "B", "C", "D"]}, "answerKey": "B"}, "target": "1", "arguments": {"gen_args_0": {"arg_0": "Question: Which is a gas?\nAnswer:", "arg_1": " ice"}, "gen_args_1": {"arg_0": "Question: Which is a gas?\nAnswer:", "arg_1": " steam"}, "gen_args_2": {"arg_0": "Question: Which is a gas?\nAnswer:", "arg_1": " rock"}, "gen_args_3": {"arg_0": "Question: Which is a gas?\nAnswer:", "arg_1": " wood"}}, "resps": [[["-4.0", "False"]], [["-6.0", "False"]], [["-5.0", "False"]], [["-5.0", "False"]]], "filtered_resps": [["-4.0", "False"], ["-6.0", "False"], ["-5.0", "False"], ["-5.0", "False"]], "filter": "none", "metrics": ["acc", "acc_norm"], "doc_hash": "a537e85be4ea0010eda851391a29914eeafd4f28be4aac687758d749bfda5e18", "prompt_hash": "1a6e5c43a3d4d2207a6ca1c0a4a26d47107e6643afcd1addf69a5d157f4ddba6", "target_hash": "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b", "acc": 0.0, "acc_norm": 1.0})x"
            "\n");
}

TEST(LmEvalOutput, GenerationSampleLines) {
  Evaluated fda = run("fda", kData);
  EXPECT_EQ(lm_eval_samples(fda.prepared.tasks[0], fda.results.tasks[0]).lines[0],
            R"x({"doc_id": 0, "doc": {"doc_id": "0", "file_name": "K1.txt", "key": "applicant", "value": "Medtronic, Inc.", "text": "510(k) SUMMARY applicant Medtronic, Inc. Minneapolis \n applicant:"}, "target": "Medtronic, Inc.", "arguments": {"gen_args_0": {"arg_0": "510(k) SUMMARY applicant Medtronic, Inc. Minneapolis \n applicant:", "arg_1": {"until": ["\n"], "max_gen_toks": 48}}}, "resps": [[" MEDTRONIC, INC. (Minneapolis)"]], "filtered_resps": [" MEDTRONIC, INC. (Minneapolis)"], "filter": "none", "metrics": ["contains"], "doc_hash": "fc02ee39a1fa252fe129a68bd7b2b16d47d9fdb8081fdb25456cd7bb1a93c593", "prompt_hash": "d5081d008b7ab8e313bda44d6e146984a2047eaff65340466f7f395d6b36f8bb", "target_hash": "af4e0110ff1865706835210e25cea74f1493af0f89b9d4bab45880a949297faa", "contains": 1})x"
            "\n");
  Evaluated ruler = run("ruler_qa_squad", kData / "prompts_lengths", {1024, 4096});
  EXPECT_EQ(lm_eval_samples(ruler.prepared.tasks[0], ruler.results.tasks[0]).lines[0],
            R"x({"doc_id": 0, "doc": {"index": 0, "input": "Document 1:\nParis is the capital of France.\n\nQuestion: What is the capital of France?", "outputs": ["Paris"], "length": 117, "max_length": 1024, "gen_prefix": "Answer:"}, "target": "['Paris']", "arguments": {"gen_args_0": {"arg_0": "Document 1:\nParis is the capital of France.\n\nQuestion: What is the capital of France? Answer:", "arg_1": {"do_sample": false, "temperature": 0.0, "max_gen_toks": 32, "until": []}}}, "resps": [[" Paris.\nParis is the capital of "]], "filtered_resps": [" Paris.\nParis is the capital of "], "filter": "none", "metrics": ["4096", "1024"], "doc_hash": "96b536b8097fc50c3045dfa973a0cfddaa489b0a7a07c70e32673e60a4ce7c22", "prompt_hash": "b7292067e4b4cfc31f2b1163f63da95026745d854ebf89404d48c8e2f823ea7e", "target_hash": "5c16081dc8c6c87a151bfa0a53e1e0f4f6af5155559b51f0e6e73b14ccaf13b7", "4096": -1.0, "1024": 1.0})x"
            "\n");
}

TEST(LmEvalOutput, ResultsFileLayout) {
  // arc_easy and fda from the main fixtures, ruler_qa_squad from lm-eval's two-length dump.
  Evaluated both = run("arc_easy,fda", kData, {1024, 4096});
  Evaluated ruler = run("ruler_qa_squad", kData / "prompts_lengths", {1024, 4096}, 3);
  PreparedEval prepared = std::move(both.prepared);
  EvalResults results = std::move(both.results);
  prepared.tasks.push_back(std::move(ruler.prepared.tasks[0]));
  prepared.limit = 3;
  results.tasks.push_back(std::move(ruler.results.tasks[0]));

  LmEvalRunInfo info;
  info.model_args = "pretrained=/models/Qwen3-1.7B,dtype=bfloat16";
  info.batch_size = lm_eval_batch_size("1");
  info.eos_token = "<|im_end|>";
  info.eos_id = 151645;
  info.max_length = 40960;
  info.environment = "halo: test";
  std::vector<std::string> hashes;
  for (size_t t = 0; t < results.tasks.size(); ++t) {
    hashes.push_back(lm_eval_samples(prepared.tasks[t], results.tasks[t]).task_hash);
  }
  nlohmann::ordered_json j = lm_eval_results(prepared, results, info, hashes);

  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples",
                      "config", "git_hash", "date", "pretty_env_info", "transformers_version", "lm_eval_version",
                      "upper_git_hash", "tokenizer_pad_token", "tokenizer_eos_token", "tokenizer_bos_token",
                      "eot_token_id", "max_length", "task_hashes", "model_source", "model_name",
                      "model_name_sanitized", "system_instruction", "system_instruction_sha", "fewshot_as_multiturn",
                      "chat_template", "chat_template_sha", "start_time", "end_time",
                      "total_evaluation_time_seconds"}));
  // Per task: alias, then each metric as process_results first reported it, with its stderr.
  EXPECT_EQ(py::json_dumps(j["results"]["arc_easy"]),
            R"x({"alias": "arc_easy", "acc,none": 0.0, "acc_stderr,none": 0.0, "acc_norm,none": 1.0, "acc_norm_stderr,none": 0.0})x");
  EXPECT_EQ(py::json_dumps(j["results"]["fda"]), R"x({"alias": "fda", "contains,none": 0.5, "contains_stderr,none": "N/A"})x");
  // --limit 3 with lengths [1024, 4096]: two 1024 documents (1, 1/2) and one 4096 document (0).
  EXPECT_EQ(py::json_dumps(j["results"]["ruler_qa_squad"]),
            R"x({"alias": "ruler_qa_squad", "4096,none": 0.0, "4096_stderr,none": "N/A", "1024,none": 0.5, "1024_stderr,none": 0.5})x");
  EXPECT_EQ(py::json_dumps(j["versions"]), R"x({"arc_easy": 1.0, "fda": 0, "ruler_qa_squad": 1.0})x");
  EXPECT_EQ(py::json_dumps(j["higher_is_better"]["ruler_qa_squad"]),
            R"x({"4096": true, "8192": true, "16384": true, "32768": true, "65536": true, "131072": true})x");
  // The dicts built from lm-eval's task list come in reverse alphabetical order (its ChainMap).
  EXPECT_EQ(py::json_dumps(j["n-samples"]),
            R"x({"ruler_qa_squad": {"original": 4, "effective": 3}, "fda": {"original": 2, "effective": 2}, "arc_easy": {"original": 2, "effective": 2}})x");
  EXPECT_EQ(j["task_hashes"]["arc_easy"], hashes[0]);
  EXPECT_EQ(j["task_hashes"].begin().key(), "ruler_qa_squad");
  // Task metadata: YAML tasks merge model_args and --metadata; fda keeps its own.
  EXPECT_EQ(py::json_dumps(j["configs"]["ruler_qa_squad"]["metadata"]),
            R"x({"version": 1.0, "pretrained": "/models/Qwen3-1.7B", "dtype": "bfloat16", "max_seq_lengths": [1024, 4096]})x");
  EXPECT_EQ(py::json_dumps(j["configs"]["fda"]["metadata"]), R"x({"version": 0})x");
  EXPECT_EQ(j["config"]["limit"], 3.0);
  EXPECT_EQ(j["config"]["batch_size"], 1);
  EXPECT_EQ(py::json_dumps(j["tokenizer_eos_token"]), R"x(["<|im_end|>", "151645"])x");
  EXPECT_EQ(py::json_dumps(j["tokenizer_bos_token"]), R"x([null, "None"])x");
  EXPECT_EQ(j["model_name"], "/models/Qwen3-1.7B");
  EXPECT_EQ(j["model_name_sanitized"], "__models__Qwen3-1.7B");
}

TEST(LmEvalOutput, TaskHashIsTheSha256OfEveryDocumentsHashes) {
  Evaluated r = run("arc_easy", kData);
  LmEvalSamples s = lm_eval_samples(r.prepared.tasks[0], r.results.tasks[0]);
  std::string joined;
  for (const auto& line : s.lines) {
    auto j = nlohmann::json::parse(line);
    joined += j["doc_hash"].get<std::string>() + j["prompt_hash"].get<std::string>() + j["target_hash"].get<std::string>();
  }
  EXPECT_EQ(s.task_hash, sha256_hex(joined));
}

TEST(LmEvalOutput, ModelNamesAndBatchSize) {
  EXPECT_EQ(lm_eval_model_name("pretrained=/a/b,dtype=bfloat16"), "/a/b");
  EXPECT_EQ(lm_eval_model_name("dtype=bfloat16,pretrained=m"), "m");
  EXPECT_EQ(lm_eval_model_name("peft=p,pretrained=m"), "p");  // peft= is looked for first
  EXPECT_EQ(lm_eval_model_name("dtype=bfloat16"), "");
  EXPECT_EQ(lm_eval_sanitize_model_name("C:\\x//y?*[z]\"<>|w"), "C__x__y__z__w");
  EXPECT_EQ(lm_eval_batch_size("16"), "16");  // lm-eval's CLI keeps --batch_size 16 as a string
  EXPECT_EQ(lm_eval_batch_size("1"), 1);      // its default is the integer 1
  std::string date = lm_eval_date_id();
  EXPECT_EQ(date.find(':'), std::string::npos);
  EXPECT_EQ(date[10], 'T');
}

TEST(LmEvalOutput, WritesTheFilesLmEvalWrites) {
  Evaluated r = run("arc_easy,fda", kData);
  auto dir = std::filesystem::temp_directory_path() / ("halo_lm_eval_output_" + std::to_string(::getpid()));
  LmEvalRunInfo info;
  info.model_args = "pretrained=/m/Qwen3,dtype=bfloat16";
  auto folder = write_lm_eval_output(dir, r.prepared, r.results, info);
  EXPECT_EQ(folder, dir / "__m__Qwen3");
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(folder)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 3u);
  std::string date = names[0].substr(8, names[0].size() - 8 - 5);  // results_<date>.json
  EXPECT_EQ(names[0], "results_" + date + ".json");
  EXPECT_EQ(names[1], "samples_arc_easy_" + date + ".jsonl");
  EXPECT_EQ(names[2], "samples_fda_" + date + ".jsonl");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace halo::eval
