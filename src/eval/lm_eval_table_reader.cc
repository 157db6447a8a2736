// Reading lm-eval results tables as layer_analysis.py does (see lm_eval_table.h).
#include "eval/lm_eval_table.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <system_error>

#include "base/error.h"

namespace halo::eval {
namespace {

// Python's \s, \d and \w restricted to what lm-eval tables contain (see the header).
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Advances `i` over characters satisfying `pred`; returns how many it skipped.
template <typename Pred>
std::size_t skip(std::string_view s, std::size_t& i, Pred pred) {
  std::size_t start = i;
  while (i < s.size() && pred(s[i])) ++i;
  return i - start;
}

struct RowMatch {
  std::string_view task;
  std::string_view metric;
  std::string_view value;
  bool non_finite = false;  // the Value cell is "nan", "inf", ... (not the pattern's digits)
};

// Python's float() spellings of a non-finite number, as "%.4f" prints them ("nan", "inf", "-inf")
// or otherwise ("NaN", "+Infinity"): an optional sign, then nan, inf or infinity in any case.
bool is_non_finite_text(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  auto equals = [&](std::string_view word) {
    if (s.size() != word.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (lower(s[i]) != word[i]) return false;
    }
    return true;
  };
  return equals("nan") || equals("inf") || equals("infinity");
}

// The regex anchored at the '|' at `start`. Every part of the pattern up to the value is confined
// to one '|'-delimited cell, so for a given start there is at most one way to match and no
// backtracking is needed: each cell either has the required shape or the start fails. With
// `non_finite`, the value part instead accepts a Value cell holding only a non-finite number.
std::optional<RowMatch> match_at(std::string_view line, std::size_t start, bool non_finite) {
  // The cell after the bar at `bar`: the text up to the next '|', or nullopt if none follows.
  auto cell = [&](std::size_t bar) -> std::optional<std::string_view> {
    std::size_t end = line.find('|', bar + 1);
    if (end == std::string_view::npos) return std::nullopt;
    return line.substr(bar + 1, end - bar - 1);
  };
  auto whole = [](std::string_view c, auto&&... parts) {
    std::size_t i = 0;
    (parts(c, i), ...);
    return i == c.size();
  };
  auto spaces = [](std::string_view c, std::size_t& i) { skip(c, i, is_space); };
  auto digits = [](std::string_view c, std::size_t& i) { skip(c, i, is_digit); };

  RowMatch m;
  std::size_t bar = start;
  auto task = cell(bar);  // (?P<task>[^|]+)\s*
  if (!task || task->empty()) return std::nullopt;
  m.task = *task;
  bar += task->size() + 1;
  auto version = cell(bar);  // \s*(?P<version>\d*)\s*
  if (!version || !whole(*version, spaces, digits, spaces)) return std::nullopt;
  bar += version->size() + 1;
  auto filter = cell(bar);  // [^|]*
  if (!filter) return std::nullopt;
  bar += filter->size() + 1;
  auto nshot = cell(bar);  // \s*\d+\s*
  if (!nshot) return std::nullopt;
  {
    std::size_t i = 0;
    skip(*nshot, i, is_space);
    if (skip(*nshot, i, is_digit) == 0) return std::nullopt;
    skip(*nshot, i, is_space);
    if (i != nshot->size()) return std::nullopt;
  }
  bar += nshot->size() + 1;
  auto metric = cell(bar);  // (?P<context>[\w\d]*)\s*  -- the word starts right after the bar
  if (!metric) return std::nullopt;
  {
    std::size_t i = 0;
    skip(*metric, i, is_word);
    m.metric = metric->substr(0, i);
    skip(*metric, i, is_space);
    if (i != metric->size()) return std::nullopt;
  }
  bar += metric->size() + 1;
  auto arrow = cell(bar);  // ↑\s*
  static constexpr std::string_view kUp = "\xE2\x86\x91";
  if (!arrow || !arrow->starts_with(kUp)) return std::nullopt;
  {
    std::size_t i = kUp.size();
    skip(*arrow, i, is_space);
    if (i != arrow->size()) return std::nullopt;
  }
  bar += arrow->size() + 1;
  if (non_finite) {
    // The Value cell: up to the next bar, or the rest of the line.
    std::string_view value = cell(bar).value_or(line.substr(bar + 1));
    value = strip(value);
    if (!is_non_finite_text(value)) return std::nullopt;
    m.value = value;
    m.non_finite = true;
    return m;
  }
  // \s*(?P<value>[-+]?\d+(?:\.\d+)?) -- a prefix of the rest of the line.
  std::size_t i = bar + 1;
  skip(line, i, is_space);
  std::size_t value_start = i;
  if (i < line.size() && (line[i] == '-' || line[i] == '+')) ++i;
  if (skip(line, i, is_digit) == 0) return std::nullopt;
  if (i + 1 < line.size() && line[i] == '.' && is_digit(line[i + 1])) {
    ++i;
    skip(line, i, is_digit);
  }
  m.value = line.substr(value_start, i - value_start);
  return m;
}

std::optional<RowMatch> search(std::string_view line, bool non_finite) {
  for (std::size_t p = line.find('|'); p != std::string_view::npos; p = line.find('|', p + 1)) {
    if (auto m = match_at(line, p, non_finite)) return m;
  }
  return std::nullopt;
}

// Python's float() on text of the form [-+]?\d+(\.\d+)?: from_chars rounds correctly, as CPython
// does, but does not take a leading '+'. A non-finite spelling gives NaN or ±infinity.
double parse_value(const RowMatch& m, std::string_view source, std::size_t line) {
  std::string_view text = m.value;
  if (m.non_finite) {
    const bool negative = text.starts_with('-');
    std::string_view word = (negative || text.starts_with('+')) ? text.substr(1) : text;
    const double v = (word.size() == 3 && (word[0] == 'n' || word[0] == 'N'))
                         ? std::numeric_limits<double>::quiet_NaN()
                         : std::numeric_limits<double>::infinity();
    return negative ? -v : v;
  }
  std::string_view digits = text.starts_with('+') ? text.substr(1) : text;
  double v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    fail("{}:{}: value {} is out of the range of a double", source, line, text);
  }
  return v;
}

}  // namespace

std::vector<TableRow> parse_results_table(std::string_view text, std::string_view source) {
  std::vector<TableRow> rows;
  std::string last_task;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end;
    if (pos < text.size()) pos += (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ? 2 : 1;
    ++line_no;

    if (!strip(line).starts_with('|')) continue;
    // The pattern's own match first (the leftmost one, as re.search finds it); only a line it
    // rejects can be a non-finite row.
    auto m = search(line, /*non_finite=*/false);
    if (!m) m = search(line, /*non_finite=*/true);
    if (!m) continue;
    std::string_view task = strip(m->task);
    if (!task.empty()) {
      last_task = std::string(task);
    } else if (last_task.empty()) {
      continue;
    }
    rows.push_back(TableRow{last_task, !task.empty(), std::string(m->metric),
                            parse_value(*m, source, line_no), line_no});
  }
  return rows;
}

std::uint64_t metric_context(std::string_view metric) {
  // Python int(): digits with single underscores between them; anything else is not an integer.
  if (metric.empty() || !is_digit(metric.front()) || !is_digit(metric.back())) return 0;
  std::uint64_t value = 0;
  bool prev_underscore = false;
  for (char c : metric) {
    if (c == '_') {
      if (prev_underscore) return 0;
      prev_underscore = true;
      continue;
    }
    if (!is_digit(c)) return 0;
    prev_underscore = false;
    std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      fail("metric \"{}\": integer context too large", metric);
    }
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace halo::eval
