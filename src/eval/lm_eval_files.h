// Reading lm-evaluation-harness 0.4.9.1's output folder (`lm_eval --output_path P --log_samples`):
// the results_<date>.json files and, for every task in them, samples_<task>_<date>.jsonl. Written
// from lm-eval's EvaluationTracker and evaluate(), not from halo's writer (lm_eval_output.h), so
// the same reader serves files from both. Every problem is one halo::Error naming the file (and
// line) and what is wrong.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace halo::eval {

// One request of a document: arguments (gen_args_<i>) and its response.
struct LmEvalRequest {
  std::string context;                 // arg_0
  nlohmann::ordered_json second;       // arg_1: the continuation (a string) or the generation kwargs
  std::optional<double> loglikelihood;  // loglikelihood requests: float(resps[i][0][0])
  std::optional<bool> is_greedy;        // loglikelihood requests: resps[i][0][1] == "True"
  std::optional<std::string> text;      // generate_until requests: filtered_resps[i]
};

// One line of a samples file.
struct LmEvalSample {
  size_t line = 0;
  int64_t doc_id = 0;
  nlohmann::ordered_json doc;
  std::string target;
  std::vector<LmEvalRequest> requests;
  std::vector<std::pair<std::string, double>> metrics;  // "metrics" names with their values
  std::string doc_hash, prompt_hash, target_hash;
};

struct LmEvalTask {
  std::string name;
  std::filesystem::path results_file;  // the newest results file that has the task
  std::filesystem::path samples_file;
  std::string output_type;             // configs[task].output_type
  std::string target_delimiter = " ";  // configs[task].target_delimiter
  std::vector<std::pair<std::string, double>> metrics;  // results[task]["<m>,none"], in file order
  std::vector<LmEvalSample> samples;
};

struct LmEvalOutput {
  std::filesystem::path dir;   // the folder holding the results files
  std::vector<LmEvalTask> tasks;  // alphabetical
};

// `path` is lm-eval's --output_path (holding one model folder) or that model folder itself. When
// several results files name a task (lm-eval run twice into one folder), the newest wins, as on
// lm-eval's own result cards.
LmEvalOutput read_lm_eval_output(const std::filesystem::path& path);

}  // namespace halo::eval
