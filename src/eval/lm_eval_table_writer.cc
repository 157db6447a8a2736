// Writing lm-eval results tables byte for byte (see lm_eval_table.h).
#include "eval/lm_eval_table.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "eval/py_string.h"

namespace halo::eval {
namespace {

// How lm-eval 0.4.9.1 prints its results: make_table builds rows of Python values and hands them to
// pytablewriter's MarkdownTableWriter, which re-types and re-formats every cell through its
// dependencies DataProperty (1.1.x) and typepy (1.3.x). The cells lm-eval passes are strings except
// Version (the task's version number): Value and Stderr are "%.4f" strings, Stderr "   N/A" when
// there is none, n-shot str(0), and the Tasks/Version cells of a task's further rows "".
//
// pytablewriter does not print those strings as they are. Per cell (DataPropertyExtractor, with the
// writer's strict levels: Integer 1, RealNumber 1, String 0):
//   - "" or whitespace only         → NULL_STRING;
//   - a number whose double is an integer ("1.0000", "0.0000", "0", "4096")
//                                   → INTEGER, data int(Decimal(s)) (1, 0, 0, 4096);
//   - any other number ("0.5000")   → REAL_NUMBER, data Decimal(s);
//   - anything else                 → STRING, printed as is.
//   But a column's cells are typed in order with a type hint: once the most frequent type so far
//   (the earliest on a tie) is String, every further non-blank string is taken as a String, number
//   or not (typepy's String at its top strict level accepts any non-blank str, while Integer and
//   RealNumber at that level reject every str).
// A number cell's decimal places (DataProperty get_number_of_digit) are 0 for INTEGER, and for
// REAL_NUMBER the decimals of str(float(Decimal(s))) — Python's shortest repr, so "0.5000" counts 1,
// "0.0050" 3, "0.1060" 3. A column's decimal places are min(100, the largest over its number cells)
// (ColumnDataProperty.__calc_decimal_places; 100 = DataProperty's MAX_PRECISION, the writer passes
// none), and its type is REAL_NUMBER when it mixes REAL_NUMBER with INTEGER or NULL_STRING, STRING
// when any cell is a String, else the one type (ColumnDataProperty.__get_typecode_from_bitmap).
// Each cell is then written (ColumnDataProperty.dp_to_str) as: STRING and NULL_STRING as is; INTEGER
// "{:d}" of its int, except in a REAL_NUMBER column where it becomes Decimal(int) like the others;
// REAL_NUMBER "{:.Nf}" of its Decimal with the column's N (Decimal rounds half-down in DataProperty's
// context; never needed here, since N is at least the cell's own decimals). So a --limit run whose
// values all end in 0 prints "0.3" or "0.85", a column of "1.0000"/"0.0000" prints "1"/"0", and
// 0.7830/0.5280/0.8500 print 0.783/0.528/0.850. Alignment: REAL_NUMBER and INTEGER columns right
// ("-----:"), others left; inside a STRING column a number cell is right-aligned on its own.

enum class Type { kNullString, kString, kInteger, kReal };

constexpr size_t kColumns = 9;
constexpr int kMaxPrecision = 100;  // DataProperty DefaultValue.MAX_PRECISION

// A cell as lm-eval hands it over: a str, or a Python int (the Version column).
struct RawCell {
  std::string text;
  bool python_int = false;
};

// A cell as pytablewriter types it.
struct TypedCell {
  Type type = Type::kString;
  std::string text;        // kString/kNullString: the cell; kInteger: the int's digits; kReal: Decimal
  int decimal_places = 0;  // kInteger: 0; kReal: the decimals of Python's repr of the double
};

std::string four_decimals(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", value);  // round-half-even on the exact binary value
  return buf;
}

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A decimal number as Python's Decimal() reads the forms halo's cells can take: optional surrounding
// whitespace, [+-]? (d+ [. d*] | . d+). (Decimal also reads exponents, "Infinity", "NaN" and digit
// underscores, and typepy's Integer strips thousands separators; halo never prints those.)
struct DecimalText {
  bool negative = false;
  std::string int_digits;   // without leading zeros, never empty ("0")
  std::string frac_digits;  // as written
};

bool parse_decimal(std::string_view s, DecimalText& out) {
  size_t b = 0, e = s.size();
  while (b < e && is_ascii_space(s[b])) ++b;
  while (e > b && is_ascii_space(s[e - 1])) --e;
  s = s.substr(b, e - b);
  size_t i = 0;
  out = {};
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) out.negative = s[i++] == '-';
  size_t int_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  std::string_view int_part = s.substr(int_start, i - int_start);
  std::string_view frac_part;
  if (i < s.size() && s[i] == '.') {
    size_t frac_start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    frac_part = s.substr(frac_start, i - frac_start);
  }
  if (i != s.size() || int_part.size() + frac_part.size() == 0) return false;
  size_t nz = int_part.find_first_not_of('0');
  out.int_digits = nz == std::string_view::npos ? "0" : std::string(int_part.substr(nz));
  out.frac_digits = std::string(frac_part);
  return true;
}

// Decimal places DataProperty gives a non-integer double: the text after "." in Python's repr(x)
// (shortest round trip; exponent form when the decimal point position is <= -4 or > 16), or for an
// exponent form without "." the exponent of "e-NN" (DigitCalculator.get_decimal_places).
int repr_decimal_places(double x) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::fabs(x), std::chars_format::scientific);
  std::string sci(buf, end);  // d[.ddd]e±XX, the shortest digits that round-trip
  size_t e_pos = sci.find('e');
  std::string digits = sci.substr(0, e_pos);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  int exponent = std::atoi(sci.c_str() + e_pos + 1);
  int decpt = exponent + 1;  // value = 0.digits × 10^decpt
  int ndigits = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) return std::max(0, ndigits - decpt);
  int exp_digits = std::max(2, static_cast<int>(std::to_string(std::abs(exponent)).size()));
  if (ndigits > 1) return (ndigits - 1) + 2 + exp_digits;  // "d.ddd" + "e-NN": the text after "."
  return exponent < 0 ? -exponent : 0;                       // "de-NN" → NN; "de+NN" → 0
}

