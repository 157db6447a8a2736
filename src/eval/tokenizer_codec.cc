#include "eval/tokenizer_codec.h"

namespace halo::eval {

std::vector<int32_t> TokenizerCodec::encode(std::string_view text, bool add_special_tokens) const {
  return tokenizer_.encode(text, add_special_tokens);
}

std::string TokenizerCodec::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  return tokenizer_.decode(ids, skip_special_tokens);
}

}  // namespace halo::eval
