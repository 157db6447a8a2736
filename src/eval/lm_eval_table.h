// lm-eval's printed results — the `hf (...)` header line and the Markdown table pytablewriter
// renders — written byte for byte as lm-evaluation-harness 0.4.9.1 prints them, and read back the
// way the reference layer_analysis.py reads them (docs/lm-eval-rules.md §7). This module is the one
// owner of that format: `halo eval` and `halo sweep` write it, `halo rank` reads it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eval/results.h"

namespace halo::eval {

// ---- Writing (lm_eval_table_writer.cc) ----

// "hf (<model_args>), gen_kwargs: (None), limit: <limit>, num_fewshot: 0, batch_size: <batch_size>"
// (no trailing newline). `limit` prints as Python prints lm-eval's float limit ("None", "10.0").
std::string results_header_line(const std::string& model_args, std::optional<size_t> limit,
                                const std::string& batch_size);

// The table, one line per (task, metric), each line ending in "\n". A non-finite value prints as
// C's "%.4f" prints it ("nan", "inf", "-inf"), as lm-eval would.
std::string format_results_table(const std::vector<TaskResult>& tasks);

// ---- Reading (lm_eval_table_reader.cc) ----

// One metric row of a results table.
struct TableRow {
  std::string task;    // the task cell, stripped; a continuation row carries its task's name
  bool names_task;     // true when the task cell itself was non-empty (the task's first row)
  std::string metric;  // the Metric cell ("acc", "acc_norm", "contains", "4096")
  double value;        // the printed Value, parsed exactly as Python's float() would
  std::size_t line;    // 1-based line number in the text (0 when the row did not come from text)
};

// Every row of every results table in `text`, in order. A line counts when its stripped form
// starts with '|' and layer_analysis.py's pattern
//   \|(?P<task>[^|]+)\s*\|\s*(?P<version>\d*)\s*\|[^|]*\|\s*\d+\s*\|(?P<context>[\w\d]*)\s*\|↑\s*\|
//   \s*(?P<value>[-+]?\d+(?:\.\d+)?)
// is found in it (a search: the match may start at any '|'). Lines end at "\n", "\r\n" or a lone
// "\r", as in Python's universal-newline reading, so tqdm's carriage returns split lines too.
// Rows with an empty task cell belong to the last named task; those before any named task are
// dropped. Character classes are ASCII (\s = space, \t, \n, \r, \f, \v; \d = 0-9; \w = [A-Za-z0-9_]
// plus any non-ASCII byte, since Python's \w accepts letters of every script): lm-eval's tables
// are ASCII apart from the arrow and "±". `source` names the text in errors: a value too large or
// too small for a double (Python would give inf or 0.0) is an error rather than a silent extreme.
//
// One addition to the pattern: a row that matches up to its Value cell and whose Value cell is a
// non-finite number as Python prints or reads it ("nan", "inf", "-inf", "Infinity", any case) is
// returned too, with that non-finite value. The pattern itself wants digits, so layer_analysis.py
// silently drops such a row and then sees its task as missing; returning it lets the caller say
// what is really wrong (a NaN result) instead.
std::vector<TableRow> parse_results_table(std::string_view text, std::string_view source);

// layer_analysis.py's "context" of a metric: int(metric) when the metric is an integer literal
// (digits, optionally '_'-separated, as Python's int() accepts), otherwise 0. Throws halo::Error
// for an integer too large for 64 bits rather than ordering it wrongly.
std::uint64_t metric_context(std::string_view metric);

}  // namespace halo::eval
