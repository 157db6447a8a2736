// GPT-2's byte-level alphabet: each of the 256 byte values is shown as one printable code point so
// that BPE vocabularies can be stored as JSON strings ("Ġ" is the space byte 0x20).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace halo::text {

// The code point that stands for byte `b`.
char32_t byte_to_char(unsigned char b);

// Maps a vocabulary string in the byte-level alphabet back to raw bytes; nullopt when some code
// point is outside the alphabet (such tokens are never produced from bytes, e.g. added tokens with
// a literal space). `token` must be valid UTF-8.
std::optional<std::string> byte_level_to_bytes(std::string_view token);

// Raw bytes → byte-level string (for showing tokens as HF's tokenizer.json spells them).
std::string bytes_to_byte_level(std::string_view bytes);

}  // namespace halo::text
