#include "eval/py_string.h"

#include <fmt/format.h>
#include <utf8proc.h>



namespace halo::eval::py {
namespace {

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = utf8proc_ssize_t(s.size());
  while (left > 0) {
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) {
      // Python strings never hold invalid UTF-8 (HF's decode already replaced it); a stray byte here
      // becomes U+FFFD too rather than aborting a long run.
      out.push_back(U'\uFFFD');
      ++p;
      --left;
      continue;
    }
    out.push_back(char32_t(c));
    p += n;
    left -= n;
  }
  return out;
}

void append(std::string& out, char32_t c) {
  utf8proc_uint8_t buf[4];
  utf8proc_ssize_t n = utf8proc_encode_char(utf8proc_int32_t(c), buf);
  out.append(reinterpret_cast<const char*>(buf), size_t(n));
}

std::string encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append(out, c);
  return out;
}

utf8proc_category_t category(char32_t c) { return utf8proc_category(utf8proc_int32_t(c)); }

// Unicode "Cased" approximated by the letter categories that carry case.
bool is_cased(char32_t c) {
  auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT;
}

// Unicode "Case_Ignorable": marks, format characters, modifiers and the word-internal punctuation
// (apostrophes, period, colon, middle dots) of Word_Break MidLetter/MidNumLet/Single_Quote.
bool is_case_ignorable(char32_t c) {
  switch (category(c)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK:
      return true;
    default:
      break;
  }
  switch (c) {
    case U'\'': case U'.': case U':': case U'\u00B7': case U'\u0387': case U'\u2018':
    case U'\u2019': case U'\u2024': case U'\u2027': case U'\uFE13': case U'\uFE52':
    case U'\uFE55': case U'\uFF07': case U'\uFF0E': case U'\uFF1A':
      return true;
    default:
      return false;
  }
}

// Python lowers a capital sigma to the final form when it ends a cased word (Final_Sigma).
char32_t lower_sigma(const std::u32string& s, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(s[j - 1])) --j;
  if (j == 0 || !is_cased(s[j - 1])) return U'\u03C3';
  size_t k = i + 1;
  while (k < s.size() && is_case_ignorable(s[k])) ++k;
  return (k == s.size() || !is_cased(s[k])) ? U'\u03C2' : U'\u03C3';
}

void append_lower(std::string& out, const std::u32string& s, size_t i) {
  char32_t c = s[i];
  if (c == U'\u0130') {  // the only unconditional multi-character lowercase mapping
    out += "i\xCC\x87";
  } else if (c == U'\u03A3') {
    append(out, lower_sigma(s, i));
  } else {
    append(out, char32_t(utf8proc_tolower(utf8proc_int32_t(c))));
  }
}

// Full titlecase: the unconditional multi-character titlecase mappings of SpecialCasing.txt for
// Latin and Armenian letters and ligatures; everything else uses the simple titlecase mapping.
std::string title_full(char32_t c) {
  switch (c) {
    case U'\u00DF': return "Ss";
    case U'\u0149': return "\u02BCN";
    case U'\u01F0': return "J\u030C";
    case U'\u0587': return "\u0535\u0582";
    case U'\u1E96': return "H\u0331";
    case U'\u1E97': return "T\u0308";
    case U'\u1E98': return "W\u030A";
    case U'\u1E99': return "Y\u030A";
    case U'\u1E9A': return "A\u02BE";
    case U'\uFB00': return "Ff";
    case U'\uFB01': return "Fi";
    case U'\uFB02': return "Fl";
    case U'\uFB03': return "Ffi";
    case U'\uFB04': return "Ffl";
    case U'\uFB05': return "St";
    case U'\uFB06': return "St";
    case U'\uFB13': return "\u0544\u0576";
    case U'\uFB14': return "\u0544\u0565";
    case U'\uFB15': return "\u0544\u056B";
    case U'\uFB16': return "\u054E\u0576";
    case U'\uFB17': return "\u0544\u056D";
    default: {
      std::string out;
      append(out, char32_t(utf8proc_totitle(utf8proc_int32_t(c))));
      return out;
    }
  }
}

// str.isprintable() for one code point: everything except categories C* and Z* other than space.
bool is_printable(char32_t c) {
  if (c == U' ') return true;
  switch (category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
      return false;
    default:
      return true;
  }
}

// Two code points match under re.IGNORECASE when they share a lowercase or an uppercase form
// (covers pairs such as 'k'/KELVIN SIGN and 's'/LONG S that differ in only one direction).
bool same_ignoring_case(char32_t a, char32_t b) {
  if (a == b) return true;
  auto ia = utf8proc_int32_t(a), ib = utf8proc_int32_t(b);
  return utf8proc_tolower(ia) == utf8proc_tolower(ib) || utf8proc_toupper(ia) == utf8proc_toupper(ib);
}

}  // namespace

bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

size_t len(std::string_view s) { return decode(s).size(); }

size_t trailing_space_bytes(std::string_view s) {
  std::u32string cps = decode(s);
  size_t bytes = 0;
  for (size_t i = cps.size(); i > 0 && is_space(cps[i - 1]); --i) {
    char32_t c = cps[i - 1];
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return bytes;
}

std::string strip(std::string_view s) {
  std::u32string cps = decode(s);
  size_t begin = 0, end = cps.size();
  while (begin < end && is_space(cps[begin])) ++begin;
  while (end > begin && is_space(cps[end - 1])) --end;
  return encode(std::u32string_view(cps).substr(begin, end - begin));
}

std::string lower(std::string_view s) {
  std::u32string cps = decode(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < cps.size(); ++i) append_lower(out, cps, i);
  return out;
}

std::string capitalize(std::string_view s) {
  std::u32string cps = decode(s);
  if (cps.empty()) return {};
  std::string out = title_full(cps[0]);
  for (size_t i = 1; i < cps.size(); ++i) append_lower(out, cps, i);
  return out;
}

std::string repr(std::string_view s) {
  std::u32string cps = decode(s);
  bool has_single = cps.find(U'\'') != std::u32string::npos;
  bool has_double = cps.find(U'"') != std::u32string::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t c : cps) {
    if (c == char32_t(quote) || c == U'\\') {
      out += '\\';
      out += char(c);
    } else if (c == U'\t') {
      out += "\\t";
    } else if (c == U'\n') {
      out += "\\n";
    } else if (c == U'\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", uint32_t(c));
    } else if (c < 0x7F || is_printable(c)) {
      append(out, c);
    } else if (c <= 0xFF) {
      out += fmt::format("\\x{:02x}", uint32_t(c));
    } else if (c <= 0xFFFF) {
      out += fmt::format("\\u{:04x}", uint32_t(c));
    } else {
      out += fmt::format("\\U{:08x}", uint32_t(c));
    }
  }
  out += quote;
  return out;
}

std::string list_repr(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += repr(items[i]);
  }
  return out + "]";
}

bool contains_ignore_case(std::string_view haystack, std::string_view needle) {
  std::u32string h = decode(haystack), n = decode(needle);
  if (n.size() > h.size()) return false;
  for (size_t start = 0; start + n.size() <= h.size(); ++start) {
    size_t i = 0;
    while (i < n.size() && same_ignoring_case(h[start + i], n[i])) ++i;
    if (i == n.size()) return true;
  }
  return false;
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

}  // namespace halo::eval::py
