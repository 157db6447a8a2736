// `halo validate` as one library call (docs/validate.md): from a finished sweep, the hybrid of
// HALO's selection — its k attention layers kept, every other layer converted, what the next HALO
// stage starts from — and of the alternatives at the same k, evaluated on the sweep's tasks with
// the sweep's machinery (one load of the weights, layer-prefix reuse, journals, resuming); each
// hybrid is a variant folder ROOT/validate/attn-L1-L2-…; the comparison goes to ROOT/validation.json
// and stdout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "select/named_selection.h"
#include "select/validation.h"
#include "sweep/sweep_job.h"

namespace halo::validate {

struct ValidateRequest {
  // Model, Stage-1 run, tokenizer, data, --limit, --ruler-lengths, precision, devices, prefix memory,
  // and `out`: the sweep root, where the sweep's results are read and the hybrids written. Both
  // suites are evaluated; `layers`, `model_name` and `shard` are not used.
  sweep::SweepRequest eval;
  std::string model_name;     // the sweep's variants folder; empty: MODEL_DIR_NAME-lightning, as sweep
  std::optional<int> select;  // k
  std::optional<double> ratio;  // or a fraction of the layers (default select::kDefaultRatio)
  std::uint64_t seed = 0;       // of the random selection
  // Selections compared besides the defaults (select::default_selections), e.g. from proxy scores;
  // each must have k distinct layers.
  std::vector<select::NamedSelection> extra;
};

struct ValidateRun {
  select::Validation validation;
  std::string printed;  // the table, for stdout
};

ValidateRun run_validate(const ValidateRequest& request);

}  // namespace halo::validate
