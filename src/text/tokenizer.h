// Byte-level BPE tokenizer loaded from a HF tokenizer.json (+ tokenizer_config.json), token-exact
// with HF `tokenizers` for Qwen3 and the other byte-level BPE models that share its format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace halo::text {

class Tokenizer {
 public:
  // `path` is a directory holding tokenizer.json (and optionally tokenizer_config.json) or the
  // tokenizer.json file itself. Unsupported types and corrupt files are one-line halo::Errors.
  static Tokenizer load(const std::filesystem::path& path);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Added/special tokens are matched literally inside `text` whatever add_special_tokens says
  // (as HF does); add_special_tokens only controls BOS/EOS insertion per tokenizer_config.json.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = false) const;
  // Byte-level decode; invalid UTF-8 sequences become U+FFFD as HF does.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::string id_to_token(int32_t id) const;
  size_t vocab_size() const;  // including added tokens

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace halo::text
