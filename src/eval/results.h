// What an evaluation run produces: aggregated metrics per task, plus what identifies the run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace halo::eval {

struct MetricResult {
  std::string name;
  double value = 0;
  std::optional<double> stderr_value;  // none → "N/A"
  bool higher_is_better = true;
};

struct TaskResult {
  std::string name;
  int version = 0;
  size_t num_samples = 0;
  std::vector<MetricResult> metrics;  // lm-eval's order: metric names sorted as strings
  double seconds = 0;
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
