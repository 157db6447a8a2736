// Weights of one decoder layer, uploaded to a backend. A layer is either softmax attention (the
// model's own Qwen3/HypeNet layer) or lightning attention (a Stage-1 RNN layer, or a layer of an
// already converted HypeNet model); both carry their norms and MLP.
#pragma once

#include <string>

#include "backend/backend.h"
#include "io/model_config.h"
#include "io/safetensors.h"

namespace halo::model {

using backend::Tensor;

struct MlpWeights {
  Tensor input_norm;  // [1, hidden]
  Tensor post_norm;   // [1, hidden]
  Tensor gate, up;    // [intermediate, hidden]
  Tensor down;        // [hidden, intermediate]
};

struct AttentionWeights {
  Tensor q, k, v, o;
  Tensor q_norm, k_norm;  // [1, head_dim]
  Tensor o_gate;          // empty unless attn_use_output_gate
};

struct LightningWeights {
  Tensor q, k, v, o;
  Tensor q_norm, k_norm;  // empty unless lightning_use_qk_norm
  Tensor o_norm;          // empty unless lightning_use_output_norm ([1, heads*head_dim])
  Tensor z;               // empty unless lightning_use_output_gate
};

struct DecoderLayerWeights {
  io::MixerKind kind = io::MixerKind::attention;
  MlpWeights mlp;
  AttentionWeights attention;  // when kind == attention
  LightningWeights lightning;  // when kind == lightning
};

// Loads layer `index` (keys "model.layers.{index}.*") of `kind` from `store`, checking every
// shape against `config` and that the optional tensors present agree with the config's flags
// (io::check_decoder_layer, before anything is uploaded). Any disagreement is a one-line
// halo::Error naming the file and the key.
DecoderLayerWeights load_decoder_layer(backend::Backend& backend, const io::TensorStore& store,
                                       const io::ModelConfig& config, int index,
                                       io::MixerKind kind);

// Uploads a named tensor after checking its shape ([rows, cols], or [cols] when rows == 0).
Tensor load_tensor(backend::Backend& backend, const io::TensorStore& store, const std::string& key,
                   int64_t rows, int64_t cols);

}  // namespace halo::model
