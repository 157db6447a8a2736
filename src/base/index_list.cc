#include "base/index_list.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "base/error.h"

namespace halo {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int parse_int(std::string_view item, std::string_view what) {
  item = trim(item);
  int value = 0;
  auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
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
  for_each_item(text, [&](std::string_view item) {
    item = trim(item);
    size_t dash = item.find('-', 1);  // a leading '-' is a sign, caught as out of range below
    int lo, hi;
    if (dash == std::string_view::npos) {
      lo = hi = parse_int(item, what);
    } else {
      lo = parse_int(item.substr(0, dash), what);
      hi = parse_int(item.substr(dash + 1), what);
      if (hi < lo) fail("{}: range '{}' is backwards", what, item);
    }
    if (lo < 0 || hi >= limit) {
      fail("{}: index {} out of range (the model has {} layers: 0-{})", what, lo < 0 ? lo : hi,
           limit, limit - 1);
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
  for_each_item(text, [&](std::string_view item) { out.push_back(parse_int(item, what)); });
  return out;
}

}  // namespace halo
