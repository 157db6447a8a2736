#include "io/model_config.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>

#include "base/json_nesting.h"
#include "base/atomic_file.h"
#include "base/error.h"

namespace halo::io {

namespace {

using nlohmann::json;

// HypeNet's modeling code uses this `a` when attn_logits_scaling is plain "hype".
constexpr double kDefaultHypeA = 362.0;

// Typed access to the keys of one config object; every error names the source file and the key.
class Fields {
 public:
  Fields(const json& object, const std::string& source) : object_(object), source_(source) {}

  // The value of `key`, or nullptr when it is absent or null (HF writes unset options as null).
  const json* find(const std::string& key) const {
    auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }

  [[noreturn]] void bad(const std::string& key, const char* expected) const {
    fail("{}: '{}' must be {}, got {}", source_, key, expected, object_.at(key).type_name());
  }

  std::optional<int64_t> opt_int(const std::string& key, int64_t min_value) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer()) bad(key, "an integer");
    // Unsigned JSON integers above INT64_MAX would wrap in get<int64_t>().
    if (v->is_number_unsigned() &&
        v->get<uint64_t>() > uint64_t(std::numeric_limits<int32_t>::max())) {
      fail("{}: '{}' = {} is out of range", source_, key, v->get<uint64_t>());
    }
    int64_t value = v->get<int64_t>();
    if (value < min_value || value > std::numeric_limits<int32_t>::max()) {
      fail("{}: '{}' = {} is out of range", source_, key, value);
    }
    return value;
  }

  int required_positive(const std::string& key) const {
    std::optional<int64_t> v = opt_int(key, 1);
    if (!v) fail("{}: required key '{}' is missing", source_, key);
    return int(*v);
  }

  std::optional<int> opt_positive(const std::string& key) const {
    std::optional<int64_t> v = opt_int(key, 1);
    return v ? std::optional<int>(int(*v)) : std::nullopt;
  }

  std::optional<double> opt_number(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) bad(key, "a number");
    return v->get<double>();
  }

  bool opt_bool(const std::string& key, bool fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) bad(key, "true or false");
    return v->get<bool>();
  }

  std::optional<std::string> opt_string(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) bad(key, "a string");
    return v->get<std::string>();
  }

  const std::string& source() const { return source_; }

 private:
  const json& object_;
  const std::string& source_;
};

// rope_scaling (published configs) and rope_parameters (transformers 5) both name the RoPE
// variant; only the plain one is implemented, and silently ignoring another would give wrong
// logits.
void check_rope_type(const Fields& f, const std::string& key) {
  const json* v = f.find(key);
  if (v == nullptr) return;
  if (!v->is_object()) f.bad(key, "an object or null");
  Fields inner(*v, f.source());
  std::optional<std::string> type = inner.opt_string("rope_type");
  if (!type) type = inner.opt_string("type");
  if (!type) fail("{}: '{}' has no rope_type", f.source(), key);
  if (*type != "default") {
    if (key == "rope_scaling")
      fail("{}: rope_scaling type '{}' is not supported", f.source(), *type);
    fail("{}: rope_scaling type '{}' is not supported (in '{}')", f.source(), *type, key);
  }
}

LogitsScaling parse_logits_scaling(const Fields& f) {
  const std::string key = "attn_logits_scaling";
  const json* v = f.find(key);
  LogitsScaling out;
  if (v == nullptr) return out;
  if (v->is_number()) {
    out.kind = LogitsScaling::Kind::constant;
    out.value = v->get<double>();
    if (!std::isfinite(out.value)) fail("{}: '{}' must be finite", f.source(), key);
    return out;
  }
  if (!v->is_string()) f.bad(key, "null, a number or \"hype [a]\"");
  const std::string text = v->get<std::string>();
  const std::string usage = "expected null, a number, \"hype\" or \"hype A\"";
  if (text.rfind("hype", 0) != 0) fail("{}: '{}' = '{}': {}", f.source(), key, text, usage);
  out.kind = LogitsScaling::Kind::hype;
  out.value = kDefaultHypeA;
  std::string rest = text.substr(4);
  size_t start = rest.find_first_not_of(' ');
  if (start == std::string::npos) return out;
  if (start == 0) fail("{}: '{}' = '{}': {}", f.source(), key, text, usage);
  rest = rest.substr(start);
  char* end = nullptr;
  out.value = std::strtod(rest.c_str(), &end);
  if (end != rest.c_str() + rest.size() || !std::isfinite(out.value)) {
    fail("{}: '{}' = '{}': {}", f.source(), key, text, usage);
  }
  // log(t + a) / log(a) needs a > 1 to be a positive, growing factor.
  if (out.value <= 1.0) fail("{}: '{}' = '{}': a must be greater than 1", f.source(), key, text);
  return out;
}

