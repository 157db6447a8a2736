#include "base/index_list.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <string>

#include "base/error.h"

namespace halo {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of a decimal integer, nullopt when it does not fit in an int; anything else that is
// not an integer is an error.
std::optional<int> parse_int(std::string_view item, std::string_view what) {
  item = trim(item);
  int value = 0;
  auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
  if (ec == std::errc::result_out_of_range && end == item.data() + item.size()) return std::nullopt;
  if (item.empty() || ec != std::errc() || end != item.data() + item.size()) {
    fail("{}: '{}' is not an integer", what, item);
  }
  return value;
}

template <typename Fn>
void for_each_item(std::string_view text, Fn fn) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    fn(text.substr(start, comma - start));
    start = comma + 1;
  }
}

}  // namespace

std::vector<int> parse_index_list(std::string_view text, int limit, std::string_view what) {
  std::vector<int> out;
  if (trim(text).empty()) fail("{}: empty list", what);
  auto index = [&](std::string_view item) {
    std::optional<int> value = parse_int(item, what);
    if (value && *value >= 0 && *value < limit) return *value;
    fail("{}: index {} out of range (the model has {} layers: 0-{})", what, trim(item), limit, limit - 1);
  };
  for_each_item(text, [&](std::string_view item) {
    item = trim(item);
    size_t dash = item.find('-', 1);  // a leading '-' is a sign, caught as out of range below
    int lo, hi;
    if (dash == std::string_view::npos) {
      lo = hi = index(item);
    } else {
      lo = index(item.substr(0, dash));
      hi = index(item.substr(dash + 1));
      if (hi < lo) fail("{}: range '{}' is backwards", what, item);
    }
    for (int i = lo; i <= hi; ++i) out.push_back(i);
  });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<int> parse_int_list(std::string_view text, std::string_view what) {
  std::vector<int> out;
  if (trim(text).empty()) fail("{}: empty list", what);
  for_each_item(text, [&](std::string_view item) {
    std::optional<int> value = parse_int(item, what);
    if (value) {
      out.push_back(*value);
      return;
    }
    fail("{}: '{}' is out of range ({}..{})", what, trim(item), std::numeric_limits<int>::min(),
         std::numeric_limits<int>::max());
  });
  return out;
}

size_t parse_count(std::string_view text, std::string_view what) {
  const std::string_view item = trim(text);
  if (!item.empty() && item.front() == '-') {
    fail("{}: {} is negative; give a number of at least 1", what, item);
  }
  size_t value = 0;
  auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
  if (ec == std::errc::result_out_of_range && end == item.data() + item.size()) {
    fail("{}: {} is too large", what, item);
  }
  if (item.empty() || ec != std::errc() || end != item.data() + item.size()) {
    fail("{}: '{}' is not an integer", what, item);
  }
  if (value == 0) fail("{}: must be at least 1", what);
  return value;
}

}  // namespace halo
