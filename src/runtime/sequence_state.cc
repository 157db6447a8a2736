#include "runtime/sequence_state.h"

#include <algorithm>

#include "base/error.h"

namespace halo::runtime {

SequenceState::SequenceState(backend::Backend& backend, const model::Model& model,
                             const model::Variant& variant, int64_t capacity, int held_begin, int held_end)
    : backend_(&backend),
      model_(&model),
      variant_(variant),
      capacity_(std::max<int64_t>(capacity, 1)),
      held_begin_(held_begin),
      held_end_(held_end < 0 ? model.num_layers() : held_end) {
  model.check_variant(variant);
  if (held_begin_ < 0 || held_end_ > model.num_layers() || held_begin_ > held_end_) {
    fail("internal: a state holding layers [{}, {}) of a {}-layer model", held_begin_, held_end_,
         model.num_layers());
  }
  layers_.resize(size_t(model.num_layers()));
  // Every attention layer's K and V caches are views of one allocation when their widths agree
  // (they do in Qwen3): scoring forks a state per continuation, and one allocation instead of two
  // per layer is what keeps that cheap on the host.
  std::vector<int> attention;
  int64_t kv_cols = -1;
  bool one_width = true;
  for (int i = held_begin_; i < held_end_; ++i) {
    const model::Layer& layer = model.layer(i, variant);
    const auto& s = layer.shape;
    if (layer.weights.kind == io::MixerKind::attention) {
      const int64_t cols = int64_t(s.kv_heads) * s.head_dim;
      one_width = one_width && (kv_cols < 0 || cols == kv_cols);
      kv_cols = cols;
      attention.push_back(i);
    } else {
      layers_[size_t(i)].lightning = backend.alloc_state(s.heads, int64_t(s.head_dim) * s.head_dim);
    }
  }
  if (attention.empty()) return;
  backend::Tensor slab;
  if (one_width) slab = backend.alloc(2 * int64_t(attention.size()) * capacity_, kv_cols);
  for (size_t j = 0; j < attention.size(); ++j) {
    LayerState& state = layers_[size_t(attention[j])];
    if (one_width) {
      state.k_cache = slab.rows_view(int64_t(2 * j) * capacity_, capacity_);
      state.v_cache = slab.rows_view(int64_t(2 * j + 1) * capacity_, capacity_);
    } else {
      const auto& s = model.layer(attention[j], variant).shape;
      state.k_cache = backend.alloc(capacity_, int64_t(s.kv_heads) * s.head_dim);
      state.v_cache = backend.alloc(capacity_, int64_t(s.kv_heads) * s.head_dim);
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

SequenceState SequenceState::borrowing(SequenceState& from, const model::Variant& variant) {
  const int layers = from.model_->num_layers();
  if (!from.holds(0, layers)) fail("internal: borrowing caches from a state that holds only some layers");
  // The lender's rows 0.. are the borrower's too: a lender that has advanced would be overwritten.
  if (from.length_ != 0) fail("internal: borrowing caches from a state that already holds {} tokens", from.length_);
  SequenceState state(*from.backend_, *from.model_, variant, from.capacity_, 0, 0);  // allocates nothing
  state.held_end_ = layers;
  for (int i = 0; i < layers; ++i) {
    const model::Layer& layer = from.model_->layer(i, variant);
    LayerState& mine = state.layers_[size_t(i)];
    if (layer.weights.kind == io::MixerKind::attention) {
      const LayerState& lent = from.layers_[size_t(i)];
      if (lent.k_cache.empty()) fail("internal: layer {} has no cache to lend", i);
      mine.k_cache = lent.k_cache;
      mine.v_cache = lent.v_cache;
    } else {
      const auto& s = layer.shape;
      mine.lightning = from.backend_->alloc_state(s.heads, int64_t(s.head_dim) * s.head_dim);
      // A lightning layer of the lender itself (a hybrid checkpoint as the base model) holds what
      // the lender's pass has put in it so far: the borrower continues from a copy.
      const LayerState& lent = from.layers_[size_t(i)];
      if (!lent.lightning.empty()) from.backend_->copy(lent.lightning, mine.lightning);
    }
  }
  return state;
}

SequenceState SequenceState::fork(int64_t capacity) const {
  SequenceState copy(*backend_, *model_, variant_, std::max(capacity, length_), held_begin_, held_end_);
  // Every held layer's cached rows and states, copied in one backend call.
  std::vector<backend::Tensor> src, dst;
  copy.append_copy_from(*this, held_begin_, held_end_, src, dst);
  backend_->copy_many(src, dst);
  copy.length_ = length_;
  return copy;
}

void SequenceState::append_copy_from(const SequenceState& from, int begin, int end,
                                     std::vector<backend::Tensor>& src, std::vector<backend::Tensor>& dst) {
  if (!holds(begin, end) || !from.holds(begin, end)) {
    fail("internal: copying layers [{}, {}) between states that do not both hold them", begin, end);
  }
  reserve(from.length_ - length_);
  for (int i = begin; i < end; ++i) {
    const LayerState& a = from.layers_[size_t(i)];
    LayerState& b = layers_[size_t(i)];
    if (a.k_cache.empty() != b.k_cache.empty()) fail("internal: layer {} differs in kind between two states", i);
    if (!a.k_cache.empty()) {
      if (from.length_ == 0) continue;
      src.push_back(a.k_cache.rows_view(0, from.length_));
      src.push_back(a.v_cache.rows_view(0, from.length_));
      dst.push_back(b.k_cache.rows_view(0, from.length_));
      dst.push_back(b.v_cache.rows_view(0, from.length_));
    } else {
      src.push_back(a.lightning);
      dst.push_back(b.lightning);
    }
  }
}

}  // namespace halo::runtime
