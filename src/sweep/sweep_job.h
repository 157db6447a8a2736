// `halo sweep` as one library call: from the user's request (paths, layers, suites, devices) to a
// finished sweep root. It reads the model config once, plans the variants, builds every suite's
// requests before any weight is read (data problems surface first), fingerprints the inputs, loads
// the weights once per device, and runs the plan with layer-prefix reuse (sweep_runner.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "eval/metrics.h"
#include "sweep/sweep_plan.h"
#include "sweep/sweep_runner.h"

namespace halo::sweep {

struct SweepRequest {
  std::filesystem::path model_dir;
  std::filesystem::path rnn_dir;
  std::optional<int> rnn_step;
  std::filesystem::path tokenizer_dir;  // where tokenizer.json lives; empty = model_dir
  std::string layers;      // "0-27", "2,5-7"; empty = every layer
  std::string model_name;  // folder of the layer variants; empty = MODEL_DIR_NAME-lightning
  std::string tasks = "commonsense,retrieval";
  std::filesystem::path data_dir;
  std::filesystem::path out;
  std::optional<size_t> limit;
  std::vector<size_t> ruler_lengths = {4096};  // lm-eval's --metadata max_seq_lengths
  bool lm_eval_output = false;                 // also lm-eval's own files under VARIANT/lm-eval/
  eval::Precision precision = eval::Precision::bf16;
  Shard shard;
  std::string devices = "cpu";  // backend::parse_devices: one worker per entry
  int64_t prefix_memory = eval::kDefaultPrefixMemory;
  bool dry_run = false;  // print the plan (stdout) and the work per variant, read no weights
  bool overwrite = false;  // replace variant folders that hold a run with other inputs
  // The summary file under `out`; empty: summary.txt, or summary-shard-I-of-N.txt with shards.
  std::string summary_name;
};

// Runs the sweep. Variants that fail are counted in the outcome (each has an error.log); anything
// that stops the whole sweep is a halo::Error.
SweepOutcome run_sweep_job(const SweepRequest& request);

// The same for a list of variants planned by the caller (any layers converted, any folders under
// `request.out`; `layers`, `model_name` and `shard` are not used): one load of the weights,
// layer-prefix reuse, journals, resuming, locks and results exactly as for a sweep. `halo validate`
// evaluates its hybrids with it.
SweepOutcome run_planned_sweep(const SweepRequest& request, const std::vector<SweepVariant>& variants);

}  // namespace halo::sweep
