// Tokenizer: assembles the pipeline read from tokenizer.json and runs it. Encoding follows HF's
// TokenizerImpl::encode for one sequence: added tokens in raw text → NFC → added tokens marked
// normalized → pre-tokenizer → BPE → post-processor (only with add_special_tokens).
#include "text/tokenizer.h"

#include <array>
#include <new>
#include <unordered_map>

#include "base/error.h"
#include "text/added_tokens.h"
#include "text/bpe.h"
#include "text/byte_level.h"
#include "text/decoder.h"
#include "text/normalizer.h"
#include "text/pre_tokenizer.h"
#include "text/tokenizer_json.h"
#include "text/utf8.h"

namespace halo::text {

namespace {

struct Vocabulary {
  std::vector<std::string> tokens;  // by id; byte-level spelling, or an added token's content
  std::vector<bool> present;
  std::vector<bool> special;
  std::unordered_map<std::string, int32_t> model_ids;  // model.vocab only
  std::unordered_map<std::string, int32_t> ids;        // model.vocab and added tokens
};

// More tokens than any real vocabulary has (Qwen3: 151,669; the largest in use about 262k).
constexpr size_t kMaxTokens = size_t(1) << 24;

Vocabulary build_vocabulary(const TokenizerSpec& spec) {
  const std::string file = spec.json_path.string();
  // Tables are indexed by id, so ids are bounded by the number of tokens the file holds: a single
  // id of 2^31 - 1 would otherwise ask for gigabytes.
  const size_t entries = spec.vocab.size() + spec.added_tokens.size();
  if (entries > kMaxTokens) fail("{}: {} tokens is more than the {} halo supports", file, entries, kMaxTokens);
  auto check_bound = [&](int32_t id, const std::string& key) {
    if (size_t(id) >= entries) {
      fail("{}: {}: id {} is out of range: the file holds {} tokens (model.vocab and added_tokens), so ids "
           "must be below {}", file, key, id, entries, entries);
    }
  };
  int32_t max_id = -1;
  for (const auto& [token, id] : spec.vocab) {
    check_bound(id, fmt::format("model.vocab[{:?}]", token));
    max_id = std::max(max_id, id);
  }
  for (size_t i = 0; i < spec.added_tokens.size(); ++i) {
    check_bound(spec.added_tokens[i].id, fmt::format("added_tokens[{}] ({:?})", i, spec.added_tokens[i].content));
    max_id = std::max(max_id, spec.added_tokens[i].id);
  }
  Vocabulary v;
  v.tokens.resize(size_t(max_id + 1));
  v.present.resize(v.tokens.size());
  v.special.resize(v.tokens.size());
  v.model_ids.reserve(spec.vocab.size());
  for (const auto& [token, id] : spec.vocab) {
    if (v.present[id]) fail("{}: model.vocab: id {} is used by both '{}' and '{}'", file, id, v.tokens[id], token);
    v.tokens[id] = token;
    v.present[id] = true;
    v.model_ids.emplace(token, id);
  }
  v.ids = v.model_ids;
  for (const AddedTokenSpec& a : spec.added_tokens) {
    if (v.present[a.id] && v.tokens[a.id] != a.content) {
      fail("{}: added_tokens: id {} is '{}' there but '{}' in model.vocab", file, a.id, a.content, v.tokens[a.id]);
    }
    v.tokens[a.id] = a.content;
    v.present[a.id] = true;
    v.special[a.id] = a.special;
    v.ids[a.content] = a.id;  // HF resolves added tokens before the model's vocabulary
  }
  return v;
}

std::unique_ptr<BpeModel> build_bpe(const TokenizerSpec& spec, const Vocabulary& v) {
  const std::string file = spec.json_path.string();
  auto model_id = [&](const std::string& token, std::string_view key) {
    auto it = v.model_ids.find(token);
    if (it == v.model_ids.end()) fail("{}: {}: token '{}' is not in model.vocab", file, key, token);
    return it->second;
  };
  std::array<int32_t, 256> byte_ids{};
  for (int b = 0; b < 256; ++b) {
    const std::string token = bytes_to_byte_level(std::string(1, char(b)));
    byte_ids[b] = model_id(token, fmt::format("model.vocab (byte 0x{:02X} of the byte-level alphabet)", b));
  }
  std::vector<MergeRule> merges;
  merges.reserve(spec.merges.size());
  for (size_t i = 0; i < spec.merges.size(); ++i) {
    const auto& [left, right] = spec.merges[i];
    const std::string key = fmt::format("model.merges[{}]", i);
    merges.push_back({model_id(left, key), model_id(right, key), model_id(left + right, key)});
  }
  std::unordered_map<std::string, int32_t> whole;
  if (spec.ignore_merges) {
    for (const auto& [token, id] : v.model_ids) {
      if (auto bytes = byte_level_to_bytes(token)) whole.emplace(*std::move(bytes), id);
    }
  }
  return std::make_unique<BpeModel>(byte_ids, merges, std::move(whole));
}

std::optional<int32_t> config_token_id(const TokenizerSpec& spec, const Vocabulary& v,
                                       const std::optional<std::string>& token, std::string_view key) {
  if (!token) return std::nullopt;
  auto it = v.ids.find(*token);
  if (it == v.ids.end()) {
    fail("{}: {}: '{}' is not in the vocabulary",
         (spec.json_path.parent_path() / "tokenizer_config.json").string(), key, *token);
  }
  return it->second;
}

// Added tokens matched after normalisation are matched by their normalised spelling.
std::vector<AddedTokenSpec> normalized_added_tokens(const TokenizerSpec& spec) {
  std::vector<AddedTokenSpec> tokens = spec.added_tokens;
  if (spec.nfc) {
    for (AddedTokenSpec& t : tokens) {
      std::string storage;
      if (t.normalized) t.content = std::string(nfc(t.content, storage));
    }
  }
  return tokens;
}

}  // namespace

struct Tokenizer::Impl {
  explicit Impl(const TokenizerSpec& spec)
      : vocab(build_vocabulary(spec)),
        nfc(spec.nfc),
        raw_added(normalized_added_tokens(spec), false),
        normalized_added(normalized_added_tokens(spec), true),
        pre_tokenizer(spec.pre_tokenizer, spec.json_path.string()),
        bpe(build_bpe(spec, vocab)),
        decoder(decoder_bytes(vocab), vocab.special, vocab.present, spec.clean_up_tokenization_spaces),
        post_prefix(spec.post_prefix),
        post_suffix(spec.post_suffix),
        bos(config_token_id(spec, vocab, spec.bos_token, "bos_token")),
        eos(config_token_id(spec, vocab, spec.eos_token, "eos_token")) {
    for (int32_t id : post_prefix) check_id(spec, id);
    for (int32_t id : post_suffix) check_id(spec, id);
  }

