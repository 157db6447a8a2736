// A bound on how deeply JSON may nest before it is parsed. nlohmann::json parses and destroys deep
// documents without recursion, but copying, comparing and dumping them recurse once per level: a
// file of 100,000 nested brackets (the fuzz driver's, or an attacker's) overflows the stack there.
// No file halo reads nests beyond a dozen levels, so every JSON parse site checks the text first.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace halo {

inline constexpr size_t kMaxJsonNesting = 512;

// The byte offset at which `text` opens its (max_depth + 1)-th nested array or object, or nullopt
// when it never nests that deep. Brackets inside strings do not count; the text need not be valid.
std::optional<size_t> json_nesting_overflow(std::string_view text, size_t max_depth = kMaxJsonNesting);

// Throws halo::Error "WHERE: JSON nested deeper than 512 levels (byte N)" when it does.
void check_json_nesting(std::string_view text, std::string_view where);

}  // namespace halo
