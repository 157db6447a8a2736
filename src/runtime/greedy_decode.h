// Greedy decoding of a batch of prompts in lockstep, after their prefill: each step packs one new
// token per sequence that is still generating (ties → the backend argmax's rule).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "runtime/decoder.h"
#include "runtime/language_model.h"
#include "runtime/sequence_state.h"

namespace halo::runtime {

// states[a] holds requests[active[a]]'s prompt; `prefill_out` is the prefill pass's final residual
// rows (the prompts packed in `active` order). Returns the generated ids of every request (empty for
// those not in `active`), each ending at its stop token, stop string or budget. Each request's
// `rounding` decides which logits its argmax compares. Throws NonFiniteLogits (the lowest failing
// request) when some request's logits are not finite; the others still run to their end first.
std::vector<std::vector<int32_t>> greedy_decode(backend::Backend& backend, Decoder& decoder,
                                                std::span<SequenceState* const> states,
                                                std::span<const GenerateRequest> requests,
                                                std::span<const size_t> active, const backend::Tensor& prefill_out);

}  // namespace halo::runtime
