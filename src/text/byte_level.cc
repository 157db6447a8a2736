#include "text/byte_level.h"

#include <array>
#include <cstdint>

#include "text/utf8.h"

namespace halo::text {

namespace {

// Bytes that are printable Latin-1 characters stand for themselves; the other 68 bytes (controls,
// space, DEL, NBSP, soft hyphen) take U+0100, U+0101, ... in byte order. This is GPT-2's table.
struct Table {
  std::array<char32_t, 256> to_char{};
  std::array<int16_t, 324> to_byte{};  // indexed by code point; every alphabet code point < 324

  Table() {
    to_byte.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      to_char[b] = printable ? char32_t(b) : next++;
      to_byte[to_char[b]] = int16_t(b);
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(char(c));
  } else {  // the alphabet stops below U+0800: two bytes suffice
    out.push_back(char(0xC0 | (c >> 6)));
    out.push_back(char(0x80 | (c & 0x3F)));
  }
}

}  // namespace

char32_t byte_to_char(unsigned char b) { return table().to_char[b]; }

std::optional<std::string> byte_level_to_bytes(std::string_view token) {
  const Table& t = table();
  std::string out;
  out.reserve(token.size());
  size_t i = 0;
  while (i < token.size()) {
    const size_t len = utf8_sequence_length(static_cast<unsigned char>(token[i]));
    const char32_t c = decode_utf8(token.substr(i));
    if (c >= t.to_byte.size() || t.to_byte[c] < 0) return std::nullopt;
    out.push_back(char(t.to_byte[c]));
    i += len;
  }
  return out;
}

std::string bytes_to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) append_utf8(byte_to_char(b), out);
  return out;
}

}  // namespace halo::text
