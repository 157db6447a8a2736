// Finds added tokens (e.g. <|im_end|>) literally inside text, as HF's AddedVocabulary does:
// leftmost match first, the longest token at that position, then the single_word, lstrip and
// rstrip rules of the matched token.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "text/tokenizer_json.h"

namespace halo::text {

class AddedTokenMatcher {
 public:
  // Only tokens with normalized == `normalized` take part (raw-text vs normalised-text pass).
  AddedTokenMatcher(const std::vector<AddedTokenSpec>& tokens, bool normalized);

  bool empty() const { return tokens_.empty(); }

  // Calls on_text(segment) for text between tokens and on_token(id) for each token, in order,
  // covering all of `text` (valid UTF-8) except whitespace swallowed by lstrip/rstrip.
  template <typename OnText, typename OnToken>
  void split(std::string_view text, OnText&& on_text, OnToken&& on_token) const;

 private:
  struct Node {
    int32_t first_child = -1;
    int32_t next_sibling = -1;
    int32_t token = -1;  // index into tokens_ when a token ends here
    unsigned char byte = 0;
  };
  struct Match {
    size_t begin, end;
    int32_t token;
  };
  // Longest token starting at `pos`, if any.
  bool longest_at(std::string_view text, size_t pos, Match& match) const;
  // Applies single_word/lstrip/rstrip; false when single_word rejects the match.
  bool adjust(std::string_view text, size_t floor, Match& match) const;

  std::vector<AddedTokenSpec> tokens_;
  std::vector<Node> trie_;  // node 0 is the root
  bool starts_[256] = {};   // bytes that begin some token: skips most positions cheaply
};

template <typename OnText, typename OnToken>
void AddedTokenMatcher::split(std::string_view text, OnText&& on_text, OnToken&& on_token) const {
  size_t last = 0;  // end of the previous accepted token
  size_t pos = 0;
  while (pos < text.size()) {
    Match m;
    if (!starts_[static_cast<unsigned char>(text[pos])] || !longest_at(text, pos, m)) {
      ++pos;
      continue;
    }
    pos = m.end;  // a rejected match is skipped whole, like HF's non-overlapping search
    if (!adjust(text, last, m)) continue;
    if (m.begin > last) on_text(text.substr(last, m.begin - last));
    on_token(tokens_[m.token].id);
    last = pos = m.end;
  }
  if (last < text.size()) on_text(text.substr(last));
}

}  // namespace halo::text
