#include "text/utf8.h"

#include <cstdint>
#include <cstring>

namespace halo::text {

namespace {

// Length of the maximal valid subpart starting at s[0]: the full sequence length when the
// sequence is well formed, otherwise how many bytes belong to the ill-formed prefix (>= 1).
// Returns {length, ok}.
struct Subpart {
  size_t length;
  bool ok;
};

Subpart scan_sequence(const unsigned char* p, size_t n) {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) return {1, true};
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong 3-byte forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;  // no overlong 4-byte forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {1, false};  // C0, C1, F5..FF or a stray continuation byte
  }
  for (size_t i = 1; i < need; ++i) {
    if (i >= n) return {i, false};  // truncated at end of input
    const unsigned char lower = i == 1 ? lo : 0x80;
    const unsigned char upper = i == 1 ? hi : 0xBF;
    if (p[i] < lower || p[i] > upper) return {i, false};
  }
  return {need, true};
}

}  // namespace

size_t valid_utf8_prefix(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time: most text is mostly ASCII.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if (word & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    const Subpart sp = scan_sequence(p + i, n - i);
    if (!sp.ok) return i;
    i += sp.length;
  }
  return n;
}

void append_utf8_lossy(std::string_view s, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  out.reserve(out.size() + n);
  while (i < n) {
    const size_t good = valid_utf8_prefix(s.substr(i));
    out.append(s.data() + i, good);
    i += good;
    if (i >= n) break;
    i += scan_sequence(p + i, n - i).length;
    out.append("\xEF\xBF\xBD");  // U+FFFD
  }
}

char32_t decode_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  switch (utf8_sequence_length(p[0])) {
    case 1:
      return p[0];
    case 2:
      return (char32_t(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    case 3:
      return (char32_t(p[0] & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    default:
      return (char32_t(p[0] & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) |
             (char32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  }
}

}  // namespace halo::text
