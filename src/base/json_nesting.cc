#include "base/json_nesting.h"

#include "base/error.h"

namespace halo {

std::optional<size_t> json_nesting_overflow(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

void check_json_nesting(std::string_view text, std::string_view where) {
  if (auto at = json_nesting_overflow(text)) {
    fail("{}: JSON nested deeper than {} levels (byte {})", where, kMaxJsonNesting, *at);
  }
}

}  // namespace halo
