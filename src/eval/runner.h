// Runs tasks on a LanguageModel: load documents, build the token requests, execute them in batches,
// score, aggregate. Shared by `halo eval` and the sweep, which prepares the requests once and runs
// them on every variant.
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
#include "eval/requests.h"
#include "eval/results.h"
#include "eval/task.h"
#include "runtime/language_model.h"

namespace halo::eval {

struct RunOptions {
  // Building requests (prepare_eval): fixed for a sweep (same tokenizer, same data).
  std::filesystem::path data_dir;
  std::optional<size_t> limit;          // first N documents of every task
  std::string eos_string;               // decode(eos id, specials kept): always a stop string
  std::optional<int32_t> prefix_token;  // BOS, else EOS: stands in for an empty context
  // The generation config's max_new_tokens: HF gives it precedence over lm-eval's max_length, so it
  // replaces every generation task's max_gen_toks (generation_config.h).
  std::optional<int> max_new_tokens;
  // lm-eval's --metadata max_seq_lengths: the lengths ruler_qa_squad builds documents for, in order.
  std::vector<size_t> max_seq_lengths = {4096};
  // Running and scoring them on one model (run_prepared).
  Precision precision = Precision::bf16;
  std::vector<int32_t> stop_token_ids;  // the generation config's EOS ids (HF stops on these)
  size_t score_batch = 64;              // documents per LanguageModel::score call
  size_t generate_batch = 64;           // at most this many prompts per LanguageModel::generate call,
  int64_t generate_batch_tokens = 65536;  // holding at most this many prompt + budget tokens (the
                                          // KV cache of a batch: 7.5 GB for Qwen3-1.7B)
  bool progress = true;                 // progress bar on stderr
  std::ostream* samples = nullptr;      // --log-samples: one JSON line per document
};

// One task's documents and token requests, ready to run on any variant.
struct PreparedTask {
  const Task* task = nullptr;
  std::vector<Doc> docs;
  size_t total_docs = 0;                          // without --limit (lm-eval's n-samples "original")
  std::vector<BuiltScoreRequest> score_requests;  // multiple choice: one per document
  std::vector<std::vector<int32_t>> prompts;      // generation: one per document
  std::optional<StopStrings> stops;               // generation
  int max_new_tokens = 0;                         // generation: the task's max_gen_toks or the override
};

struct PreparedEval {
  std::vector<PreparedTask> tasks;  // alphabetical, as lm-eval prints them
  uint64_t input_hash = 0;          // data files, request ids, overridden budgets (model added per run)
  std::optional<size_t> limit;
  std::vector<size_t> max_seq_lengths;  // the RunOptions it was built with
  double seconds = 0;               // time spent preparing
};

// Loads every task's documents and encodes its requests. `codec` must outlive the result (the stop
// strings decode with it).
PreparedEval prepare_eval(std::span<const Task* const> tasks, const Codec& codec, const RunOptions& options);

EvalResults run_prepared(const PreparedEval& prepared, runtime::LanguageModel& model, const RunOptions& options);

// prepare_eval then run_prepared. Results come back in alphabetical task order, as lm-eval prints them.
EvalResults run_eval(std::span<const Task* const> tasks, runtime::LanguageModel& model, const Codec& codec,
                     const RunOptions& options);

}  // namespace halo::eval
