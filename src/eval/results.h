// What an evaluation run produces: aggregated metrics per task, plus what identifies the run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/task.h"

namespace halo::eval {

struct MetricResult {
  std::string name;
  double value = 0;
  std::optional<double> stderr_value;  // none → "N/A"
  bool higher_is_better = true;
  // false when lm-eval's higher_is_better has no entry for the metric (a RULER length outside the
  // task's metric_list): the table's arrow cell is empty.
  bool direction_known = true;
  bool integer_value = false;  // a Python int (RULER's -1): lm-eval prints it without "%.4f"
};

// What one variant did on one document: enough to rebuild the task's metrics, lm-eval's per-sample
// record (lm_eval_output.h) and resampled aggregates (bootstrap); the sweep journals it
// (outcome_journal.h).
struct DocOutcome {
  std::vector<double> loglikelihoods;  // multiple choice, under the chosen precision
  std::vector<bool> is_greedy;         // multiple choice: every continuation token was the argmax
  std::string output;                  // generation: the text after the stop-string cut
  size_t generated_tokens = 0;         // generation
  std::vector<MetricValue> metrics;    // process_results' values, in its order
};

struct TaskResult {
  std::string name;
  int version = 0;
  size_t num_samples = 0;
  std::vector<MetricResult> metrics;  // lm-eval's order: metric names sorted as strings
  double seconds = 0;
  std::vector<DocOutcome> docs;       // one per document, in document order
};

struct EvalResults {
  std::vector<TaskResult> tasks;  // alphabetical, as lm-eval prints them
  std::string model_description;  // LanguageModel::describe()
  std::string precision;          // "bf16" or "fp32"
  std::optional<size_t> limit;
  uint64_t input_hash = 0;        // data files + request token ids + model description
  double prepare_seconds = 0;     // loading data and building requests
  double seconds = 0;             // running and scoring them
};

}  // namespace halo::eval
