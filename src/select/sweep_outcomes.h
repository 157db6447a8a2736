// The per-document outcomes a sweep keeps next to each variant's results (VARIANT/outcomes.jsonl,
// read through eval/outcome_journal.h), arranged for resampling (select/bootstrap.h): per task,
// every variant's documents in document order. Published logs and our results file hold only the
// tables, so a sweep loaded from them has none.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "eval/results.h"
#include "eval/task.h"
#include "select/sweep_results.h"

namespace halo::select {

// One task's documents as every variant did them. Variants are indexed as in SweepOutcomes.
struct TaskOutcomes {
  Suite suite = Suite::retrieval;
  const eval::Task* task = nullptr;  // the registry's task of that name
  std::vector<std::vector<eval::DocOutcome>> variants;  // variants[v][doc]
  std::size_t docs() const { return variants.empty() ? 0 : variants.front().size(); }
};

struct SweepOutcomes {
  // Suites in kSuites order, tasks by name within a suite: the order the bootstrap draws in.
  std::vector<TaskOutcomes> tasks;
  // Per variant, where its outcomes came from: [0] the original, [1 + L] layer L.
  std::vector<std::string> sources;
};

// The outcomes of every variant of `results` (the suites it has), or nullopt when no variant kept
// any (a results file, or published logs without outcomes.jsonl). Everything must be complete and
// consistent, else a one-line error naming the file: every variant has its journal, each journal is
// intact (no damaged lines), all come from one sweep run (same input fingerprint), each task's
// batches cover its documents exactly once, and every variant has the same tasks with the same
// number of documents.
std::optional<SweepOutcomes> load_sweep_outcomes(const SweepResults& results);

}  // namespace halo::select