LightningScale parse_lightning_scale(const Fields& f) {
  std::optional<std::string> s = f.opt_string("lightning_scale");
  if (!s || *s == "1/sqrt(d)") return LightningScale::inv_sqrt_d;
  if (*s == "1/d") return LightningScale::inv_d;
  if (*s == "1") return LightningScale::one;
  fail("{}: 'lightning_scale' = '{}' is not one of \"1/sqrt(d)\", \"1/d\", \"1\"", f.source(), *s);
}

const char* lightning_scale_name(LightningScale scale) {
  switch (scale) {
    case LightningScale::inv_sqrt_d:
      return "1/sqrt(d)";
    case LightningScale::inv_d:
      return "1/d";
    case LightningScale::one:
      return "1";
  }
  return "?";
}

void parse_mixer_types(const Fields& f, ModelConfig& cfg) {
  const json* v = f.find("mixer_types");
  if (v != nullptr && !v->is_array()) f.bad("mixer_types", "a list of mixer names");
  if (v == nullptr || v->empty()) {
    cfg.mixer_types.assign(size_t(cfg.num_layers), MixerKind::attention);
    return;
  }
  if (v->size() != size_t(cfg.num_layers)) {
    fail("{}: 'mixer_types' has {} entries but num_hidden_layers is {}", f.source(), v->size(),
         cfg.num_layers);
  }
  for (size_t i = 0; i < v->size(); ++i) {
    const std::string where = fmt::format("{}: mixer_types[{}]", f.source(), i);
    if (!(*v)[i].is_string()) fail("{}: must be a string, got {}", where, (*v)[i].type_name());
    cfg.mixer_types.push_back(parse_mixer_kind((*v)[i].get<std::string>(), where));
  }
}

}  // namespace

MixerKind parse_mixer_kind(const std::string& name, const std::string& where) {
  if (name == "attn") return MixerKind::attention;
  if (name == "lightning-attn" || name == "lightning_attn") return MixerKind::lightning;
  fail("{}: unknown mixer type '{}' (expected \"attn\" or \"lightning-attn\")", where, name);
}

const char* mixer_kind_name(MixerKind kind) {
  return kind == MixerKind::attention ? "attn" : "lightning-attn";
}

