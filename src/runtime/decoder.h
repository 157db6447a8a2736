// The decoder forward pass (docs/design.md), written once against the backend interface:
//   h = x + Mixer(RMSNorm(x));  y = h + W_down(silu(W_gate n) * W_up n),  n = RMSNorm(h).
// New tokens of one or many sequences are appended to their SequenceStates in one packed pass:
// the rows of all sequences are stacked, so every projection and the MLP is one large matrix
// product; only the mixers (attention over a sequence's own cache, the lightning recurrence)
// run per sequence. Prefill and incremental decoding are the same path.
//
// A pass may cover a range of layers [begin, end): a variant that equals the original model below
// its first converted layer L can take the original's residual stream at L's input and run only
// layers L.. (layer-prefix reuse, runtime/variant_set_runner.h). A tap sees the residual stream at
// the input of every layer of the pass, which is how that residual is kept.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"
#include "runtime/sequence_state.h"

namespace halo::runtime {

// Called with (layer, x) before `layer` runs; x holds the pass's packed rows.
using LayerInputTap = std::function<void(int layer, const backend::Tensor& x)>;

class Decoder {
 public:
  Decoder(backend::Backend& backend, const model::Model& model) : backend_(backend), model_(model) {}

  // Appends tokens[i] to *states[i] for every i (all states of one variant) and returns the
  // residual stream after the last layer (before the final norm): the rows of sequence 0, then of
  // sequence 1, and so on. Empty token lists are allowed and contribute no rows.
  backend::Tensor forward(std::span<SequenceState* const> states,
                          std::span<const std::span<const int32_t>> tokens);
  backend::Tensor forward(SequenceState& state, std::span<const int32_t> tokens);

  // The embedding rows of the packed tokens (the residual stream at layer 0's input).
  backend::Tensor embed(std::span<const std::span<const int32_t>> tokens);

  // Runs layers [begin, end) on `x`, the packed residual rows of counts[i] new tokens of *states[i]
  // at layer `begin`'s input, in place, then advances every state by its count. The states must
  // hold layers [begin, end) (SequenceState's held range); layers outside the pass are untouched,
  // so one token range may be run in several passes only if the caller advances once: pass
  // `advance = false` for every pass but the last.
  void run_layers(std::span<SequenceState* const> states, std::span<const int64_t> counts, int begin, int end,
                  backend::Tensor& x, const LayerInputTap& tap = {}, bool advance = true);

  // Final RMSNorm + LM head on the given residual rows → logits [rows, vocab].
  backend::Tensor logits(const backend::Tensor& residual);
  // Final RMSNorm + LM head + log-softmax of each residual row, read at targets[row]
  // (Backend::score_head: no [rows × vocab] logits need exist).
  std::vector<backend::TokenScore> score(const backend::Tensor& residual, std::span<const int32_t> targets);

 private:
  // Rows [begin, begin + count) of the packed batch belong to one sequence.
  struct Segment {
    SequenceState* state;
    int64_t begin, count;
  };

  struct Projected {
    backend::Tensor q, k, v;
  };
  // What both mixers start with: q, k, v projections, the per-head q/k RMSNorm when the layer has
  // one, and RoPE when the layer uses it.
  Projected project(const backend::Tensor& wq, const backend::Tensor& wk, const backend::Tensor& wv,
                    const backend::Tensor& q_norm, const backend::Tensor& k_norm, const model::Layer& layer,
                    std::span<const int64_t> positions, const backend::Tensor& n);
  // What both mixers end with: the optional sigmoid output gate (computed from n), then W_o.
  backend::Tensor gate_and_project(backend::Tensor& o, const backend::Tensor& gate, const backend::Tensor& wo,
                                   const backend::Tensor& n);
  // One layer on the packed rows x. n: x's input norm for this layer when the layer before made it
  // (empty: computed here); on return, the input norm of `next` (nullptr: the pass ends; n empty).
  void run_layer(int index, const model::Layer& layer, const model::Layer* next, std::span<const Segment> segments,
                 std::span<const int64_t> positions, backend::Tensor& x, backend::Tensor& n);
  backend::Tensor attention_mixer(int index, const model::Layer& layer, std::span<const Segment> segments,
                                  std::span<const int64_t> positions, const backend::Tensor& n);
  backend::Tensor lightning_mixer(int index, const model::Layer& layer, std::span<const Segment> segments,
                                  std::span<const int64_t> positions, const backend::Tensor& n);
  // The MLP's output (W_down of the gated product) for n, the post-attention norm of the residual.
  backend::Tensor mlp(const model::Layer& layer, const backend::Tensor& n);

  backend::Backend& backend_;
  const model::Model& model_;
};

}  // namespace halo::runtime
