// Runs tasks on a LanguageModel: load documents, build the token requests, execute them in batches,
// score, aggregate. Shared by `halo eval` and the sweep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "eval/codec.h"
#include "eval/metrics.h"
#include "eval/results.h"
#include "eval/task.h"
#include "runtime/language_model.h"

namespace halo::eval {

struct RunOptions {
  std::filesystem::path data_dir;
  Precision precision = Precision::bf16;
  std::optional<size_t> limit;           // first N documents of every task
  std::vector<int32_t> stop_token_ids;   // the generation config's EOS ids (HF stops on these)
  std::string eos_string;                // decode(eos id, specials kept): always a stop string
  std::optional<int32_t> prefix_token;   // BOS, else EOS: stands in for an empty context
  size_t score_batch = 64;               // documents per LanguageModel::score call
  size_t generate_batch = 16;            // prompts per LanguageModel::generate call
  bool progress = true;                  // progress bar on stderr
  std::ostream* samples = nullptr;       // --log-samples: one JSON line per document
};

// Results come back in alphabetical task order, as lm-eval prints them.
EvalResults run_eval(std::span<const Task* const> tasks, runtime::LanguageModel& model, const Codec& codec,
                     const RunOptions& options);

}  // namespace halo::eval
