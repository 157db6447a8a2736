#include "text/tokenizer_json.h"

#include <new>
#include <nlohmann/json.hpp>
#include <string_view>

#include "base/json_nesting.h"
#include "base/atomic_file.h"
#include "base/error.h"

namespace halo::text {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Reads and parses one JSON file; every failure is a one-line error naming it.
json parse_file(const fs::path& path) {
  const std::string text = read_file(path);
  check_json_nesting(text, path.string());
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    fail("{}: invalid JSON: {}", path.string(), e.what());
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory while parsing it", path.string());
  }
}

// Typed access with errors of the form "<file>: <key>: <what>".
class Reader {
 public:
  explicit Reader(fs::path path) : path_(std::move(path)) {}

  [[noreturn]] void error(std::string_view key, std::string_view what) const {
    fail("{}: {}: {}", path_.string(), key, what);
  }

  const json& object(const json& j, std::string_view key) const {
    if (!j.is_object()) error(key, "expected an object");
    return j;
  }
  const json* find(const json& obj, const char* name) const {
    auto it = obj.find(name);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  }
  std::string string(const json& j, std::string_view key) const {
    if (!j.is_string()) error(key, "expected a string");
    return j.get<std::string>();
  }
  bool boolean(const json& obj, const char* name, bool fallback, std::string_view key) const {
    const json* v = find(obj, name);
    if (!v) return fallback;
    if (!v->is_boolean()) error(key, "expected true or false");
    return v->get<bool>();
  }
  int32_t id(const json& j, std::string_view key) const {
    if (!j.is_number_integer() || j.get<int64_t>() < 0 || j.get<int64_t>() > INT32_MAX) {
      error(key, "expected a non-negative 32-bit integer id");
    }
    return j.get<int32_t>();
  }
  std::string type(const json& obj, std::string_view key) const {
    const json* t = find(object(obj, key), "type");
    if (!t) error(key, "missing \"type\"");
    return string(*t, std::string(key) + ".type");
  }

 private:
  fs::path path_;
};

std::string key_at(std::string_view base, size_t i) { return fmt::format("{}[{}]", base, i); }

void read_normalizer(const Reader& r, const json& j, std::string_view key, TokenizerSpec& spec) {
  const std::string type = r.type(j, key);
  if (type == "NFC") {
    spec.nfc = true;
  } else if (type == "Sequence") {
    const json* list = r.find(j, "normalizers");
    if (!list || !list->is_array()) r.error(std::string(key) + ".normalizers", "expected an array");
    for (size_t i = 0; i < list->size(); ++i) {
      read_normalizer(r, (*list)[i], key_at(std::string(key) + ".normalizers", i), spec);
    }
  } else {
    r.error(std::string(key) + ".type", fmt::format("unsupported normalizer '{}' (supported: NFC, "
                                                    "Sequence of NFC, null)", type));
  }
}

