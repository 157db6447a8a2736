// Index lists as users write them on the command line: "3,5-7" → {3,5,6,7}. Sorted, unique.
#pragma once

#include <string_view>
#include <vector>

namespace halo {

// `what` names the flag in error messages ("--convert"); every index must be < `limit`.
std::vector<int> parse_index_list(std::string_view text, int limit, std::string_view what);

// Comma-separated integers ("1,2,3") → values, in order, duplicates kept.
std::vector<int> parse_int_list(std::string_view text, std::string_view what);

}  // namespace halo
