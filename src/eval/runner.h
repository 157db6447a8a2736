// Runs tasks on a model: load documents, build the token requests (prepare_eval), cut them into
// batches (plan_batches), run a batch on one or several variants (run_batch: per-document
// outcomes), and aggregate the outcomes into lm-eval's numbers (aggregate_outcomes). `halo eval`
// does all of it for one variant (run_prepared); the sweep prepares once and runs every batch for
// all its variants at once, keeping the outcomes in its journal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
  // The model's maximum length (config.json's max_position_embeddings, as lm-eval's HFLM.max_length
  // reads it): contexts are cut from the left to fit it exactly as lm-eval does (requests.h), and
  // no request runs a position at or beyond it. Unset: nothing is cut (tests with fake models).
  std::optional<int64_t> max_length;
  // Running and scoring them on one model (run_prepared).
  Precision precision = Precision::bf16;
  std::vector<int32_t> stop_token_ids;  // the generation config's EOS ids (HF stops on these)
  size_t score_batch = 64;              // documents per LanguageModel::score call
  // At most this many prompts per LanguageModel::generate call, holding at most this many prompt +
  // budget tokens (the KV cache of a batch: 30 GB for Qwen3-1.7B in bf16). Decoding a step costs
  // the weights' bytes and the launches whatever the batch, so the larger the batch the cheaper a
  // token (docs/PERFORMANCE.md); --prefix-memory usually binds first (bound_generation_batches).
  size_t generate_batch = 256;
  int64_t generate_batch_tokens = 262144;
  bool progress = true;                 // progress bar on stderr
  std::ostream* samples = nullptr;      // --log-samples: one JSON line per document
};

// One task's documents and token requests, ready to run on any variant.
struct PreparedTask {
  const Task* task = nullptr;
  std::vector<Doc> docs;
  size_t total_docs = 0;                          // without --limit (lm-eval's n-samples "original")
  std::vector<BuiltScoreRequest> score_requests;  // multiple choice: one per document
  std::vector<std::vector<int32_t>> prompts;      // generation: one per document (after left truncation)
  std::optional<StopStrings> stops;               // generation
  int max_new_tokens = 0;                         // generation: the task's max_gen_toks or the override
};

struct PreparedEval {
  std::vector<PreparedTask> tasks;  // alphabetical, as lm-eval prints them
  uint64_t input_hash = 0;          // data files, request ids, overridden budgets (model added per run)
  std::optional<size_t> limit;
  std::optional<int64_t> max_length;  // generation budgets are capped so prompt + output fit in it
  std::vector<size_t> max_seq_lengths;  // the RunOptions it was built with
  double seconds = 0;               // time spent preparing
};

// Loads every task's documents and encodes its requests. `codec` must outlive the result (the stop
// strings decode with it). Every data file the tasks need is checked first (check_data_files).
PreparedEval prepare_eval(std::span<const Task* const> tasks, const Codec& codec, const RunOptions& options);

// Default bound of what layer-prefix reuse keeps per generation batch (docs/sweep.md).
inline constexpr int64_t kDefaultPrefixMemory = int64_t(24) << 30;

// Sets options.generate_batch_tokens to the longest generation batch whose kept state
// (runtime::kept_bytes_per_prompt_token per token) fits in `budget` bytes, never above today's
// value. `halo eval` and the sweep both call it, so they cut the same batches.
void bound_generation_batches(RunOptions& options, int64_t kept_bytes_per_token, int64_t budget);

// One unit of work: documents [begin, end) of prepared.tasks[task]. The plan depends only on the
// prepared requests and the batch options, so a resumed, sharded or multi-worker run cuts exactly
// the same batches (and so gets the same numbers).
struct WorkBatch {
  size_t task = 0;
  size_t index = 0;  // position in the task's batches
  size_t begin = 0, end = 0;
};
std::vector<WorkBatch> plan_batches(const PreparedEval& prepared, const RunOptions& options);

// Runs `batch` on the variants `which` of `models`: outcomes[k][d] is variant which[k] on document
// batch.begin + d. A non-finite log-likelihood is an error naming the variant, task and document.
std::vector<std::vector<DocOutcome>> run_batch(const PreparedEval& prepared, const WorkBatch& batch,
                                               runtime::VariantSet& models, std::span<const size_t> which,
                                               const RunOptions& options);

// lm-eval's aggregates from every document's outcome (outcomes[t][doc] for prepared.tasks[t]);
// each TaskResult keeps its documents' outcomes (lm-eval's samples files are written from them).
// `task_seconds` (optional, per task) and `seconds` only fill the timing fields.
EvalResults aggregate_outcomes(const PreparedEval& prepared, const std::vector<std::vector<DocOutcome>>& outcomes,
                               const std::string& model_description, const RunOptions& options,
                               std::span<const double> task_seconds = {}, double seconds = 0);

// One --log-samples line for a document's outcome.
nlohmann::json sample_json(const PreparedTask& task, size_t doc, const DocOutcome& outcome);

// Every batch on one model, progress bars and --log-samples included, then the aggregates.
EvalResults run_prepared(const PreparedEval& prepared, runtime::LanguageModel& model, const RunOptions& options);

// prepare_eval then run_prepared. Results come back in alphabetical task order, as lm-eval prints them.
EvalResults run_eval(std::span<const Task* const> tasks, runtime::LanguageModel& model, const Codec& codec,
                     const RunOptions& options);

}  // namespace halo::eval
