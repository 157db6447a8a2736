#include "model/layer_weights.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

#include "base/error.h"
#include "io/model_shapes.h"

namespace halo::model {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

// Uploads a tensor whose shape io::check_decoder_layer has already checked: [n] as one row.
Tensor upload(backend::Backend& backend, const io::TensorStore& store, const std::string& key) {
  const io::TensorView& view = store.get(key);
  const int64_t rows = view.shape.size() == 2 ? view.shape[0] : 1;
  return backend.upload(view.to_float(), rows, view.shape.back());
}

// An optional tensor, present exactly when its flag is on (checked).
Tensor upload_optional(backend::Backend& backend, const io::TensorStore& store, const std::string& key) {
  return store.find(key) != nullptr ? upload(backend, store, key) : Tensor();
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
  // Shapes, flags and unknown keys, before anything is uploaded.
  io::check_decoder_layer(store, config, index, kind);
  const std::string p = fmt::format("model.layers.{}.", index);
  auto get = [&](const std::string& key) { return upload(backend, store, p + key); };
  auto optional = [&](const std::string& key) { return upload_optional(backend, store, p + key); };
  DecoderLayerWeights layer;
  layer.kind = kind;
  MlpWeights& mlp = layer.mlp;
  mlp.input_norm = get("input_layernorm.weight");
  mlp.post_norm = get("post_attention_layernorm.weight");
  mlp.gate = get("mlp.gate_proj.weight");
  mlp.up = get("mlp.up_proj.weight");
  mlp.down = get("mlp.down_proj.weight");
  if (kind == io::MixerKind::attention) {
    AttentionWeights& w = layer.attention;
    w.q = get("self_attn.q_proj.weight");
    w.k = get("self_attn.k_proj.weight");
    w.v = get("self_attn.v_proj.weight");
    w.o = get("self_attn.o_proj.weight");
    w.q_norm = get("self_attn.q_norm.weight");
    w.k_norm = get("self_attn.k_norm.weight");
    w.o_gate = optional("self_attn.o_gate.weight");
    return layer;
  }
  LightningWeights& w = layer.lightning;
  w.q = get("self_attn.q_proj.weight");
  w.k = get("self_attn.k_proj.weight");
  w.v = get("self_attn.v_proj.weight");
  w.o = get("self_attn.o_proj.weight");
  w.q_norm = optional("self_attn.q_norm.weight");
  w.k_norm = optional("self_attn.k_norm.weight");
  w.o_norm = optional("self_attn.o_norm.weight");
  w.z = optional("self_attn.z_proj.weight");
  return layer;
}

}  // namespace halo::model
