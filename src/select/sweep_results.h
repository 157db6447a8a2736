// A layer sweep's results, loaded either from the reference layout of lm-eval logs
// (eval/sweep_layout.h)
//   {root}/original/{commonsense,retrieval}_eval.log
//   {root}/{model}/layer{L}/{commonsense,retrieval}_eval.log
// or from our compact results file (docs/rank.md), which holds the same table rows as JSON.
// Both give the same rows, so everything downstream treats them alike.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "eval/lm_eval_table.h"
#include "select/mode.h"

namespace halo::select {

using eval::TableRow;

enum class Suite { commonsense, retrieval };
inline constexpr Suite kSuites[] = {Suite::commonsense, Suite::retrieval};
std::string_view suite_name(Suite suite);      // "commonsense" / "retrieval"
std::string_view suite_log_name(Suite suite);  // "commonsense_eval.log" / "retrieval_eval.log"

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
  // The variant's folder in the reference layout (where its per-document outcomes may be: see
  // select/sweep_outcomes.h); empty for our results file, which holds only the tables.
  std::filesystem::path dir;
  const SuiteResults& suite(Suite s) const { return s == Suite::commonsense ? commonsense : retrieval; }
  SuiteResults& suite(Suite s) { return s == Suite::commonsense ? commonsense : retrieval; }
};

struct SweepResults {
  std::string model;   // the variant folder name, e.g. "hypenet-2b-lightning"
  std::string source;  // the sweep root or the results file
  VariantResults original;
  std::vector<VariantResults> layers;  // layers[L] is the variant with layer L converted
  // Retrieval results are always there. Commonsense results are absent only from a sweep loaded
  // for a mode that does not need them (jet-nemotron) where no variant has them; their rows are
  // then empty everywhere.
  bool has_commonsense = true;
  bool has(Suite s) const { return s == Suite::retrieval || has_commonsense; }
};

// Reads the reference layout. Layer folders are the entries of {root}/{model} whose name starts
// with "layer<digits>" (layer_analysis.py's rule); they must cover 0..N-1 without gaps or
// duplicates. Missing folders, logs, or tables are errors naming the layer and the file; so is a
// non-finite value (a "nan" row). The suites `mode` needs must be there for every variant; the
// commonsense suite, which jet-nemotron mode does not need, is read when any variant has it and
// must then be complete too.
SweepResults load_sweep_logs(const std::filesystem::path& root, const std::string& model, Mode mode);

// Reads our compact results file (format "halo-sweep-results", version 1), with the same rules.
// Its "model" names output files, so it must be a plain name (eval::plain_name_problem).
SweepResults load_sweep_file(const std::filesystem::path& path, Mode mode);

// The compact results file's text for `results`: one line per variant and suite (a sweep without
// commonsense results has only retrieval lines).
std::string sweep_file_text(const SweepResults& results);

}  // namespace halo::select
