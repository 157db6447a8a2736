#include "text/added_tokens.h"

#include <utf8proc.h>

#include "text/utf8.h"

namespace halo::text {

namespace {

bool is_white_space(char32_t c) {  // Unicode White_Space (Rust's \s and char::is_whitespace)
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Rust regex \w: letters, marks, decimal numbers and connector punctuation (approximated by
// general category; \w also covers a few Join_Control characters that never touch added tokens).
bool is_word_char(char32_t c) {
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

// Start of the code point that ends just before byte `pos` of valid UTF-8 `text` (pos > 0).
size_t previous_char(std::string_view text, size_t pos) {
  do {
    --pos;
  } while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80);
  return pos;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedTokenSpec>& tokens, bool normalized) {
  trie_.emplace_back();
  for (const AddedTokenSpec& t : tokens) {
    if (t.normalized != normalized) continue;
    int32_t node = 0;
    for (unsigned char b : t.content) {
      int32_t child = trie_[node].first_child;
      while (child >= 0 && trie_[child].byte != b) child = trie_[child].next_sibling;
      if (child < 0) {
        child = int32_t(trie_.size());
        Node fresh;
        fresh.byte = b;
        fresh.next_sibling = trie_[node].first_child;
        trie_.push_back(fresh);
        trie_[node].first_child = child;
      }
      node = child;
    }
    // The same content listed twice: the first entry is the one matched.
    if (trie_[node].token < 0) {
      trie_[node].token = int32_t(tokens_.size());
      tokens_.push_back(t);
      starts_[static_cast<unsigned char>(t.content[0])] = true;
    }
  }
}

bool AddedTokenMatcher::longest_at(std::string_view text, size_t pos, Match& match) const {
  bool found = false;
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    int32_t child = trie_[node].first_child;
    while (child >= 0 && trie_[child].byte != b) child = trie_[child].next_sibling;
    if (child < 0) break;
    node = child;
    if (trie_[node].token >= 0) {
      match = {pos, i + 1, trie_[node].token};
      found = true;
    }
  }
  return found;
}

bool AddedTokenMatcher::adjust(std::string_view text, size_t floor, Match& match) const {
  const AddedTokenSpec& t = tokens_[match.token];
  if (t.single_word) {
    const bool word_before = match.begin > 0 && is_word_char(decode_utf8(text.substr(previous_char(text, match.begin))));
    const bool word_after = match.end < text.size() && is_word_char(decode_utf8(text.substr(match.end)));
    if (word_before || word_after) return false;
  }
  if (t.lstrip) {
    // Whitespace already consumed by the previous token (its rstrip) stays with it.
    while (match.begin > floor) {
      const size_t p = previous_char(text, match.begin);
      if (!is_white_space(decode_utf8(text.substr(p)))) break;
      match.begin = p;
    }
  }
  if (t.rstrip) {
    while (match.end < text.size()) {
      const char32_t c = decode_utf8(text.substr(match.end));
      if (!is_white_space(c)) break;
      match.end += utf8_sequence_length(static_cast<unsigned char>(text[match.end]));
    }
  }
  return true;
}

}  // namespace halo::text
