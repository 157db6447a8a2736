// The decoder forward pass (DESIGN.md §3), written once against the backend interface:
//   h = x + Mixer(RMSNorm(x));  y = h + W_down(silu(W_gate n) * W_up n),  n = RMSNorm(h).
// New tokens are appended to a SequenceState, so prefill and incremental decoding are one path.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"
#include "runtime/sequence_state.h"

namespace halo::runtime {

class Decoder {
 public:
  Decoder(backend::Backend& backend, const model::Model& model) : backend_(backend), model_(model) {}

  // Embeds `tokens`, runs every layer of the state's variant and returns the residual stream
  // after the last layer (before the final norm), one row per token. Advances the state.
  backend::Tensor forward(SequenceState& state, std::span<const int32_t> tokens);

  // Final RMSNorm + LM head on the given residual rows → logits [rows, vocab].
  backend::Tensor logits(const backend::Tensor& residual);

 private:
  void run_layer(int index, const model::Layer& layer, LayerState& state, int64_t first_pos,
                 std::span<const int64_t> positions, backend::Tensor& x);
  backend::Tensor attention_mixer(const model::Layer& layer, LayerState& state, int64_t first_pos,
                                  std::span<const int64_t> positions, const backend::Tensor& n);
  backend::Tensor lightning_mixer(const model::Layer& layer, LayerState& state,
                                  std::span<const int64_t> positions, const backend::Tensor& n);
  void mlp(const model::Layer& layer, backend::Tensor& x);

  backend::Backend& backend_;
  const model::Model& model_;
};

}  // namespace halo::runtime
