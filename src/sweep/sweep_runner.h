// Runs a sweep plan with layer-prefix reuse: work is cut into batches of requests (eval's plan),
// and each batch runs once for every variant that still needs it, the original model's layers
// below each variant's first converted layer computed once (runtime/variant_set_runner.h).
// Several workers (one per device) take batches from one queue.
//
// What survives a kill: every batch's per-document outcomes are appended to each variant's
// journal (outcomes.jsonl, fsync'd) as soon as the batch is done, so a restart with the same inputs
// redoes at most the batches that were running. A variant's suite log is written (atomically) as
// soon as its last batch of that suite is in, and results.json — written last, with the input
// fingerprint and a hash of every file of the variant — marks it finished. Each variant folder is
// locked while a sweep writes it. A variant that fails gets error.log and the others go on.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "eval/lm_eval_output.h"
#include "eval/runner.h"
#include "runtime/language_model.h"
#include "sweep/sweep_plan.h"

namespace halo {
class FileLock;
}

namespace halo::sweep {

// A suite is one lm-eval invocation of the reference sweep and one log file.
struct Suite {
  std::string name;        // "commonsense" / "retrieval"
  std::string log_name;    // "commonsense_eval.log" / "retrieval_eval.log"
  std::string batch_size;  // as the reference's header line shows it ("16" / "1")
  eval::PreparedEval prepared;  // its requests, built once and run on every variant
};

// "commonsense", "retrieval" or both, comma-separated (requests not prepared yet).
std::vector<Suite> parse_suites(const std::string& spec);

// What one variant costs: requests and tokens of every suite (for --dry-run and the plan line).
std::string describe_work(const std::vector<Suite>& suites);

struct SweepOptions {
  std::filesystem::path root;
  std::vector<Suite> suites;
  std::string fingerprint;  // of the model, run, prepared requests and settings
  std::string model_args;   // for the report header line, e.g. "pretrained=DIR,dtype=bfloat16"
  eval::RunOptions run;     // shared by every variant
  // When set, each variant also gets lm-eval's own output files per suite under VARIANT/lm-eval/
  // (eval/lm_eval_output.h; batch size and environment filled in per suite and variant).
  std::optional<eval::LmEvalRunInfo> lm_eval;
  // summary.txt, or summary-shard-I-of-N.txt when shards share the root (each writes its own).
  std::string summary_name = "summary.txt";
  // A variant folder holding results or a journal of a run with other inputs is replaced only when
  // set (--overwrite); otherwise the sweep stops before running anything, so no finished or
  // half-finished work is thrown away by a rerun with changed flags.
  bool overwrite_other_runs = false;
};

struct SweepOutcome {
  int ran = 0, skipped = 0, failed = 0;
};

// The locks on the variant folders of a plan (ROOT/…/.halo-sweep.lock), taken before any heavy work
// so a second sweep on the same root stops at once; held until destroyed.
class VariantLocks {
 public:
  VariantLocks(const std::filesystem::path& root, const std::vector<SweepVariant>& variants);
  ~VariantLocks();
  VariantLocks(VariantLocks&&) noexcept;

 private:
  std::vector<std::unique_ptr<FileLock>> locks_;
};

// `workers` each hold the plan's variants in plan order (index i = variants[i]); one thread runs
// each. Every worker computes the same numbers, so which one takes a batch does not matter. The
// caller holds the folders' locks.
SweepOutcome run_sweep(const std::vector<SweepVariant>& variants, const SweepOptions& options,
                       std::span<runtime::VariantSet* const> workers, const VariantLocks& locks);

// True when `dir` holds a finished variant for these suites and this fingerprint, every file as
// results.json recorded it.
bool variant_complete(const std::filesystem::path& dir, const std::vector<Suite>& suites,
                      const std::string& fingerprint);

}  // namespace halo::sweep
