// The part of a tokenizer that request building needs. Production wraps text::Tokenizer
// (tokenizer_codec.h); tests use small deterministic codecs, so the request rules are testable
// without a real vocabulary.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace halo::eval {

class Codec {
 public:
  virtual ~Codec() = default;
  // HF `encode(text, add_special_tokens=...)`; special tokens inside `text` are matched literally.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const = 0;
  // HF `decode(ids, skip_special_tokens=...)`.
  virtual std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const = 0;
};

}  // namespace halo::eval
