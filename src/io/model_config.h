// Model configuration: HF Qwen3 config.json (both the published layout with top-level rope_theta
// and the transformers-5 layout with rope_parameters) plus the HypeNet fields that describe the
// lightning-attention mixer and attention variants.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace halo::io {

enum class MixerKind { attention, lightning };

// "attn" → attention; "lightning-attn" / "lightning_attn" → lightning; anything else is an error.
MixerKind parse_mixer_kind(const std::string& name, const std::string& where);
const char* mixer_kind_name(MixerKind kind);  // "attn" / "lightning-attn"

enum class LightningScale { inv_sqrt_d, inv_d, one };  // "1/sqrt(d)", "1/d", "1"

struct LightningConfig {
  int num_heads = 0;     // lightning_nh (default num_attention_heads)
  int num_kv_heads = 0;  // lightning_nkv (default num_key_value_heads)
  int head_dim = 0;      // lightning_head_dim (default head_dim)
  bool use_qk_norm = false;
  bool use_output_gate = false;
  bool use_output_norm = false;
  bool use_rope = true;
  bool use_short_conv = false;
  int conv_size = 4;
  LightningScale scale = LightningScale::inv_sqrt_d;
};

// attn_logits_scaling: none, a constant factor on q, or "hype [a]" (q at position t scaled by
// log(t + a) / log(a), a defaulting to 362 as in HypeNet's modeling code).
struct LogitsScaling {
  enum class Kind { none, constant, hype } kind = Kind::none;
  double value = 1.0;  // the factor (constant) or a (hype)
};

struct ModelConfig {
  std::string model_type;  // "qwen3", "hypenet", ...
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  int vocab_size = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  bool tie_word_embeddings = false;
  int64_t max_position_embeddings = 32768;
  std::vector<int32_t> eos_token_ids;  // from eos_token_id (int or list); may be empty
  std::optional<int32_t> bos_token_id;
  std::string torch_dtype;  // as written ("bfloat16", ...); informational

  // HypeNet fields. mixer_types is always num_layers long after parsing (all attention when absent).
  std::vector<MixerKind> mixer_types;
  LightningConfig lightning;
  bool expand_kv_proj = false;
  bool attn_use_rope = true;
  bool attn_use_output_gate = false;
  LogitsScaling attn_logits_scaling;

  nlohmann::json raw;  // the parsed file, kept so `convert` can write it back with changes
};

// Parses a config object; `source` (a file name) prefixes every error message.
// Errors: missing/ill-typed required keys, unknown rope_scaling types, inconsistent shapes
// (num_heads % num_kv_heads != 0, mixer_types of the wrong length, unknown mixer names).
ModelConfig parse_model_config(const nlohmann::json& json, const std::string& source);
ModelConfig load_model_config(const std::filesystem::path& config_json);

// Writes the config back as HF/HypeNet JSON (used by `convert`): raw fields kept, HypeNet fields
// and mixer_types set from `config`.
nlohmann::json model_config_to_json(const ModelConfig& config);

}  // namespace halo::io
