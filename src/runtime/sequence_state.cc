#include "runtime/sequence_state.h"

#include <algorithm>

namespace halo::runtime {

SequenceState::SequenceState(backend::Backend& backend, const model::Model& model,
                             const model::Variant& variant, int64_t capacity)
    : backend_(&backend), model_(&model), variant_(variant), capacity_(std::max<int64_t>(capacity, 1)) {
  model.check_variant(variant);
  layers_.resize(size_t(model.num_layers()));
  for (int i = 0; i < model.num_layers(); ++i) {
    const model::Layer& layer = model.layer(i, variant);
    const auto& s = layer.shape;
    if (layer.weights.kind == io::MixerKind::attention) {
      layers_[size_t(i)].k_cache = backend.alloc(capacity_, int64_t(s.kv_heads) * s.head_dim);
      layers_[size_t(i)].v_cache = backend.alloc(capacity_, int64_t(s.kv_heads) * s.head_dim);
    } else {
      layers_[size_t(i)].lightning = backend.alloc(s.heads, int64_t(s.head_dim) * s.head_dim);
    }
  }
}

void SequenceState::reserve(int64_t extra) {
  if (length_ + extra <= capacity_) return;
  int64_t capacity = std::max(length_ + extra, capacity_ * 2);
  for (LayerState& state : layers_) {
    if (state.k_cache.empty()) continue;
    for (backend::Tensor* cache : {&state.k_cache, &state.v_cache}) {
      backend::Tensor grown = backend_->alloc(capacity, cache->cols());
      backend::Tensor head = grown.rows_view(0, length_);
      backend_->copy(cache->rows_view(0, length_), head);
      *cache = grown;
    }
  }
  capacity_ = capacity;
}

SequenceState::Checkpoint SequenceState::save() const {
  Checkpoint checkpoint;
  checkpoint.length = length_;
  for (const LayerState& state : layers_) {
    if (state.lightning.empty()) continue;
    backend::Tensor copy = backend_->alloc(state.lightning.rows(), state.lightning.cols());
    backend_->copy(state.lightning, copy);
    checkpoint.lightning.push_back(copy);
  }
  return checkpoint;
}

void SequenceState::restore(const Checkpoint& checkpoint) {
  length_ = checkpoint.length;
  size_t next = 0;
  for (LayerState& state : layers_) {
    if (state.lightning.empty()) continue;
    backend_->copy(checkpoint.lightning[next++], state.lightning);
  }
}

}  // namespace halo::runtime
