// What layer_analysis.py prints and writes (docs/lm-eval-rules.md §8 step 5), byte for byte, so our
// output can be diffed against a reference run.
#pragma once

#include <string>
#include <vector>

#include "select/ranking.h"

namespace halo::select {

// The stdout block: a blank line, the "Rank | Layer | Value" table (rank from 1, width 4; layer
// width 5; score with 10 decimals), then the two baselines (6 decimals; a sweep without
// commonsense results, which only jet-nemotron mode ranks, says so instead) and the plot path.
std::string reference_table(const Ranking& ranking, const std::string& plot_path);

// {model}_commonsense_avg.json / {model}_retrieval_avg.json: Python's json.dump(indent=4) of
// {"contexts": [layers ascending], "values": [averages]} (floats as Python's repr, no final newline).
std::string averages_json(const std::vector<double>& values);

// Python's repr of a float: the shortest round-trip digits, with ".0" on integral values.
std::string python_float_repr(double value);

}  // namespace halo::select
