#include "io/model_shapes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>
#include <string>
#include <vector>

#include "base/error.h"

namespace halo::io {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// Where a key lives, for messages: the file holding it, else the store's source.
std::string location(const TensorStore& store, const std::string& key) {
  if (const TensorView* view = store.find(key)) return view->file.string();
  return store.source().string();
}

void check_shape(const TensorStore& store, const std::string& key, const std::vector<int64_t>& expected) {
  const TensorView& view = store.get(key);
  if (view.shape != expected) {
    fail("{}: '{}' has shape {}, the config expects {}", view.file.string(), key, shape_text(view.shape),
         shape_text(expected));
  }
}

// An optional tensor must be present exactly when its config flag is on.
void check_optional(const TensorStore& store, const std::string& key, bool flag_on, const char* flag,
                    const std::vector<int64_t>& expected) {
  const bool present = store.find(key) != nullptr;
  if (present && !flag_on) {
    fail("{}: key '{}' is present but {} is false in the config", location(store, key), key, flag);
  }
  if (!present && flag_on) {
    fail("{}: key '{}' is missing but {} is true in the config", location(store, key), key, flag);
  }
  if (flag_on) check_shape(store, key, expected);
}

// Every key of the mixer must be one the runtime uses: anything else (a short convolution, a bias)
// would otherwise be silently ignored and the numbers would be wrong.
void reject_unknown_mixer_keys(const TensorStore& store, const std::string& prefix,
                               const std::set<std::string>& known) {
  for (const std::string& name : store.names()) {
    if (name.rfind(prefix, 0) != 0) continue;
    if (!known.count(name.substr(prefix.size()))) {
      fail("{}: key '{}' is not part of this mixer (unsupported parameter)", location(store, name), name);
    }
  }
}

}  // namespace

void check_decoder_layer(const TensorStore& store, const ModelConfig& config, int index, MixerKind kind) {
  const std::string p = fmt::format("model.layers.{}.", index);
  const int64_t hidden = config.hidden_size, intermediate = config.intermediate_size;
  check_shape(store, p + "input_layernorm.weight", {hidden});
  check_shape(store, p + "post_attention_layernorm.weight", {hidden});
  check_shape(store, p + "mlp.gate_proj.weight", {intermediate, hidden});
  check_shape(store, p + "mlp.up_proj.weight", {intermediate, hidden});
  check_shape(store, p + "mlp.down_proj.weight", {hidden, intermediate});

  const std::string a = p + "self_attn.";
  if (kind == MixerKind::attention) {
    const int64_t hd = config.head_dim;
    const int64_t q_out = int64_t(config.num_heads) * hd, kv_out = int64_t(config.num_kv_heads) * hd;
    check_shape(store, a + "q_proj.weight", {q_out, hidden});
    check_shape(store, a + "k_proj.weight", {kv_out, hidden});
    check_shape(store, a + "v_proj.weight", {kv_out, hidden});
    check_shape(store, a + "o_proj.weight", {hidden, q_out});
    check_shape(store, a + "q_norm.weight", {hd});
    check_shape(store, a + "k_norm.weight", {hd});
    check_optional(store, a + "o_gate.weight", config.attn_use_output_gate, "attn_use_output_gate", {q_out, hidden});
    reject_unknown_mixer_keys(store, a,
                              {"q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight", "q_norm.weight",
                               "k_norm.weight", "o_gate.weight"});
    return;
  }

  const LightningConfig& lc = config.lightning;
  if (lc.use_short_conv) {
    fail("layer {}: lightning_use_short_conv is true; short convolutions are not supported yet", index);
  }
  const int64_t hd = lc.head_dim;
  const int64_t kv_heads = config.expand_kv_proj ? lc.num_heads : lc.num_kv_heads;
  const int64_t q_out = int64_t(lc.num_heads) * hd, kv_out = kv_heads * hd;
  check_shape(store, a + "q_proj.weight", {q_out, hidden});
  check_shape(store, a + "k_proj.weight", {kv_out, hidden});
  check_shape(store, a + "v_proj.weight", {kv_out, hidden});
  check_shape(store, a + "o_proj.weight", {hidden, q_out});
  check_optional(store, a + "q_norm.weight", lc.use_qk_norm, "lightning_use_qk_norm", {hd});
  check_optional(store, a + "k_norm.weight", lc.use_qk_norm, "lightning_use_qk_norm", {hd});
  check_optional(store, a + "o_norm.weight", lc.use_output_norm, "lightning_use_output_norm", {q_out});
  check_optional(store, a + "z_proj.weight", lc.use_output_gate, "lightning_use_output_gate", {q_out, hidden});
  reject_unknown_mixer_keys(store, a,
                            {"q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight", "q_norm.weight",
                             "k_norm.weight", "o_norm.weight", "z_proj.weight"});
}

void check_model_tensors(const TensorStore& store, const ModelConfig& config) {
  const int64_t vocab = config.vocab_size, hidden = config.hidden_size;
  check_shape(store, "model.embed_tokens.weight", {vocab, hidden});
  check_shape(store, "model.norm.weight", {hidden});
  if (!config.tie_word_embeddings) check_shape(store, "lm_head.weight", {vocab, hidden});
  for (int i = 0; i < config.num_layers; ++i) check_decoder_layer(store, config, i, config.mixer_types[size_t(i)]);
}

}  // namespace halo::io
