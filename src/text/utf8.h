// UTF-8 helpers shared by encoding (input sanitising) and decoding (lossy output).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace halo::text {

// Length of the longest prefix of `s` that is well-formed UTF-8 (Unicode Table 3-7).
size_t valid_utf8_prefix(std::string_view s);

// Appends `s` to `out`, replacing every maximal ill-formed subsequence by one U+FFFD. This is the
// "substitution of maximal subparts" practice of Unicode §3.9, which Rust's String::from_utf8_lossy
// (HF tokenizers' decoder) and the WHATWG decoder (Node's Buffer/TextDecoder) both follow.
void append_utf8_lossy(std::string_view s, std::string& out);

// Byte length of the UTF-8 sequence that starts with `lead` (1 for continuation/invalid bytes, so
// that callers stepping through validated text always make progress).
inline size_t utf8_sequence_length(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Decodes the code point at the start of validated UTF-8 `s` (non-empty).
char32_t decode_utf8(std::string_view s);

}  // namespace halo::text
