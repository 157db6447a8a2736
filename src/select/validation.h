// What `halo validate` measured: the hybrid each named selection gives (its attention layers kept,
// every other layer converted), evaluated on the sweep's tasks, with the values and averages the
// ranking reads. validation_file.h owns its file, validation.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "select/named_selection.h"

namespace halo::select {

struct ValidatedHybrid {
  std::vector<std::string> names;     // every selection that chose these layers, in selection order
  std::vector<int> attention_layers;  // ascending
  std::string folder;                 // its variant folder, relative to the sweep root
  std::vector<double> values;         // one per Validation::columns
  double commonsense = 0;             // the suite averages, as the ranking computes them
  double retrieval = 0;
};

struct Validation {
  std::string model;  // the sweep's variants folder
  int num_layers = 0;
  int k = 0;
  std::uint64_t seed = 0;                   // of the random selection
  std::vector<NamedSelection> selections;   // every selection compared, in order
  std::vector<std::string> columns;         // "task/metric" of every value, in table order
  ValidatedHybrid original;                 // the sweep's original model, for reference (all attention)
  std::vector<ValidatedHybrid> hybrids;     // one per distinct set of attention layers
};

// A variant's row from its two logs in `dir` (commonsense_eval.log, retrieval_eval.log): the values
// of the rows the ranking averages and the two averages. `columns` is filled when empty, and must
// otherwise match (an error naming the log when a value is missing or extra).
ValidatedHybrid measure_variant(const std::filesystem::path& dir, const std::string& label,
                                std::vector<std::string>& columns);

// The distinct layer sets of `selections`, in order of first appearance, each with every name that
// chose it (identical selections are evaluated once).
std::vector<ValidatedHybrid> group_selections(const std::vector<NamedSelection>& selections);

// "attn-2-3-6-8": the folder name of the hybrid keeping these layers.
std::string hybrid_folder_name(const std::vector<int>& attention_layers);

// The printed table: selection(s), attention layers, each column, commonsense and retrieval
// averages; the original model last, for reference.
std::string validation_table(const Validation& validation);

}  // namespace halo::select
