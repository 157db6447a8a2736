// PCRE2 (UTF + UCP, JIT-compiled) running the split regexes of tokenizer.json. HF compiles them
// with Oniguruma; the only dialect difference that matters for these patterns is \s, which
// Oniguruma defines as Unicode White_Space but PCRE2 extends with U+180E. compile() rewrites \s
// and \S into explicit White_Space classes so both engines agree; nothing else is translated.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace halo::text {

class Regex {
 public:
  // `literal`: match `pattern` as plain text (a Split with {"String": ...}).
  // Errors name `where` (file and key).
  Regex(std::string_view pattern, bool literal, std::string_view where);
  Regex(Regex&& other) noexcept;
  Regex& operator=(Regex&& other) noexcept;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  ~Regex();

  // Finds the first match in `text` (valid UTF-8) at or after byte `start`. Returns false when
  // there is none; otherwise sets [begin, end). Safe to call from several threads at once.
  bool find(std::string_view text, size_t start, size_t& begin, size_t& end) const;

 private:
  void* code_ = nullptr;  // pcre2_code_8*, kept opaque so the header needs no PCRE2
};

// Rewrites Oniguruma \s / \S (Unicode White_Space) into explicit classes for PCRE2. Exposed for
// tests. \S inside a bracket class has no class-item equivalent and is an error naming `where`.
std::string translate_whitespace_escapes(std::string_view pattern, std::string_view where);

}  // namespace halo::text
