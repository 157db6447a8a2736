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
};

enum class OutputType { multiple_choice, generate_until };

struct GenerationSettings {
  std::vector<std::string> until;  // stop strings before the EOS string is appended
  int max_gen_toks = 0;
};

// Every metric here aggregates by the mean and is higher-is-better. `has_stderr`: lm-eval knows a
// closed-form stderr for the aggregation (its `mean`); numpy-mean and custom aggregations print N/A.
struct MetricSpec {
  std::string name;
  bool has_stderr = false;
};

struct LoadContext {
  std::filesystem::path data_dir;
  const Codec* codec = nullptr;  // for tasks whose documents depend on token counts (ruler)
  std::optional<size_t> limit;   // only the first `limit` documents are needed
};

struct LoadedDocs {
  std::vector<Doc> docs;
  std::vector<std::filesystem::path> files;  // what was read, for the input hash
};

struct Task {
  std::string name;
  int version = 0;
  OutputType output_type = OutputType::multiple_choice;
  std::string target_delimiter = " ";  // between context and each choice
  GenerationSettings generation;
  std::vector<MetricSpec> metrics;  // in lm-eval's table order (metric names sorted as strings)
  std::string data_files;           // the expected file(s) under --data, for help and errors
  // The files under --data the task can read, in order of preference; at least one must exist.
  std::vector<std::string> data_file_choices;
  std::function<LoadedDocs(const LoadContext&)> load;
  // generate_until: one value per metric from the generated text (already cut at stop strings).
  std::function<std::vector<double>(const Doc&, const std::string& output)> score_generation;
};

}  // namespace halo::eval