TypedCell type_cell(const RawCell& raw) {
  if (raw.python_int) return {Type::kInteger, raw.text, 0};
  if (py::strip(raw.text).empty()) return {Type::kNullString, raw.text, 0};
  DecimalText d;
  if (!parse_decimal(raw.text, d)) return {Type::kString, raw.text, 0};
  double x = std::strtod(raw.text.c_str(), nullptr);
  if (std::floor(x) == x) {  // typepy: float(Decimal(s)).is_integer() → Integer; int() truncates
    bool zero = d.int_digits == "0";
    return {Type::kInteger, (d.negative && !zero ? "-" : "") + d.int_digits, 0};
  }
  std::string decimal = (d.negative ? "-" : "") + d.int_digits + (d.frac_digits.empty() ? "" : "." + d.frac_digits);
  return {Type::kReal, decimal, repr_decimal_places(x)};
}

// "{:.Nf}".format(Decimal(text)) under DataProperty's decimal context (ROUND_HALF_DOWN).
std::string format_decimal(const std::string& text, int places) {
  DecimalText d;
  parse_decimal(text, d);
  std::string digits = d.int_digits + d.frac_digits;  // all digits, the point after int_digits
  size_t keep = d.int_digits.size() + static_cast<size_t>(places);
  if (digits.size() < keep) digits.append(keep - digits.size(), '0');
  if (digits.size() > keep) {
    std::string dropped = digits.substr(keep);
    digits.resize(keep);
    bool above_half = dropped[0] > '5' || (dropped[0] == '5' && dropped.find_first_not_of('0', 1) != std::string::npos);
    if (above_half) {
      size_t i = digits.size();
      while (i > 0 && digits[i - 1] == '9') digits[--i] = '0';
      if (i == 0) {
        digits.insert(digits.begin(), '1');
        ++keep;
      } else {
        ++digits[i - 1];
      }
    }
  }
  size_t int_len = keep - static_cast<size_t>(places);
  std::string out = digits.substr(0, int_len);
  size_t nz = out.find_first_not_of('0');
  out = nz == std::string::npos ? "0" : out.substr(nz);
  if (places > 0) out += "." + digits.substr(int_len);
  if (d.negative && digits.find_first_not_of('0') != std::string::npos) out = "-" + out;
  return out;
}