ModelConfig parse_model_config(const nlohmann::json& object, const std::string& source) {
  if (!object.is_object()) fail("{}: not a JSON object", source);
  Fields f(object, source);
  ModelConfig cfg;
  cfg.raw = object;
  cfg.model_type = f.opt_string("model_type").value_or("");
  cfg.hidden_size = f.required_positive("hidden_size");
  cfg.intermediate_size = f.required_positive("intermediate_size");
  cfg.num_layers = f.required_positive("num_hidden_layers");
  // Per-layer tables are sized by it before any weight is seen: 2^31-1 layers (found by the fuzz
  // driver) allocated gigabytes. The deepest released Transformers have a few hundred layers.
  constexpr int kMaxLayers = 4096;
  if (cfg.num_layers > kMaxLayers) {
    fail("{}: num_hidden_layers {} is more than {}; no such model exists", source, cfg.num_layers, kMaxLayers);
  }
  cfg.num_heads = f.required_positive("num_attention_heads");
  cfg.num_kv_heads = f.opt_positive("num_key_value_heads").value_or(cfg.num_heads);
  if (cfg.num_heads % cfg.num_kv_heads != 0) {
    fail("{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", source,
         cfg.num_heads, cfg.num_kv_heads);
  }
  if (std::optional<int> head_dim = f.opt_positive("head_dim")) {
    cfg.head_dim = *head_dim;
  } else if (cfg.hidden_size % cfg.num_heads == 0) {
    cfg.head_dim = cfg.hidden_size / cfg.num_heads;
  } else {
    fail("{}: 'head_dim' is absent and hidden_size {} is not a multiple of num_attention_heads {}",
         source, cfg.hidden_size, cfg.num_heads);
  }
  cfg.vocab_size = f.required_positive("vocab_size");
  cfg.rms_norm_eps = f.opt_number("rms_norm_eps").value_or(cfg.rms_norm_eps);
  if (!(cfg.rms_norm_eps > 0.0)) fail("{}: 'rms_norm_eps' must be positive", source);
  cfg.tie_word_embeddings = f.opt_bool("tie_word_embeddings", false);
  if (std::optional<int64_t> max_pos = f.opt_int("max_position_embeddings", 1)) {
    cfg.max_position_embeddings = *max_pos;
  }
  if (const json* eos = f.find("eos_token_id")) {
    auto add = [&](const json& id) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
          id.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
        fail("{}: 'eos_token_id' must be a token id or a list of token ids", source);
      }
      cfg.eos_token_ids.push_back(int32_t(id.get<int64_t>()));
    };
    if (eos->is_array()) {
      for (const json& id : *eos) add(id);
    } else {
      add(*eos);
    }
  }
  if (std::optional<int64_t> bos = f.opt_int("bos_token_id", 0)) cfg.bos_token_id = int32_t(*bos);
  // transformers 5 renamed torch_dtype to dtype.
  cfg.torch_dtype = f.opt_string("torch_dtype").value_or(f.opt_string("dtype").value_or(""));

  // Features of the Qwen3 family that this implementation does not have: refuse rather than
  // compute something else.
  if (std::optional<std::string> act = f.opt_string("hidden_act"); act && *act != "silu") {
    fail("{}: hidden_act '{}' is not supported (only silu)", source, *act);
  }
  if (f.opt_bool("attention_bias", false)) fail("{}: attention_bias true is not supported", source);
  if (f.opt_bool("use_sliding_window", false)) {
    fail("{}: use_sliding_window true is not supported", source);
  }

  if (const json* params = f.find("rope_parameters")) {
    check_rope_type(f, "rope_parameters");
    Fields inner(*params, source);
    cfg.rope_theta = inner.opt_number("rope_theta")
                         .value_or(f.opt_number("rope_theta").value_or(cfg.rope_theta));
  } else {
    check_rope_type(f, "rope_scaling");
    cfg.rope_theta = f.opt_number("rope_theta").value_or(cfg.rope_theta);
  }
  if (!(cfg.rope_theta > 0.0)) fail("{}: 'rope_theta' must be positive", source);

  parse_mixer_types(f, cfg);
  LightningConfig& l = cfg.lightning;
  l.num_heads = f.opt_positive("lightning_nh").value_or(cfg.num_heads);
  l.num_kv_heads = f.opt_positive("lightning_nkv").value_or(cfg.num_kv_heads);
  l.head_dim = f.opt_positive("lightning_head_dim").value_or(cfg.head_dim);
  if (l.num_heads % l.num_kv_heads != 0) {
    fail("{}: lightning_nh {} is not a multiple of lightning_nkv {}", source, l.num_heads,
         l.num_kv_heads);
  }
  l.use_qk_norm = f.opt_bool("lightning_use_qk_norm", l.use_qk_norm);
  l.use_output_gate = f.opt_bool("lightning_use_output_gate", l.use_output_gate);
  l.use_output_norm = f.opt_bool("lightning_use_output_norm", l.use_output_norm);
  l.use_rope = f.opt_bool("lightning_use_rope", l.use_rope);
  l.use_short_conv = f.opt_bool("lightning_use_short_conv", l.use_short_conv);
  l.conv_size = f.opt_positive("lightning_conv_size").value_or(l.conv_size);
  l.scale = parse_lightning_scale(f);
  cfg.expand_kv_proj = f.opt_bool("expand_kv_proj", cfg.expand_kv_proj);
  cfg.attn_use_rope = f.opt_bool("attn_use_rope", cfg.attn_use_rope);
  cfg.attn_use_output_gate = f.opt_bool("attn_use_output_gate", cfg.attn_use_output_gate);
  cfg.attn_logits_scaling = parse_logits_scaling(f);
  return cfg;
}

