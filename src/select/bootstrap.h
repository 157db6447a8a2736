// Ranking stability by a paired bootstrap over the evaluated documents (docs/rank.md, "Bootstrap").
//
// Every replicate draws, for each task, as many document indices as the task has, uniformly with
// replacement, and uses the SAME indices for every variant (they were evaluated on the same
// documents, so their differences are paired). From the drawn documents it recomputes every table
// value the ranking reads — lm-eval's aggregation of each metric (eval/metrics.h), printed with four
// decimals as the logs print it — then the suite averages, the scores and the top k exactly as the
// ranking does (select/importance.h, select/ranking.h).
//
// Determinism: one std::mt19937_64 seeded with the seed (its output is fixed by the C++ standard)
// draws every index, replicate after replicate, task after task in SweepOutcomes order, document
// after document. An index in [0, n) is not drawn through std::uniform_int_distribution (whose
// algorithm each standard library chooses) but by rejection: take 64-bit outputs x until
// x >= 2^64 mod n, and use x mod n. The 95% intervals are the 2.5th and 97.5th percentiles of the
// ranked replicates' scores, interpolated linearly between order statistics as numpy.percentile's
// default does.
#pragma once

#include <cstdint>

#include "select/mode.h"
#include "select/ranking.h"
#include "select/stability.h"
#include "select/sweep_outcomes.h"
#include "select/sweep_results.h"

namespace halo::select {

struct BootstrapOptions {
  int replicates = 1000;
  std::uint64_t seed = 0;
};

// `results` are the tables the ranking used and `outcomes` the same sweep's documents. The
// documents must reproduce the tables exactly (every row, every value), else a one-line error
// naming the journal: they would come from another run. `selection` gives k and the chosen set.
Stability bootstrap_ranking(const SweepResults& results, const SweepOutcomes& outcomes, Mode mode,
                            const Selection& selection, const BootstrapOptions& options);

}  // namespace halo::select
