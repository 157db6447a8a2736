// Tests read printed tables back with the module's own reader (eval/lm_eval_table.h); this groups
// its rows per task for short assertions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "eval/lm_eval_table.h"

namespace halo::eval::testing {

// task → [(layer_analysis.py's context of the metric, value)] in table order.
inline std::map<std::string, std::vector<std::pair<std::uint64_t, double>>> rows_by_task(const std::string& text) {
  std::map<std::string, std::vector<std::pair<std::uint64_t, double>>> out;
  for (const TableRow& row : parse_results_table(text, "table")) {
    out[row.task].emplace_back(metric_context(row.metric), row.value);
  }
  return out;
}

}  // namespace halo::eval::testing
