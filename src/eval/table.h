// lm-eval's printed results: the `hf (...)` header line and the Markdown table that pytablewriter
// renders (spec §7.2), byte for byte, so layer_analysis.py and people can read ours the same way.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "eval/results.h"

namespace halo::eval {

// "hf (<model_args>), gen_kwargs: (None), limit: <limit>, num_fewshot: 0, batch_size: <batch_size>"
// (no trailing newline). `limit` prints as Python prints lm-eval's float limit ("None", "10.0").
std::string results_header_line(const std::string& model_args, std::optional<size_t> limit,
                                 const std::string& batch_size);

// The table, one line per (task, metric), each line ending in "\n".
std::string format_results_table(const std::vector<TaskResult>& tasks);

}  // namespace halo::eval
