// Importance of each layer from a sweep's results (spec lm-eval-tasks.md §7.3 and §8):
// the per-log averages layer_analysis.py computes, then the HALO or Jet-Nemotron score.
#pragma once

#include <string>
#include <vector>

#include "select/sweep_results.h"

namespace halo::select {

enum class Mode { halo, jet_nemotron };
Mode parse_mode(const std::string& text);  // "halo" / "jet-nemotron", any letter case
const char* mode_name(Mode mode);          // "HALO" / "jet-nemotron", as the reference spells them

// The average of one suite's rows: per task (in table order) drop negative values, sort the
// (context, value) pairs stably by context, drop the first when `skip_first` (commonsense: this
// drops acc and keeps acc_norm), then the plain mean of every value kept, summed in that order.
struct SuiteAverage {
  double value = 0;
  std::vector<std::string> kept;  // "task/metric" of every value averaged, in summation order
};
SuiteAverage suite_average(const SuiteResults& suite, Suite which, const std::string& label);

// cs and rt of the original and of every layer. Every variant must keep the same task/metric
// values as the original model; a task missing in one layer is an error naming it.
struct SweepAverages {
  double cs_original = 0;
  double rt_original = 0;
  std::vector<double> cs;  // cs[L]
  std::vector<double> rt;  // rt[L]
};
SweepAverages average_sweep(const SweepResults& results);

// score[L]:
//   HALO:         min(50, (max rt − rt_L) / (max cs − cs_L + 1e-10)), maxima over the swept layers;
//   jet-nemotron: rt_original − rt_L.
// Throws when the scores cannot tell layers apart: fewer than two layers, every layer with the
// same retrieval average (all scores equal in both modes), or (HALO) every layer with the same
// commonsense average (every denominator is the 1e-10 guard, so every score is clipped to 50 or 0).
std::vector<double> importance(const SweepAverages& averages, Mode mode, const std::string& source);

}  // namespace halo::select