void read_pre_tokenizer(const Reader& r, const json& j, std::string_view key, TokenizerSpec& spec) {
  const std::string type = r.type(j, key);
  const std::string k(key);
  if (type == "Sequence") {
    const json* list = r.find(j, "pretokenizers");
    if (!list || !list->is_array()) r.error(k + ".pretokenizers", "expected an array");
    for (size_t i = 0; i < list->size(); ++i) {
      read_pre_tokenizer(r, (*list)[i], key_at(k + ".pretokenizers", i), spec);
    }
  } else if (type == "Split") {
    SplitSpec split;
    const json* pattern = r.find(j, "pattern");
    if (!pattern || !pattern->is_object()) r.error(k + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
    if (const json* re = r.find(*pattern, "Regex")) {
      split.pattern = r.string(*re, k + ".pattern.Regex");
    } else if (const json* str = r.find(*pattern, "String")) {
      split.pattern = r.string(*str, k + ".pattern.String");
      split.is_regex = false;
    } else {
      r.error(k + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
    }
    const json* behavior = r.find(j, "behavior");
    const std::string b = behavior ? r.string(*behavior, k + ".behavior") : "";
    if (b == "Isolated") {
      split.behavior = SplitBehavior::kIsolated;
    } else if (b == "Removed") {
      split.behavior = SplitBehavior::kRemoved;
    } else {
      r.error(k + ".behavior", fmt::format("unsupported split behavior '{}' (supported: Isolated, Removed)", b));
    }
    if (r.boolean(j, "invert", false, k + ".invert")) r.error(k + ".invert", "invert=true is not supported");
    spec.pre_tokenizer.push_back({false, std::move(split), {}});
  } else if (type == "ByteLevel") {
    // HF's defaults for a ByteLevel pre-tokenizer are add_prefix_space=true, use_regex=true.
    const bool add_prefix_space = r.boolean(j, "add_prefix_space", true, k + ".add_prefix_space");
    const bool use_regex = r.boolean(j, "use_regex", true, k + ".use_regex");
    spec.pre_tokenizer.push_back({true, {}, {add_prefix_space, use_regex}});
  } else {
    r.error(k + ".type", fmt::format("unsupported pre_tokenizer '{}' (supported: Split, ByteLevel, "
                                     "Sequence; only byte-level BPE tokenizers are supported)", type));
  }
}

// Flattens the post_processor into the ids it puts around a single sequence.
void read_post_processor(const Reader& r, const json& j, std::string_view key, TokenizerSpec& spec) {
  const std::string type = r.type(j, key);
  const std::string k(key);
  if (type == "ByteLevel") return;  // only adjusts offsets; adds no tokens
  if (type == "Sequence") {
    const json* list = r.find(j, "processors");
    if (!list || !list->is_array()) r.error(k + ".processors", "expected an array");
    for (size_t i = 0; i < list->size(); ++i) {
      read_post_processor(r, (*list)[i], key_at(k + ".processors", i), spec);
    }
    return;
  }
  if (type != "TemplateProcessing") {
    r.error(k + ".type", fmt::format("unsupported post_processor '{}' (supported: ByteLevel, "
                                     "TemplateProcessing, Sequence, null)", type));
  }
  const json* single = r.find(j, "single");
  if (!single || !single->is_array()) r.error(k + ".single", "expected an array");
  const json* specials = r.find(j, "special_tokens");
  bool seen_sequence = false;
  for (size_t i = 0; i < single->size(); ++i) {
    const std::string item_key = key_at(k + ".single", i);
    const json& item = r.object((*single)[i], item_key);
    if (r.find(item, "Sequence")) {
      if (seen_sequence) r.error(item_key, "the single-sequence template names the sequence twice");
      seen_sequence = true;
    } else if (const json* st = r.find(item, "SpecialToken")) {
      const json* name = r.find(r.object(*st, item_key + ".SpecialToken"), "id");
      if (!name) r.error(item_key + ".SpecialToken.id", "missing");
      const std::string token = r.string(*name, item_key + ".SpecialToken.id");
      const json* entry = specials ? r.find(*specials, token.c_str()) : nullptr;
      const json* ids = entry ? r.find(*entry, "ids") : nullptr;
      if (!ids || !ids->is_array()) r.error(k + ".special_tokens", fmt::format("no ids for '{}'", token));
      auto& target = seen_sequence ? spec.post_suffix : spec.post_prefix;
      for (size_t n = 0; n < ids->size(); ++n) {
        target.push_back(r.id((*ids)[n], key_at(k + ".special_tokens." + token + ".ids", n)));
      }
    } else {
      r.error(item_key, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
  }
}

void read_model(const Reader& r, const json& j, TokenizerSpec& spec) {
  r.object(j, "model");
  // Older files omit model.type; a merges list identifies BPE there, as in HF.
  const std::string type = r.find(j, "type") ? r.type(j, "model") : (r.find(j, "merges") ? "BPE" : "");
  if (type != "BPE") {
    r.error("model.type", fmt::format("unsupported model '{}' (only byte-level BPE is supported; "
                                      "Unigram, WordPiece, WordLevel and SentencePiece are not)", type));
  }
  if (const json* d = r.find(j, "dropout"); d && !(d->is_number() && d->get<double>() == 0.0)) {
    r.error("model.dropout", "BPE dropout is not supported (it makes encoding random)");
  }
  for (const char* name : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const json* v = r.find(j, name);
    if (v && r.string(*v, std::string("model.") + name) != "") {
      r.error(std::string("model.") + name, "must be empty for byte-level BPE");
    }
  }
  if (r.boolean(j, "byte_fallback", false, "model.byte_fallback")) {
    r.error("model.byte_fallback", "byte_fallback is not supported (byte-level BPE needs none)");
  }
  spec.ignore_merges = r.boolean(j, "ignore_merges", false, "model.ignore_merges");

  const json* vocab = r.find(j, "vocab");
  if (!vocab || !vocab->is_object()) r.error("model.vocab", "expected an object of token → id");
  spec.vocab.reserve(vocab->size());
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    spec.vocab.emplace_back(it.key(), r.id(it.value(), "model.vocab." + it.key()));
  }

  const json* merges = r.find(j, "merges");
  if (!merges || !merges->is_array()) r.error("model.merges", "expected an array");
  spec.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const json& m = (*merges)[i];
    const std::string key = key_at("model.merges", i);
    if (m.is_string()) {
      // "a b": the two parts are separated by the one space (spaces never occur inside
      // byte-level tokens, they are spelt "Ġ").
      const std::string s = m.get<std::string>();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos) {
        r.error(key, fmt::format("expected \"left right\", got \"{}\"", s));
      }
      spec.merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
    } else if (m.is_array() && m.size() == 2) {
      spec.merges.emplace_back(r.string(m[0], key + "[0]"), r.string(m[1], key + "[1]"));
    } else {
      r.error(key, "expected \"left right\" or [left, right]");
    }
  }
}

void read_added_tokens(const Reader& r, const json& j, TokenizerSpec& spec) {
  if (!j.is_array()) r.error("added_tokens", "expected an array");
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string key = key_at("added_tokens", i);
    const json& t = r.object(j[i], key);
    AddedTokenSpec a;
    const json* id = r.find(t, "id");
    const json* content = r.find(t, "content");
    if (!id || !content) r.error(key, "needs \"id\" and \"content\"");
    a.id = r.id(*id, key + ".id");
    a.content = r.string(*content, key + ".content");
    if (a.content.empty()) r.error(key + ".content", "empty added token");
    a.special = r.boolean(t, "special", false, key + ".special");
    a.lstrip = r.boolean(t, "lstrip", false, key + ".lstrip");
    a.rstrip = r.boolean(t, "rstrip", false, key + ".rstrip");
    a.single_word = r.boolean(t, "single_word", false, key + ".single_word");
    a.normalized = r.boolean(t, "normalized", !a.special, key + ".normalized");  // HF's default
    spec.added_tokens.push_back(std::move(a));
  }
}

