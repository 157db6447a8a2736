// Runs a sweep plan: every variant of this shard is evaluated on the requested suites and its
// files are written in the reference layout. Finished variants (results.json present with the same
// input fingerprint and suites) are skipped, so a killed sweep restarted with the same command
// redoes at most the variant that was running. A variant that fails gets error.log and the sweep
// goes on.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eval/lm_eval_output.h"
#include "eval/runner.h"
#include "runtime/language_model.h"
#include "sweep/sweep_plan.h"

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
};

// Makes the LanguageModel for one variant (the weights stay loaded; only the plan changes).
using ModelFactory = std::function<std::unique_ptr<runtime::LanguageModel>(const model::Variant&)>;

struct SweepOutcome {
  int ran = 0, skipped = 0, failed = 0;
};

SweepOutcome run_sweep(const std::vector<SweepVariant>& variants, const SweepOptions& options,
                       const ModelFactory& make_model);

// True when `dir` holds a finished variant for these suites and this fingerprint.
bool variant_complete(const std::filesystem::path& dir, const std::vector<Suite>& suites,
                      const std::string& fingerprint);

}  // namespace halo::sweep
