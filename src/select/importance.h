// Importance of each layer from a sweep's results (docs/lm-eval-rules.md §7.3 and §8): the
// per-log averages layer_analysis.py computes, then the HALO or Jet-Nemotron score.
#pragma once

#include <string>
#include <vector>

#include "select/mode.h"
#include "select/sweep_results.h"

namespace halo::select {

// The average of one suite's rows: per task (in table order) drop negative values, sort the
// (context, value) pairs stably by context, drop the first when `skip_first` (commonsense: this
// drops acc and keeps acc_norm), then the plain mean of every value kept, summed in that order.
struct SuiteAverage {
  double value = 0;
  std::vector<std::string> kept;  // "task/metric" of every value averaged, in summation order
};
SuiteAverage suite_average(const SuiteResults& suite, Suite which, const std::string& label);

// Which rows one suite's averages used ("task/metric", in summation order), and where the
// original's came from.
struct AveragedRows {
  std::vector<std::string> original;
  std::vector<std::string> layers;  // the same for every layer (checked)
  std::string original_source;
  // Rows the original averages that no layer has: the published HypeNet-8B sweep's original
  // retrieval log also holds the commonsense tasks, and layer_analysis.py averages every row of a
  // log, so its retrieval baseline includes them. Empty when the original matches the layers.
  std::vector<std::string> original_extra;
};

// cs and rt of the original and of every layer. Every layer must average the same task/metric
// rows (a task missing in one layer is an error naming it), and the original must have each of
// them; the original may have more (see AveragedRows::original_extra), which, as in
// layer_analysis.py, enter its average. Without commonsense results (jet-nemotron mode only),
// cs is empty and cs_original NaN.
struct SweepAverages {
  bool has_commonsense = true;
  double cs_original = 0;
  double rt_original = 0;
  std::vector<double> cs;  // cs[L]
  std::vector<double> rt;  // rt[L]
  AveragedRows cs_rows;
  AveragedRows rt_rows;
};
SweepAverages average_sweep(const SweepResults& results);

// score[L]:
//   HALO:         min(50, (max rt − rt_L) / (max cs − cs_L + 1e-10)), maxima over the swept layers;
//   jet-nemotron: rt_original − rt_L.
// HALO needs commonsense averages. Throws when the scores cannot tell layers apart: fewer than two
// layers, every layer with the same retrieval average (all scores equal in both modes), or (HALO)
// every layer with the same commonsense average (every denominator is the 1e-10 guard, so every
// score is clipped to 50 or 0).
std::vector<double> importance(const SweepAverages& averages, Mode mode, const std::string& source);

}  // namespace halo::select
