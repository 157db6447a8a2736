// What a config says the weights must look like, checked against the safetensors headers alone:
// every tensor's key and shape for the embeddings, the LM head and each decoder layer (softmax
// attention or lightning mixer), as HF's loaders refuse a checkpoint whose shapes disagree with its
// config. No weight is read, so `info` checks as much as loading a model does, instantly.
#pragma once

#include "io/model_config.h"
#include "io/safetensors.h"

namespace halo::io {

// Decoder layer `index` ("model.layers.{index}.*") as a `kind` mixer: the norms and MLP, the
// mixer's projections with the config's shapes, its optional tensors (q/k norms, output norm,
// gates) present exactly when their config flag is on, and no other key under the mixer
// ("self_attn."), which would otherwise be silently ignored. One-line errors name the file holding
// the key (or the store) and the key.
void check_decoder_layer(const TensorStore& store, const ModelConfig& config, int index, MixerKind kind);

// The embeddings [vocab, hidden], the final norm [hidden], the LM head [vocab, hidden] unless the
// embeddings are tied, and every layer with the mixer that config.mixer_types names.
void check_model_tensors(const TensorStore& store, const ModelConfig& config);

}  // namespace halo::io
