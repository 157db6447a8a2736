// A layer sweep's results, loaded either from the reference layout of lm-eval logs
//   {root}/original/{commonsense,retrieval}_eval.log
//   {root}/{model}/layer{L}/{commonsense,retrieval}_eval.log
// or from our compact results file (docs/rank.md), which holds the same table rows as JSON.
// Both give the same rows, so everything downstream treats them alike.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "select/results_table.h"

namespace halo::select {

enum class Suite { commonsense, retrieval };
inline constexpr Suite kSuites[] = {Suite::commonsense, Suite::retrieval};
const char* suite_name(Suite suite);      // "commonsense" / "retrieval"
const char* suite_log_name(Suite suite);  // "commonsense_eval.log" / "retrieval_eval.log"

// One variant's table rows for one suite and where they came from (for messages).
struct SuiteResults {
  std::string source;
  std::vector<TableRow> rows;
};

// One evaluated model: the original or the one with a single layer converted.
struct VariantResults {
  std::string label;  // "original" or "layer 7", as messages name it
  SuiteResults commonsense;
  SuiteResults retrieval;
  const SuiteResults& suite(Suite s) const { return s == Suite::commonsense ? commonsense : retrieval; }
  SuiteResults& suite(Suite s) { return s == Suite::commonsense ? commonsense : retrieval; }
};

struct SweepResults {
  std::string model;   // the variant folder name, e.g. "hypenet-2b-lightning"
  std::string source;  // the sweep root or the results file
  VariantResults original;
  std::vector<VariantResults> layers;  // layers[L] is the variant with layer L converted
};

// Reads the reference layout. Layer folders are the entries of {root}/{model} whose name starts
// with "layer<digits>" (layer_analysis.py's rule); they must cover 0..N-1 without gaps or
// duplicates. Missing folders, logs, or tables are errors naming the layer and the file.
SweepResults load_sweep_logs(const std::filesystem::path& root, const std::string& model);

// Reads our compact results file (format "halo-sweep-results", version 1).
SweepResults load_sweep_file(const std::filesystem::path& path);

// The compact results file's text for `results`: one line per variant and suite.
std::string sweep_file_text(const SweepResults& results);

}  // namespace halo::select
