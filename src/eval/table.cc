#include "eval/table.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "eval/py_string.h"

namespace halo::eval {
namespace {

constexpr size_t kColumns = 9;
using Cells = std::array<std::string, kColumns>;

std::string four_decimals(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", value);  // round-half-even on the exact binary value
  return buf;
}

// pytablewriter types a column as a number when all its non-empty cells parse as one; number columns
// are right-aligned, everything else left-aligned. A number: [+-]? (d+ [. d*] | . d+) ([eE] [+-]? d+)?
bool is_number(const std::string& cell) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, n = cell.size();
  if (i < n && (cell[i] == '+' || cell[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < n && digit(cell[i])) {
    ++i;
    ++int_digits;
  }
  if (i < n && cell[i] == '.') {
    ++i;
    while (i < n && digit(cell[i])) {
      ++i;
      ++frac_digits;
    }
  }
  if (int_digits + frac_digits == 0) return false;
  if (i < n && (cell[i] == 'e' || cell[i] == 'E')) {
    ++i;
    if (i < n && (cell[i] == '+' || cell[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < n && digit(cell[i])) {
      ++i;
      ++exp_digits;
    }
    if (exp_digits == 0) return false;
  }
  return i == n;
}

std::string pad(const std::string& text, size_t width, bool right) {
  std::string fill(width - py::len(text), ' ');
  return right ? fill + text : text + fill;
}

std::string center(const std::string& text, size_t width) {
  size_t space = width - py::len(text);
  return std::string(space / 2, ' ') + text + std::string(space - space / 2, ' ');
}

}  // namespace

std::string results_header_line(const std::string& model_args, std::optional<size_t> limit,
                                const std::string& batch_size) {
  std::string limit_text = limit ? std::to_string(*limit) + ".0" : "None";
  return "hf (" + model_args + "), gen_kwargs: (None), limit: " + limit_text +
         ", num_fewshot: 0, batch_size: " + batch_size;
}

std::string format_results_table(const std::vector<TaskResult>& tasks) {
  const Cells headers = {"Tasks", "Version", "Filter", "n-shot", "Metric", "", "Value", "", "Stderr"};
  std::vector<Cells> rows;
  for (const auto& task : tasks) {
    bool first = true;
    for (const auto& metric : task.metrics) {
      rows.push_back({first ? task.name : "", first ? std::to_string(task.version) : "", "none", "0", metric.name,
                      metric.higher_is_better ? "↑" : "↓", four_decimals(metric.value), "±",
                      metric.stderr_value ? four_decimals(*metric.stderr_value) : "   N/A"});
      first = false;
    }
  }

  std::array<size_t, kColumns> width{};
  std::array<bool, kColumns> right{};
  for (size_t c = 0; c < kColumns; ++c) {
    width[c] = std::max<size_t>(3, py::len(headers[c]));  // a Markdown separator needs three dashes
    bool any = false, numeric = true;
    for (const auto& row : rows) {
      width[c] = std::max(width[c], py::len(row[c]));
      if (row[c].empty()) continue;
      any = true;
      numeric = numeric && is_number(row[c]);
    }
    right[c] = any && numeric;
  }

  std::string out = "|";
  for (size_t c = 0; c < kColumns; ++c) out += center(headers[c], width[c]) + "|";
  out += "\n|";
  for (size_t c = 0; c < kColumns; ++c) {
    out += right[c] ? std::string(width[c] - 1, '-') + ":" : std::string(width[c], '-');
    out += "|";
  }
  out += "\n";
  for (const auto& row : rows) {
    out += "|";
    for (size_t c = 0; c < kColumns; ++c) out += pad(row[c], width[c], right[c]) + "|";
    out += "\n";
  }
  return out;
}

}  // namespace halo::eval
