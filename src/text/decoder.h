// ids → text: HF's ByteLevel decoder followed by String::from_utf8_lossy, plus transformers'
// clean_up_tokenization when tokenizer_config.json asks for it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace halo::text {

class Decoder {
 public:
  // `token_bytes[id]`: what the ByteLevel decoder yields for that token; `special[id]`: dropped
  // when skipping special tokens; `present[id]`: false for ids the vocabulary does not define.
  Decoder(std::vector<std::string> token_bytes, std::vector<bool> special, std::vector<bool> present,
          bool clean_up_spaces);

  // Ids the vocabulary does not define are skipped, as HF does.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const;

  // The ByteLevel decoder's bytes for one token: its byte-level characters mapped back to bytes,
  // or, when some character is outside that alphabet (e.g. an added token containing a plain
  // space), the token's own UTF-8 unchanged.
  static std::string token_to_bytes(const std::string& token);

 private:
  std::vector<std::string> token_bytes_;
  std::vector<bool> special_;
  std::vector<bool> present_;
  bool clean_up_spaces_;
};

// transformers' clean_up_tokenization: " ." → "." and the like (used when
// tokenizer_config.json sets clean_up_tokenization_spaces).
std::string clean_up_tokenization(std::string text);

}  // namespace halo::text
