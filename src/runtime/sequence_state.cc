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
      layers_[size_t(i)].lightning = backend.alloc_state(s.heads, int64_t(s.head_dim) * s.head_dim);
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

SequenceState SequenceState::fork(int64_t capacity) const {
  SequenceState copy(*backend_, *model_, variant_, std::max(capacity, length_));
  // Every layer's cached rows and states, copied in one backend call.
  std::vector<backend::Tensor> src, dst;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const LayerState& from = layers_[i];
    LayerState& to = copy.layers_[i];
    if (!from.k_cache.empty()) {
      src.push_back(from.k_cache.rows_view(0, length_));
      src.push_back(from.v_cache.rows_view(0, length_));
      dst.push_back(to.k_cache.rows_view(0, length_));
      dst.push_back(to.v_cache.rows_view(0, length_));
    } else {
      src.push_back(from.lightning);
      dst.push_back(to.lightning);
    }
  }
  backend_->copy_many(src, dst);
  copy.length_ = length_;
  return copy;
}

}  // namespace halo::runtime