  static std::vector<std::string> decoder_bytes(const Vocabulary& v) {
    std::vector<std::string> bytes(v.tokens.size());
    for (size_t id = 0; id < v.tokens.size(); ++id) {
      if (v.present[id]) bytes[id] = Decoder::token_to_bytes(v.tokens[id]);
    }
    return bytes;
  }

  void check_id(const TokenizerSpec& spec, int32_t id) const {
    if (size_t(id) >= vocab.present.size() || !vocab.present[id]) {
      fail("{}: post_processor: id {} is not in the vocabulary", spec.json_path.string(), id);
    }
  }

  // Normalised text → pieces → ids.
  void encode_normalized(std::string_view text, std::vector<int32_t>& ids) const {
    pre_tokenizer.run(text, [&](std::string_view piece) { bpe->encode(piece, ids); });
  }

  // Raw text between added tokens → ids.
  void encode_section(std::string_view text, std::vector<int32_t>& ids) const {
    std::string storage;
    const std::string_view normalized = nfc ? text::nfc(text, storage) : text;
    if (normalized_added.empty()) {
      encode_normalized(normalized, ids);
    } else {
      normalized_added.split(
          normalized, [&](std::string_view part) { encode_normalized(part, ids); },
          [&](int32_t id) { ids.push_back(id); });
    }
  }

  Vocabulary vocab;
  bool nfc;
  AddedTokenMatcher raw_added;
  AddedTokenMatcher normalized_added;
  PreTokenizer pre_tokenizer;
  std::unique_ptr<BpeModel> bpe;
  Decoder decoder;
  std::vector<int32_t> post_prefix;
  std::vector<int32_t> post_suffix;
  std::optional<int32_t> bos;
  std::optional<int32_t> eos;
};

Tokenizer Tokenizer::load(const std::filesystem::path& path) {
  try {
    return Tokenizer(std::make_unique<Impl>(read_tokenizer_spec(path)));
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory while loading the tokenizer", path.string());
  }
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  // Ill-formed UTF-8 is replaced by U+FFFD first (what Python's bytes.decode(errors="replace")
  // or Node's Buffer.toString would hand to a reference tokenizer).
  std::string repaired;
  if (valid_utf8_prefix(text) != text.size()) {
    append_utf8_lossy(text, repaired);
    text = repaired;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 8);
  if (add_special_tokens) ids = impl_->post_prefix;
  if (impl_->raw_added.empty()) {
    impl_->encode_section(text, ids);
  } else {
    impl_->raw_added.split(
        text, [&](std::string_view part) { impl_->encode_section(part, ids); },
        [&](int32_t id) { ids.push_back(id); });
  }
  if (add_special_tokens) ids.insert(ids.end(), impl_->post_suffix.begin(), impl_->post_suffix.end());
  return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  return impl_->decoder.decode(ids, skip_special_tokens);
}

std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos; }

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  auto it = impl_->vocab.ids.find(std::string(token));
  if (it == impl_->vocab.ids.end()) return std::nullopt;
  return it->second;
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (id < 0 || size_t(id) >= impl_->vocab.tokens.size() || !impl_->vocab.present[id]) {
    fail("token id {} is not in the vocabulary (size {})", id, impl_->vocab.tokens.size());
  }
  return impl_->vocab.tokens[id];
}

size_t Tokenizer::vocab_size() const { return impl_->vocab.tokens.size(); }

}  // namespace halo::text