// bos_token/eos_token are a string, null, or {"content": ..., "__type": "AddedToken"}.
std::optional<std::string> read_config_token(const Reader& r, const json& cfg, const char* name) {
  const json* v = r.find(cfg, name);
  if (!v) return std::nullopt;
  if (v->is_object()) {
    const json* content = r.find(*v, "content");
    if (!content) r.error(std::string(name) + ".content", "missing");
    return r.string(*content, std::string(name) + ".content");
  }
  return r.string(*v, name);
}

}  // namespace

TokenizerSpec read_tokenizer_spec(const fs::path& path) {
  TokenizerSpec spec;
  fs::path dir = path;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    spec.json_path = path / "tokenizer.json";
    if (!fs::exists(spec.json_path, ec) && fs::exists(path / "tokenizer.model", ec)) {
      fail("{}: no tokenizer.json, only a SentencePiece tokenizer.model, which is not supported "
           "(only byte-level BPE tokenizer.json)", path.string());
    }
  } else {
    spec.json_path = path;
    dir = path.parent_path();
  }
  const fs::file_status st = fs::status(spec.json_path, ec);
  if (st.type() == fs::file_type::not_found) fail("{}: no such file", spec.json_path.string());
  if (ec) fail("{}: cannot be resolved: {}", spec.json_path.string(), ec.message());

  const json root = parse_file(spec.json_path);
  const Reader r(spec.json_path);
  r.object(root, "(top level)");
  if (const json* n = r.find(root, "normalizer")) read_normalizer(r, *n, "normalizer", spec);
  const json* pre = r.find(root, "pre_tokenizer");
  if (!pre) r.error("pre_tokenizer", "missing (only byte-level BPE tokenizers are supported)");
  read_pre_tokenizer(r, *pre, "pre_tokenizer", spec);
  // The model sees raw bytes, so the byte-level step must come last (nothing may split its output).
  if (spec.pre_tokenizer.empty() || !spec.pre_tokenizer.back().is_byte_level) {
    r.error("pre_tokenizer", "must end with a ByteLevel pre-tokenizer (only byte-level BPE is supported)");
  }
  for (size_t i = 0; i + 1 < spec.pre_tokenizer.size(); ++i) {
    if (spec.pre_tokenizer[i].is_byte_level) {
      r.error("pre_tokenizer", "ByteLevel must be the last pre-tokenizer");
    }
  }
  const json* model = r.find(root, "model");
  if (!model) r.error("model", "missing");
  read_model(r, *model, spec);
  if (const json* added = r.find(root, "added_tokens")) read_added_tokens(r, *added, spec);
  const json* decoder = r.find(root, "decoder");
  if (!decoder || r.type(*decoder, "decoder") != "ByteLevel") {
    r.error("decoder", "must be a ByteLevel decoder (only byte-level BPE is supported)");
  }
  if (const json* post = r.find(root, "post_processor")) read_post_processor(r, *post, "post_processor", spec);

  const fs::path config_path = dir / "tokenizer_config.json";
  if (fs::exists(config_path, ec)) {
    const json cfg = parse_file(config_path);
    const Reader c(config_path);
    c.object(cfg, "(top level)");
    spec.bos_token = read_config_token(c, cfg, "bos_token");
    spec.eos_token = read_config_token(c, cfg, "eos_token");
    spec.clean_up_tokenization_spaces =
        c.boolean(cfg, "clean_up_tokenization_spaces", false, "clean_up_tokenization_spaces");
  }
  return spec;
}

}  // namespace halo::text
