// lm-evaluation-harness 0.4.9.1's own output files for a halo run, so anyone with lm-eval can check
// halo document by document (lm_eval_diff.h): what `lm_eval --output_path P --log_samples` writes,
//   P/<model_name_sanitized>/results_<date>.json        (EvaluationTracker.save_results_aggregated)
//   P/<model_name_sanitized>/samples_<task>_<date>.jsonl (EvaluationTracker.save_results_samples)
// with lm-eval's field names, nesting, key order, encodings and hashes. What halo cannot know about
// lm-eval's environment (git hash, torch and transformers versions, pad token, the HF model's
// parameter count and hub SHA) is null or lm-eval's value for a local model; docs/lm-eval-check.md
// lists every such field.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/results.h"
#include "eval/runner.h"

namespace halo::eval {

// The run facts lm-eval's results file holds besides the tasks.
struct LmEvalRunInfo {
  std::string model_args;  // "pretrained=DIR,dtype=bfloat16" (model_name is its pretrained= value)
  // --batch_size as lm-eval's CLI keeps it: the string given ("16"), or the integer default 1.
  nlohmann::ordered_json batch_size = 1;
  // add_tokenizer_info: [token text, str(id)] for EOS and BOS ([null, "None"] without one),
  // eot_token_id (the EOS id) and the model's max_length (max_position_embeddings).
  std::optional<std::string> eos_token;
  std::optional<int32_t> eos_id;
  std::optional<std::string> bos_token;
  std::optional<int32_t> bos_id;
  std::optional<int64_t> max_length;
  std::string environment;  // pretty_env_info: halo's own description of the model and device
};

// lm-eval's --batch_size as its CLI keeps it, from the value the report's header line shows: the
// string passed ("16"), or the integer default 1 when none was ("1").
nlohmann::ordered_json lm_eval_batch_size(const std::string& header_batch_size);

// lm-eval's GeneralConfigTracker._get_model_name: the value after the first of "peft=", "delta=",
// "pretrained=", "model=", "path=", "engine=" found in `model_args`, up to the next ','.
std::string lm_eval_model_name(const std::string& model_args);
// sanitize_model_name: every run of the characters " < > : / | \ ? * [ ] becomes "__".
std::string lm_eval_sanitize_model_name(const std::string& name);
// datetime.now().isoformat() with ':' replaced by '-': "2025-08-04T12-30-05.123456" (local time;
// the fraction is left out when the microseconds are 0, as isoformat does).
std::string lm_eval_date_id();

// One task's samples file: one json.dumps line per document, and the task hash lm-eval puts in the
// results file (sha256 of every document's doc_hash + prompt_hash + target_hash, concatenated).
struct LmEvalSamples {
  std::vector<std::string> lines;  // each ending in "\n"
  std::string task_hash;
};
LmEvalSamples lm_eval_samples(const PreparedTask& prepared, const TaskResult& result);

// The results file's JSON (before json.dumps(indent=2)); `task_hashes` in the tasks' order.
nlohmann::ordered_json lm_eval_results(const PreparedEval& prepared, const EvalResults& results,
                                       const LmEvalRunInfo& info, const std::vector<std::string>& task_hashes);

// Writes the results file and one samples file per task under `output_path` as lm-eval would, and
// returns the folder they went to (output_path / sanitized model name).
std::filesystem::path write_lm_eval_output(const std::filesystem::path& output_path, const PreparedEval& prepared,
                                           const EvalResults& results, const LmEvalRunInfo& info);

}  // namespace halo::eval
