// Per-sequence decoding state: a KV cache for every attention layer and the d×d state S per head
// for every lightning layer. Lightning layers carry nothing else, which is why hybrids decode in
// constant memory there.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"

namespace halo::runtime {

struct LayerState {
  backend::Tensor k_cache, v_cache;  // attention: [capacity, kv_heads*head_dim]
  backend::Tensor lightning;         // lightning: [heads, head_dim²]
};

class SequenceState {
 public:
  SequenceState(backend::Backend& backend, const model::Model& model, const model::Variant& variant,
                int64_t capacity);

  int64_t length() const { return length_; }
  const model::Variant& variant() const { return variant_; }
  LayerState& layer(int i) { return layers_[size_t(i)]; }

  // Makes room for `extra` more tokens, growing KV caches (doubling) when needed.
  void reserve(int64_t extra);
  void advance(int64_t tokens) { length_ += tokens; }

  // An independent copy holding room for `capacity` tokens: the KV rows so far and the lightning
  // states. Continuations of one context each continue from a fork of the context's state, so the
  // context is encoded once and the continuations run side by side in one packed batch.
  SequenceState fork(int64_t capacity) const;

 private:
  backend::Backend* backend_;
  const model::Model* model_;
  model::Variant variant_;
  int64_t capacity_ = 0;
  int64_t length_ = 0;
  std::vector<LayerState> layers_;
};

}  // namespace halo::runtime