ModelConfig load_model_config(const std::filesystem::path& config_json) {
  json object;
  const std::string text = read_file(config_json);
  check_json_nesting(text, config_json.string());
  try {
    object = json::parse(text);
  } catch (const json::exception& e) {
    fail("{}: not valid JSON: {}", config_json.string(), e.what());
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory while parsing it", config_json.string());
  }
  return parse_model_config(object, config_json.string());
}

nlohmann::json model_config_to_json(const ModelConfig& config) {
  json out = config.raw.is_object() ? config.raw : json::object();
  bool any_lightning = false;
  json mixers = json::array();
  for (MixerKind kind : config.mixer_types) {
    mixers.push_back(mixer_kind_name(kind));
    any_lightning = any_lightning || kind == MixerKind::lightning;
  }
  if (any_lightning) {
    out["model_type"] = "hypenet";
  } else if (!config.model_type.empty()) {
    out["model_type"] = config.model_type;
  }
  out["hidden_size"] = config.hidden_size;
  out["intermediate_size"] = config.intermediate_size;
  out["num_hidden_layers"] = config.num_layers;
  out["num_attention_heads"] = config.num_heads;
  out["num_key_value_heads"] = config.num_kv_heads;
  out["head_dim"] = config.head_dim;
  out["vocab_size"] = config.vocab_size;
  out["rms_norm_eps"] = config.rms_norm_eps;
  out["tie_word_embeddings"] = config.tie_word_embeddings;
  out["max_position_embeddings"] = config.max_position_embeddings;
  if (out.contains("rope_parameters") && out["rope_parameters"].is_object()) {
    out["rope_parameters"]["rope_theta"] = config.rope_theta;
  } else {
    out["rope_theta"] = config.rope_theta;
  }
  if (config.eos_token_ids.size() == 1) {
    out["eos_token_id"] = config.eos_token_ids[0];
  } else if (!config.eos_token_ids.empty()) {
    out["eos_token_id"] = config.eos_token_ids;
  }
  if (config.bos_token_id) out["bos_token_id"] = *config.bos_token_id;

  out["mixer_types"] = mixers;
  const LightningConfig& l = config.lightning;
  out["lightning_nh"] = l.num_heads;
  out["lightning_nkv"] = l.num_kv_heads;
  out["lightning_head_dim"] = l.head_dim;
  out["lightning_use_qk_norm"] = l.use_qk_norm;
  out["lightning_use_output_gate"] = l.use_output_gate;
  out["lightning_use_output_norm"] = l.use_output_norm;
  out["lightning_use_rope"] = l.use_rope;
  out["lightning_use_short_conv"] = l.use_short_conv;
  out["lightning_conv_size"] = l.conv_size;
  out["lightning_scale"] = lightning_scale_name(l.scale);
  out["expand_kv_proj"] = config.expand_kv_proj;
  out["attn_use_rope"] = config.attn_use_rope;
  out["attn_use_output_gate"] = config.attn_use_output_gate;
  switch (config.attn_logits_scaling.kind) {
    case LogitsScaling::Kind::none:
      out["attn_logits_scaling"] = nullptr;
      break;
    case LogitsScaling::Kind::constant:
      out["attn_logits_scaling"] = config.attn_logits_scaling.value;
      break;
    case LogitsScaling::Kind::hype:
      out["attn_logits_scaling"] = fmt::format("hype {}", config.attn_logits_scaling.value);
      break;
  }
  return out;
}

}  // namespace halo::io
