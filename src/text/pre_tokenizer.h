// The pre-tokenizer: cuts normalised text into the pieces that BPE encodes one by one.
// Split steps run their regex (from tokenizer.json); the final ByteLevel step optionally adds a
// prefix space and runs GPT-2's regex. Pieces stay raw UTF-8 bytes: the byte-level alphabet is
// folded into the vocabulary at load time instead of being applied to the text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "text/regex.h"
#include "text/tokenizer_json.h"
#include "text/utf8.h"

namespace halo::text {

class PreTokenizer {
 public:
  PreTokenizer(const std::vector<PreTokenizerStep>& steps, std::string_view where);

  // Calls emit(piece) for every piece of `text` (valid UTF-8), in order. Pieces may point into
  // `text` or into temporary storage valid only during the call.
  template <typename Emit>
  void run(std::string_view text, Emit&& emit) const {
    run_from(0, text, emit);
  }

 private:
  struct Step {
    std::optional<Regex> regex;     // absent: ByteLevel with use_regex=false (no split)
    bool removed = false;           // Split behavior "Removed": drop matches, keep the gaps
    bool add_prefix_space = false;  // ByteLevel: prepend ' ' to pieces that lack one
  };

  template <typename Emit>
  void run_from(size_t index, std::string_view text, Emit& emit) const;
  template <typename Emit>
  void split(size_t index, std::string_view text, Emit& emit) const;

  std::vector<Step> steps_;
};

template <typename Emit>
void PreTokenizer::run_from(size_t index, std::string_view text, Emit& emit) const {
  if (text.empty()) return;  // HF yields no piece (and no prefix space) for empty text
  if (index == steps_.size()) {
    emit(text);
    return;
  }
  if (steps_[index].add_prefix_space && text.front() != ' ') {
    std::string prefixed = " ";
    prefixed += text;
    split(index, prefixed, emit);
  } else {
    split(index, text, emit);
  }
}

template <typename Emit>
void PreTokenizer::split(size_t index, std::string_view text, Emit& emit) const {
  const Step& step = steps_[index];
  if (!step.regex) {
    run_from(index + 1, text, emit);
    return;
  }
  size_t pos = 0;   // where the next search starts
  size_t last = 0;  // end of the previous piece
  size_t begin = 0, end = 0;
  while (pos <= text.size() && step.regex->find(text, pos, begin, end)) {
    if (begin > last) run_from(index + 1, text.substr(last, begin - last), emit);
    if (!step.removed && end > begin) run_from(index + 1, text.substr(begin, end - begin), emit);
    last = end;
    if (end > begin) {
      pos = end;
    } else if (end < text.size()) {  // an empty match must not stall the scan
      pos = end + utf8_sequence_length(static_cast<unsigned char>(text[end]));
    } else {
      break;
    }
  }
  if (last < text.size()) run_from(index + 1, text.substr(last), emit);
}

}  // namespace halo::text
