#include "model/layer_weights.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>
#include <vector>

#include "base/error.h"

namespace halo::model {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

// Where a key lives, for messages: the file holding it, else the store's source.
std::string location(const io::TensorStore& store, const std::string& key) {
  if (const io::TensorView* view = store.find(key)) return view->file.string();
  return store.source().string();
}

// An optional tensor must be present exactly when its config flag is on.
Tensor load_optional(backend::Backend& backend, const io::TensorStore& store,
                     const std::string& key, bool flag_on, const char* flag, int64_t rows,
                     int64_t cols) {
  bool present = store.find(key) != nullptr;
  if (present && !flag_on) {
    fail("{}: key '{}' is present but {} is false in the config", location(store, key), key, flag);
  }
  if (!present && flag_on) {
    fail("{}: key '{}' is missing but {} is true in the config", location(store, key), key, flag);
  }
  return flag_on ? load_tensor(backend, store, key, rows, cols) : Tensor();
}

// Every key of the mixer must be one we load: anything else (a short convolution, a bias) would
// otherwise be silently ignored and the numbers would be wrong.
void reject_unknown_mixer_keys(const io::TensorStore& store, const std::string& prefix,
                               const std::set<std::string>& known) {
  for (const std::string& name : store.names()) {
    if (name.rfind(prefix, 0) != 0) continue;
    std::string rest = name.substr(prefix.size());
    if (!known.count(rest)) {
      fail("{}: key '{}' is not part of this mixer (unsupported parameter)", location(store, name),
           name);
    }
  }
}

}  // namespace

Tensor load_tensor(backend::Backend& backend, const io::TensorStore& store, const std::string& key,
                   int64_t rows, int64_t cols) {
  const io::TensorView& view = store.get(key);
  std::vector<int64_t> expected = rows == 0 ? std::vector<int64_t>{cols} : std::vector<int64_t>{rows, cols};
  if (view.shape != expected) {
    fail("{}: '{}' has shape {}, the config expects {}", view.file.string(), key,
         shape_text(view.shape), shape_text(expected));
  }
  std::vector<float> values = view.to_float();
  return backend.upload(values, rows == 0 ? 1 : rows, cols);
}

DecoderLayerWeights load_decoder_layer(backend::Backend& backend, const io::TensorStore& store,
                                       const io::ModelConfig& config, int index,
                                       io::MixerKind kind) {
  const std::string p = fmt::format("model.layers.{}.", index);
  const int64_t hidden = config.hidden_size;
  DecoderLayerWeights layer;
  layer.kind = kind;
  MlpWeights& mlp = layer.mlp;
  mlp.input_norm = load_tensor(backend, store, p + "input_layernorm.weight", 0, hidden);
  mlp.post_norm = load_tensor(backend, store, p + "post_attention_layernorm.weight", 0, hidden);
  mlp.gate = load_tensor(backend, store, p + "mlp.gate_proj.weight", config.intermediate_size, hidden);
  mlp.up = load_tensor(backend, store, p + "mlp.up_proj.weight", config.intermediate_size, hidden);
  mlp.down = load_tensor(backend, store, p + "mlp.down_proj.weight", hidden, config.intermediate_size);

  const std::string a = p + "self_attn.";
  if (kind == io::MixerKind::attention) {
    const int64_t hd = config.head_dim;
    const int64_t q_out = config.num_heads * hd, kv_out = config.num_kv_heads * hd;
    AttentionWeights& w = layer.attention;
    w.q = load_tensor(backend, store, a + "q_proj.weight", q_out, hidden);
    w.k = load_tensor(backend, store, a + "k_proj.weight", kv_out, hidden);
    w.v = load_tensor(backend, store, a + "v_proj.weight", kv_out, hidden);
    w.o = load_tensor(backend, store, a + "o_proj.weight", hidden, q_out);
    w.q_norm = load_tensor(backend, store, a + "q_norm.weight", 0, hd);
    w.k_norm = load_tensor(backend, store, a + "k_norm.weight", 0, hd);
    w.o_gate = load_optional(backend, store, a + "o_gate.weight", config.attn_use_output_gate,
                             "attn_use_output_gate", q_out, hidden);
    reject_unknown_mixer_keys(store, a,
                              {"q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight",
                               "q_norm.weight", "k_norm.weight", "o_gate.weight"});
    return layer;
  }

  const io::LightningConfig& lc = config.lightning;
  if (lc.use_short_conv) {
    fail("layer {}: lightning_use_short_conv is true; short convolutions are not supported yet",
         index);
  }
  const int64_t hd = lc.head_dim;
  const int64_t kv_heads = config.expand_kv_proj ? lc.num_heads : lc.num_kv_heads;
  const int64_t q_out = lc.num_heads * hd, kv_out = kv_heads * hd;
  LightningWeights& w = layer.lightning;
  w.q = load_tensor(backend, store, a + "q_proj.weight", q_out, hidden);
  w.k = load_tensor(backend, store, a + "k_proj.weight", kv_out, hidden);
  w.v = load_tensor(backend, store, a + "v_proj.weight", kv_out, hidden);
  w.o = load_tensor(backend, store, a + "o_proj.weight", hidden, q_out);
  w.q_norm = load_optional(backend, store, a + "q_norm.weight", lc.use_qk_norm,
                           "lightning_use_qk_norm", 0, hd);
  w.k_norm = load_optional(backend, store, a + "k_norm.weight", lc.use_qk_norm,
                           "lightning_use_qk_norm", 0, hd);
  w.o_norm = load_optional(backend, store, a + "o_norm.weight", lc.use_output_norm,
                           "lightning_use_output_norm", 0, q_out);
  w.z = load_optional(backend, store, a + "z_proj.weight", lc.use_output_gate,
                      "lightning_use_output_gate", q_out, hidden);
  reject_unknown_mixer_keys(store, a,
                            {"q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight",
                             "q_norm.weight", "k_norm.weight", "o_norm.weight", "z_proj.weight"});
  return layer;
}

}  // namespace halo::model
