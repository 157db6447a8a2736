// Python `str` semantics the lm-eval tasks depend on: whitespace, strip, lower, capitalize, len,
// repr, and `re.IGNORECASE` literal search. Strings are UTF-8; Python works on code points, so every
// function here decodes, applies the Python rule per code point, and re-encodes. An invalid byte
// counts as one U+FFFD, as HF's decoding would have made it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace halo::eval::py {

// str.isspace() for one code point (the fixed set of Unicode whitespace Python recognises).
bool is_space(char32_t c);

// len(s): the number of code points.
size_t len(std::string_view s);

// Number of bytes of trailing whitespace, i.e. len(s) - len(s.rstrip()) measured in bytes.
size_t trailing_space_bytes(std::string_view s);

// s.strip() with no argument.
std::string strip(std::string_view s);

// s.lower(): full lowercase mapping (U+0130 → "i\u0307") and the final-sigma rule.
std::string lower(std::string_view s);

// s.capitalize() (Python ≥ 3.8): first code point to its full titlecase, the rest lower().
std::string capitalize(std::string_view s);

// repr(s) and repr(list_of_str), as Python prints them.
std::string repr(std::string_view s);
std::string list_repr(const std::vector<std::string>& items);

// re.search(re.escape(needle), haystack, re.IGNORECASE) is not None.
bool contains_ignore_case(std::string_view haystack, std::string_view needle);

// s.replace(from, to) for a non-empty `from`: every non-overlapping occurrence, left to right.
std::string replace_all(std::string_view s, std::string_view from, std::string_view to);

}  // namespace halo::eval::py
