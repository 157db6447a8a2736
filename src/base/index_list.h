// Integers as users write them on the command line: index lists ("3,5-7" → {3,5,6,7}, sorted,
// unique), plain lists and counts. Errors say what is wrong: not an integer, out of range, negative.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace halo {

// `what` names the flag in error messages ("--convert"); every index must be < `limit`.
std::vector<int> parse_index_list(std::string_view text, int limit, std::string_view what);

// Comma-separated integers ("1,2,3") → values, in order, duplicates kept.
std::vector<int> parse_int_list(std::string_view text, std::string_view what);

// A count of at least 1 ("--limit 100"): negative, zero and too large numbers are errors.
size_t parse_count(std::string_view text, std::string_view what);

}  // namespace halo