// Types one column's cells in order, as DataPropertyExtractor._to_dp_list does: the most common type
// so far (collections.Counter.most_common(1): the earliest inserted on a tie) is tried first at the
// top strict level, and of our types only String can accept a cell there (any non-blank str).
std::vector<TypedCell> type_column(const std::vector<RawCell>& cells) {
  std::vector<std::pair<Type, size_t>> counts;  // insertion order, like Counter
  std::vector<TypedCell> out;
  for (const auto& raw : cells) {
    TypedCell cell;
    auto most = std::max_element(counts.begin(), counts.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    if (most != counts.end() && most->first == Type::kString && !raw.python_int && !py::strip(raw.text).empty()) {
      cell = {Type::kString, raw.text, 0};
    } else {
      cell = type_cell(raw);
    }
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == cell.type; });
    if (it == counts.end()) {
      counts.emplace_back(cell.type, 1);
    } else {
      ++it->second;
    }
    out.push_back(std::move(cell));
  }
  return out;
}

// ColumnDataProperty's type from the set of its cells' types (our four types only).
Type column_type(const std::vector<TypedCell>& cells) {
  bool has[4] = {};
  for (const auto& c : cells) has[static_cast<int>(c.type)] = true;
  bool string = has[static_cast<int>(Type::kString)], null = has[static_cast<int>(Type::kNullString)];
  bool integer = has[static_cast<int>(Type::kInteger)], real = has[static_cast<int>(Type::kReal)];
  if (!string && real && (integer || null)) return Type::kReal;  // __is_float_typecode
  if (string) return Type::kString;
  if (real) return Type::kReal;
  if (integer) return Type::kInteger;
  return Type::kNullString;
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
  const std::array<std::string, kColumns> headers = {"Tasks", "Version", "Filter", "n-shot", "Metric",
                                                     "",      "Value",   "",       "Stderr"};
  // make_table's rows: [task, version, filter, n-shot, metric, arrow ("" without a higher_is_better
  // entry), "%.4f" value (a Python int, RULER's -1, as is), "±", stderr].
  std::array<std::vector<RawCell>, kColumns> raw;
  for (const auto& task : tasks) {
    bool first = true;
    for (const auto& metric : task.metrics) {
      RawCell row[kColumns] = {{first ? task.name : ""},
                               {first ? std::to_string(task.version) : "", first},
                               {"none"},
                               {"0"},
                               {metric.name},
                               {!metric.direction_known ? "" : metric.higher_is_better ? "↑" : "↓"},
                               metric.integer_value ? RawCell{std::to_string(static_cast<long long>(metric.value)), true}
                                                    : RawCell{four_decimals(metric.value)},
                               {"±"},
                               {metric.stderr_value ? four_decimals(*metric.stderr_value) : "   N/A"}};
      for (size_t c = 0; c < kColumns; ++c) raw[c].push_back(row[c]);
      first = false;
    }
  }

  std::array<std::vector<std::string>, kColumns> text;
  std::array<std::vector<bool>, kColumns> right_cell;
  std::array<size_t, kColumns> width{};
  std::array<bool, kColumns> right{};
  for (size_t c = 0; c < kColumns; ++c) {
    std::vector<TypedCell> cells = type_column(raw[c]);
    Type type = column_type(cells);
    int places = -1;  // none: no number cell
    for (const auto& cell : cells) {
      if (cell.type == Type::kInteger || cell.type == Type::kReal) places = std::max(places, cell.decimal_places);
    }
    places = std::min(places, kMaxPrecision);
    right[c] = type == Type::kInteger || type == Type::kReal;
    width[c] = std::max<size_t>(3, py::len(headers[c]));  // the Markdown writer's min_column_width
    for (const auto& cell : cells) {
      std::string s = cell.text;
      if (cell.type == Type::kReal || (cell.type == Type::kInteger && type == Type::kReal)) {
        s = format_decimal(cell.text, places);
      }
      bool number = cell.type == Type::kInteger || cell.type == Type::kReal;
      text[c].push_back(s);
      right_cell[c].push_back(type == Type::kString ? number : right[c]);
      width[c] = std::max(width[c], py::len(s));
    }
  }

  std::string out = "|";
  for (size_t c = 0; c < kColumns; ++c) out += center(headers[c], width[c]) + "|";
  out += "\n|";
  for (size_t c = 0; c < kColumns; ++c) {
    out += right[c] ? std::string(width[c] - 1, '-') + ":" : std::string(width[c], '-');
    out += "|";
  }
  out += "\n";
  size_t rows = raw[0].size();
  for (size_t r = 0; r < rows; ++r) {
    out += "|";
    for (size_t c = 0; c < kColumns; ++c) out += pad(text[c][r], width[c], right_cell[c][r]) + "|";
    out += "\n";
  }
  return out;
}

}  // namespace halo::eval
