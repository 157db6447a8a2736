// Codec backed by the project's HF-compatible tokenizer.
#pragma once

#include "eval/codec.h"
#include "text/tokenizer.h"

namespace halo::eval {

class TokenizerCodec final : public Codec {
 public:
  explicit TokenizerCodec(const text::Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override;
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const override;

 private:
  const text::Tokenizer& tokenizer_;
};

}  // namespace halo::eval
