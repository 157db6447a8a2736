// Reading the result tables that lm-evaluation-harness prints (spec lm-eval-tasks.md §7.2) the way
// the reference layer_analysis.py reads them (§7.3). The tables sit at the end of logs full of
// progress bars and other noise; only rows that layer_analysis.py's regex accepts are kept.
//
// Generic eval-output knowledge: this belongs to the eval floor and may move there once that floor
// exists; select is its only user today.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace halo::select {

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
std::vector<TableRow> parse_results_table(std::string_view text, std::string_view source);

// layer_analysis.py's "context" of a metric: int(metric) when the metric is an integer literal
// (digits, optionally '_'-separated, as Python's int() accepts), otherwise 0. Throws halo::Error
// for an integer too large for 64 bits rather than ordering it wrongly.
std::uint64_t metric_context(std::string_view metric);

}  // namespace halo::select
