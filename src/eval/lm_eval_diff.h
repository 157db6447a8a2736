// Compares two lm-evaluation-harness output folders for the same model and data (lm_eval_files.h),
// typically lm-eval's own and the one `halo eval --lm-eval-output` wrote: per task the metric
// differences, and every document whose requests, log-likelihoods (beyond bf16 noise) or decisions
// differ. docs/lm-eval-check.md explains the tolerance and the recipe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "eval/lm_eval_files.h"

namespace halo::eval {

struct LmEvalDiffOptions {
  // Log-likelihoods agree when |a - b| <= ll_tolerance + one bf16 spacing of max(|a|, |b|). A bf16
  // model's logits are bf16: an implementation whose fp32 accumulation differs in the last bits can
  // round a logit of magnitude below 64 to the neighbouring bf16 value, moving that token's
  // log-probability by up to 0.25; lm-eval then rounds the sum to bf16 (one spacing).
  double ll_tolerance = 0.25;
  std::vector<std::string> tasks;  // compare only these (empty: every task of either side)
};

struct LmEvalDiff {
  std::string report;  // the human-readable comparison, one finding per line
  size_t tasks_missing = 0;      // tasks in one output only
  size_t metrics_differing = 0;  // aggregated metrics that differ
  size_t docs_differing = 0;     // documents with any difference (or in one output only)
  bool agree() const { return tasks_missing == 0 && metrics_differing == 0 && docs_differing == 0; }
};

// `reference` is lm-eval's output, `candidate` halo's; the report names them "lm-eval" and "halo".
LmEvalDiff diff_lm_eval_outputs(const LmEvalOutput& reference, const LmEvalOutput& candidate,
                                const LmEvalDiffOptions& options);

// One bf16 spacing at |x|: 2^(floor(log2 |x|) - 7); 0 for x = 0.
double bf16_spacing(double x);

}  // namespace halo::eval
