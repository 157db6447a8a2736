// Files a run leaves behind: the printed report (header line + table) and results.json.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "eval/results.h"

namespace halo::eval {

// lm-eval's stdout block: the `hf (...)` line, the table, and the blank line print() leaves after it.
std::string results_report(const EvalResults& results, const std::string& model_args,
                           const std::string& batch_size);

// Every metric with its stderr ("N/A" when none), sample counts, model, precision, limit, timings
// (preparing, running, per task) and the input hash (16 hex digits).
nlohmann::json results_json(const EvalResults& results, const std::string& model_args);

}  // namespace halo::eval
