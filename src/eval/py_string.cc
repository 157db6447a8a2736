#include "eval/py_string.h"

#include <fmt/format.h>
#include <utf8proc.h>

#include <algorithm>
#include <iterator>

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

// CPython's own Unicode facts where utf8proc's categories and simple mappings fall short, generated
// from CPython 3.11 by tools/pystring/make_py_unicode_tables.py.
struct CodeRange {
  char32_t first, last;
};
struct TitleMapping {
  char32_t from;
  char32_t to[3];  // zero-padded
};
struct ExtraCase {
  char32_t lower;
  char32_t others[2];  // zero-padded
};
#include "eval/py_unicode_tables.inc"

template <size_t N>
bool in_ranges(const CodeRange (&table)[N], char32_t c) {
  const CodeRange* it = std::upper_bound(std::begin(table), std::end(table), c,
                                         [](char32_t v, const CodeRange& r) { return v < r.first; });
  return it != std::begin(table) && c <= (it - 1)->last;
}

// Unicode Case_Ignorable (marks, format characters, modifier letters and symbols, and the
// word-internal punctuation ' . : · and their relatives).
bool is_case_ignorable(char32_t c) { return in_ranges(kCaseIgnorable, c); }

// Unicode Cased, for a code point that is not case-ignorable: the letters with case plus
// Other_Lowercase/Other_Uppercase symbols such as ⓐ (U+24D0), Ⅰ (U+2160), ª and º.
bool is_cased(char32_t c) { return in_ranges(kCased, c); }

// Python lowers a capital sigma to the final form when it ends a cased word (Final_Sigma): a cased
// letter before it and none after it, skipping case-ignorable code points both ways
// (CPython's handle_capital_sigma).
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

// Full titlecase (_PyUnicode_ToTitleFull): the multi-character mappings of SpecialCasing.txt
// (ligatures such as ﬁ → "Fi", ß → "Ss", Greek letters with ypogegrammeni or diaeresis and tonos);
// everything else has the simple titlecase mapping (ǆ → ǅ, ǳ → ǲ).
std::string title_full(char32_t c) {
  const TitleMapping* it = std::lower_bound(std::begin(kMultiTitle), std::end(kMultiTitle), c,
                                            [](const TitleMapping& m, char32_t v) { return m.from < v; });
  std::string out;
  if (it != std::end(kMultiTitle) && it->from == c) {
    for (char32_t t : it->to) {
      if (t != 0) append(out, t);
    }
  } else {
    append(out, char32_t(utf8proc_totitle(utf8proc_int32_t(c))));
  }
  return out;
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

// Whether haystack code point `h` matches needle code point `n` of a literal pattern under
// re.IGNORECASE (CPython's sre_compile for a Unicode str pattern): a needle without case matches
// only itself; otherwise h matches when its simple lowercase is the needle's, or one of re's extra
// equivalents of it (so 'i', 'I', 'İ' and 'ı' all match one another, as do 's', 'S' and 'ſ').
bool same_ignoring_case(char32_t h, char32_t n) {
  if (h == n) return true;
  const auto ni = utf8proc_int32_t(n);
  const bool needle_cased = utf8proc_tolower(ni) != ni || utf8proc_toupper(ni) != ni;
  if (!needle_cased) return false;
  const auto lo = char32_t(utf8proc_tolower(ni));
  const auto lh = char32_t(utf8proc_tolower(utf8proc_int32_t(h)));
  if (lh == lo) return true;
  const ExtraCase* it = std::lower_bound(std::begin(kExtraCases), std::end(kExtraCases), lo,
                                         [](const ExtraCase& e, char32_t v) { return e.lower < v; });
  if (it == std::end(kExtraCases) || it->lower != lo) return false;
  return (it->others[0] != 0 && it->others[0] == lh) || (it->others[1] != 0 && it->others[1] == lh);
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
