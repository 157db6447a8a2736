// A task in lm-eval's spirit: mostly declaration (where the rows are, how a row becomes a prompt,
// choices and gold, which metrics, which generation settings) plus a few small functions.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/codec.h"

namespace halo::eval {

// One evaluation document after the task's preprocessing.
struct Doc {
  std::string context;               // the prompt (before the log-likelihood whitespace move)
  std::vector<std::string> choices;  // multiple choice: the answer options, without delimiter
  int gold = -1;                     // multiple choice: index of the right option
  std::vector<std::string> answers;  // generation: the gold strings
  size_t max_length = 0;             // ruler_qa_squad: the sequence length it was built for
  // The document as lm-eval holds it, for its samples file (lm_eval_output.h): the dataset row in
  // the dataset's column order plus what the task's process_docs adds; and str(doc_to_target(doc)).
  nlohmann::ordered_json record;
  std::string target;
};

enum class OutputType { multiple_choice, generate_until };

struct GenerationSettings {
  std::vector<std::string> until;  // stop strings before the EOS string is appended
  int max_gen_toks = 0;
  // The request's generation arguments as lm-eval builds them (its samples file logs them).
  nlohmann::ordered_json request_kwargs;
};

// How lm-eval turns the per-document values of a metric into the reported number.
enum class Aggregation {
  mean,        // lm-eval's mean; its closed-form stderr (sample std / sqrt(n)) when n > 1
  numpy_mean,  // numpy.mean: no known stderr, printed N/A
  // RULER's aggregate_metrics: the mean of the values that are not -1 (a document of another
  // length), the integer -1 when there are none; stderr N/A.
  ruler_length,
};

// A metric the task declares (lm-eval's metric_list, or a Python task's aggregation() and
// higher_is_better()). A metric a document reports without a declaration aggregates by lm-eval's
// fallback, `mean`, and has no higher_is_better entry (the table's arrow cell stays empty).
struct MetricSpec {
  std::string name;
  Aggregation aggregation = Aggregation::mean;
};

// One document's value of one metric, as lm-eval's process_results returns it; `integer` when
// that value is a Python int (fda/swde `contains`), which its samples file writes without ".0".
struct MetricValue {
  std::string name;
  double value = 0;
  bool integer = false;
  bool operator==(const MetricValue&) const = default;
};

struct LoadContext {
  std::filesystem::path data_dir;
  const Codec* codec = nullptr;  // for tasks whose documents depend on token counts (ruler)
  std::optional<size_t> limit;   // only the first `limit` documents are needed
  // lm-eval's --metadata max_seq_lengths: the lengths RULER builds documents for, in order.
  std::vector<size_t> max_seq_lengths = {4096};
};

struct LoadedDocs {
  std::vector<Doc> docs;
  std::vector<std::filesystem::path> files;  // what was read, for the input hash
  size_t total = 0;  // documents without --limit (lm-eval's n-samples "original")
};

// What lm-eval itself reports about a task besides its numbers (its results file's "configs",
// "versions", "higher_is_better").
struct LmEvalTaskInfo {
  nlohmann::ordered_json version;  // the task's VERSION: 1.0 for a YAML task, 0 for fda/swde
  // TaskConfig.to_dict() without "metadata" (added per run: the task's version merged with the
  // model_args and --metadata for YAML tasks). Fields lm-eval fills with a function's Python
  // source are null: halo does not copy lm-eval's code.
  nlohmann::ordered_json config;
  bool merges_run_metadata = true;  // false for fda/swde (Python task classes keep their own)
  std::vector<std::string> higher_is_better;  // metrics with a higher_is_better entry, in its order
};

struct Task {
  std::string name;
  int version = 0;
  OutputType output_type = OutputType::multiple_choice;
  std::string target_delimiter = " ";  // between context and each choice
  GenerationSettings generation;
  std::vector<MetricSpec> metrics;  // the declared metrics, in lm-eval's declaration order
  std::string data_files;           // the expected file(s) under --data, for help and errors
  // The files under --data the task can read, in order of preference; at least one must exist.
  std::vector<std::string> data_file_choices;
  bool uses_max_seq_lengths = false;  // its documents depend on LoadContext::max_seq_lengths
  std::function<LoadedDocs(const LoadContext&)> load;
  // generate_until: lm-eval's process_results on the generated text (already cut at stop strings):
  // the document's metric values in the order of the dict it returns.
  std::function<std::vector<MetricValue>(const Doc&, const std::string& output)> score_generation;
  LmEvalTaskInfo lm_eval;
};

}  // namespace halo::eval
