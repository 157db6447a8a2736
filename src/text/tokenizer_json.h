// Reads HF tokenizer.json (+ tokenizer_config.json) into a plain description of the pipeline.
// Everything unsupported is rejected here, with one-line errors naming the file and the key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace halo::text {

struct AddedTokenSpec {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool lstrip = false;       // swallow whitespace on the left of a match
  bool rstrip = false;       // swallow whitespace on the right of a match
  bool normalized = false;   // matched in normalised text instead of raw text
  bool single_word = false;  // only match when not touching word characters
};

enum class SplitBehavior { kIsolated, kRemoved };

// pre_tokenizer "Split": a regex (Oniguruma syntax, as HF writes it) or a literal string.
struct SplitSpec {
  std::string pattern;
  bool is_regex = true;
  SplitBehavior behavior = SplitBehavior::kIsolated;
};

// pre_tokenizer "ByteLevel". Byte-level mapping itself is implicit: the model works on bytes.
struct ByteLevelSpec {
  bool add_prefix_space = false;
  bool use_regex = true;  // split with GPT-2's fixed regex first
};

// One pre-tokenizer step: a Split or a ByteLevel (a plain struct: GCC 12 reports false
// maybe-uninitialized warnings for a std::variant of these).
struct PreTokenizerStep {
  bool is_byte_level = false;
  SplitSpec split;            // when !is_byte_level
  ByteLevelSpec byte_level;   // when is_byte_level
};

struct TokenizerSpec {
  std::filesystem::path json_path;  // for error messages
  bool nfc = false;                 // normalizer: null or NFC (possibly inside a Sequence)
  std::vector<PreTokenizerStep> pre_tokenizer;
  // model (BPE): vocab in the byte-level alphabet, merges in rank order.
  std::vector<std::pair<std::string, int32_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  bool ignore_merges = false;
  std::vector<AddedTokenSpec> added_tokens;
  // post_processor for a single sequence with add_special_tokens=true.
  std::vector<int32_t> post_prefix;
  std::vector<int32_t> post_suffix;
  // tokenizer_config.json
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;
  bool clean_up_tokenization_spaces = false;
};

// `path`: a directory holding tokenizer.json, or the file itself. tokenizer_config.json is read
// from the same directory when present.
TokenizerSpec read_tokenizer_spec(const std::filesystem::path& path);

}  // namespace halo::text
