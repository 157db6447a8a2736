// Per-sequence decoding state: a KV cache for every attention layer and the d×d state S per head
// for every lightning layer. Lightning layers carry nothing else, which is why hybrids decode in
// constant memory there. A state may hold only a range of layers: a variant that starts from the
// original model's residual stream at its first converted layer L never touches the layers below L
// (runtime/variant_set_runner.h), so it does not pay for their caches.
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
  // Holds layers [held_begin, held_end) (default: every layer).
  SequenceState(backend::Backend& backend, const model::Model& model, const model::Variant& variant,
                int64_t capacity, int held_begin = 0, int held_end = -1);

  int64_t length() const { return length_; }
  const model::Variant& variant() const { return variant_; }
  LayerState& layer(int i) { return layers_[size_t(i)]; }
  const LayerState& layer(int i) const { return layers_[size_t(i)]; }
  int held_begin() const { return held_begin_; }
  int held_end() const { return held_end_; }
  bool holds(int begin, int end) const { return begin >= held_begin_ && end <= held_end_; }

  // Makes room for `extra` more tokens, growing KV caches (doubling) when needed.
  void reserve(int64_t extra);
  void advance(int64_t tokens) { length_ += tokens; }

  // An independent copy holding room for `capacity` tokens: the KV rows so far and the lightning
  // states. Continuations of one context each continue from a fork of the context's state, so the
  // context is encoded once and the continuations run side by side in one packed batch.
  SequenceState fork(int64_t capacity) const;

  // A state of `variant` (empty, every layer held) whose attention layers' caches are `from`'s own
  // buffers, not copies; its lightning layers get states of their own (a copy of `from`'s where
  // `from` has a lightning layer too). `from` must hold every layer, be attention wherever
  // `variant` is, and be at length 0; it must not grow while lent. Layer-prefix reuse lends the
  // base pass's caches this way: below the variant's first converted layer they hold the prompt's
  // keys and values already, and above it they are not filled yet, so the variant may write there
  // (variant_set_runner.cc). Every reader reads only the prompt rows the lender wrote plus rows it
  // wrote itself.
  static SequenceState borrowing(SequenceState& from, const model::Variant& variant);

  // Adds to `src`/`dst` the copies that give this (empty) state's layers [begin, end) the content
  // of `from`'s (KV rows [0, from.length()) or lightning state), for one batched copy_many. The
  // length stays as it is: the pass that then fills the layers above for the same tokens advances it.
  void append_copy_from(const SequenceState& from, int begin, int end, std::vector<backend::Tensor>& src,
                        std::vector<backend::Tensor>& dst);

 private:
  backend::Backend* backend_;
  const model::Model* model_;
  model::Variant variant_;
  int64_t capacity_ = 0;
  int64_t length_ = 0;
  int held_begin_ = 0, held_end_ = 0;
  std::vector<LayerState> layers_;
};

}  // namespace halo::runtime
