// Runs requests on a set of variants of one loaded model, computing what they share once
// (layer-prefix reuse). A variant equals the original model below its first converted layer s, so
// one "base" pass of the original model over layers [0, max s) serves every variant of the set: it
// keeps the residual stream at the input of each variant's first converted layer, and the variant
// runs only its layers s.. from there.
//   - Scoring: contexts and continuations alike start from the kept residual; the variant's own
//     states hold only layers s.. (nothing below s is ever read again).
//   - Generation: the variants run in order of s while the base pass advances layer by layer, so
//     only its current residual is kept. Each variant borrows the base states' KV caches (those of
//     layers < s hold the prompt already; those from s up are not filled yet and serve as the
//     variant's own), runs layers s.. for the prompt, then decodes on its own (every generated
//     token is new to it, so decoding runs all layers). The original decodes last, on the base
//     states once the pass is whole.
// Each variant's results equal running it alone through ModelRunner: on the CPU backend bit for
// bit, because the same packed rows go through the same operations in the same order.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"
#include "runtime/language_model.h"

namespace halo::runtime {

// Bytes kept per prompt token of a generation batch: one KV cache of every layer (the base pass's,
// which each variant borrows) and two rows of the residual stream (the base pass's, and the copy a
// variant runs its own layers on).
int64_t kept_bytes_per_prompt_token(const io::ModelConfig& config, int64_t activation_bytes);

// Tokens of contexts and continuations in one scoring pass at most.
inline constexpr int64_t kScorePassTokens = 16384;

// Bytes a scoring pass keeps for `request` when `residual_copies` residual rows are kept per token
// (one per distinct start of the variants asked for, and the base pass's end): the context's KV
// cache of every layer, one copy of it per continuation (a fork runs on context + continuation),
// and the residual rows of the context and continuation tokens.
int64_t scoring_bytes(const io::ModelConfig& config, int64_t activation_bytes, const ScoreRequest& request,
                      int64_t residual_copies);

class VariantSetRunner final : public VariantSet {
 public:
  VariantSetRunner(backend::Backend& backend, const model::Model& model, std::vector<model::Variant> variants);

  void bind_to_current_thread() override { backend_.bind_to_current_thread(); }
  size_t size() const override { return variants_.size(); }
  std::string describe(size_t variant) const override;
  std::vector<std::vector<std::vector<ContinuationScore>>> score(std::span<const size_t> which,
                                                                 std::span<const ScoreRequest> requests) override;
  std::vector<std::vector<std::vector<int32_t>>> generate(std::span<const size_t> which,
                                                          std::span<const GenerateRequest> requests) override;

  // Caps what one scoring pass keeps at about `bytes` (the sweep's --prefix-memory): each context's
  // KV cache, each continuation's copy of it, and the residual at every variant's start, counted
  // per request as scoring_bytes() does. A pass always takes at least one request, and never more
  // than kScorePassTokens tokens whatever the cap. Unset: no cap but the token count.
  void set_scoring_memory(int64_t bytes) { scoring_memory_ = bytes; }

  const model::Variant& variant(size_t v) const { return variants_.at(v); }
  // The first converted layer of variant v; the number of layers for the original model.
  int start_layer(size_t v) const { return starts_.at(v); }

 private:
  void score_batch(std::span<const size_t> which, std::span<const ScoreRequest> batch,
                   std::vector<std::vector<std::vector<ContinuationScore>>>& out, size_t first_request);

  // decode(), with the variant named in a NonFiniteLogits it throws.
  template <typename Decode>
  std::vector<std::vector<int32_t>> decode_named(size_t variant, Decode decode);

  backend::Backend& backend_;
  const model::Model& model_;
  std::vector<model::Variant> variants_;
  std::vector<int> starts_;
  int64_t scoring_memory_ = 0;  // 0: no cap
};

}  // namespace halo::runtime
