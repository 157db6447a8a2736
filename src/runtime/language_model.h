// What the evaluation floor needs from a model: score continuations of a shared context, and
// decode greedily — for one variant (LanguageModel) or for several variants of one loaded model at
// once (VariantSet, which lets them share the work of the layers they have in common).
// Implementations run loaded model variants on a backend; tests use fakes.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "base/error.h"

namespace halo::runtime {

// One multiple-choice document: a context and the continuations to score after it.
// `context` must not be empty (lm-eval puts a prefix token there when the context string is empty).
struct ScoreRequest {
  std::vector<int32_t> context;
  std::vector<std::vector<int32_t>> continuations;
};

struct ContinuationScore {
  // Natural-log probability of each continuation token given everything before it (fp32).
  std::vector<float> token_logprobs;
  // The same computed from the logits rounded to bf16 and the log-softmax rounded to bf16, as
  // lm-eval gets from a bf16 model (docs/lm-eval-rules.md §0.3 item 5); per token, not yet summed.
  std::vector<float> token_logprobs_bf16;
  // Every continuation token was the argmax at its position.
  bool is_greedy = false;
};

struct GenerateRequest {
  std::vector<int32_t> prompt;
  int max_new_tokens = 0;
  // Which logits the greedy choice compares: bf16-rounded ones are what HF's generate() sees on a
  // bf16 model (lm-eval's setting), where ties at bf16 resolution go to the lowest id.
  backend::LogitRounding rounding = backend::LogitRounding::none;
  std::vector<int32_t> stop_token_ids;  // generation ends after emitting one of these
  // Called after each new token with all tokens generated so far; true stops generation.
  std::function<bool(std::span<const int32_t> generated)> should_stop;
};

// generate() found a NaN or an infinity in a request's logits (non-finite weights, or an overflow):
// greedy decoding has no answer there. The other requests of the call ran to their end; `request`
// is the lowest index among those that failed.
class NonFiniteLogits : public Error {
 public:
  NonFiniteLogits(const std::string& message, size_t request_index) : Error(message), request(request_index) {}
  size_t request;
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  // One result per request, one ContinuationScore per continuation, in order. Non-finite logits
  // show as NaN log-probs.
  virtual std::vector<std::vector<ContinuationScore>> score(std::span<const ScoreRequest> requests) = 0;
  // Greedy decoding (ties → lowest token id). Returns the generated ids (stop token included);
  // throws NonFiniteLogits when a request's logits are not finite.
  virtual std::vector<std::vector<int32_t>> generate(std::span<const GenerateRequest> requests) = 0;
  // A short description for result files ("qwen3 28 layers, lightning at 5").
  virtual std::string describe() const = 0;
};

// Several variants of one model answering the same requests. Results are indexed like `which`
// (indices into the set): scores[k][request][choice] and generated[k][request] belong to variant
// which[k]. Each result equals what that variant alone would give.
class VariantSet {
 public:
  virtual ~VariantSet() = default;
  // Called by a thread other than the creator before it uses the set (sweep workers).
  virtual void bind_to_current_thread() {}
  virtual size_t size() const = 0;
  virtual std::string describe(size_t variant) const = 0;
  virtual std::vector<std::vector<std::vector<ContinuationScore>>> score(std::span<const size_t> which,
                                                                         std::span<const ScoreRequest> requests) = 0;
  virtual std::vector<std::vector<std::vector<int32_t>>> generate(std::span<const size_t> which,
                                                                  std::span<const GenerateRequest> requests) = 0;
};

// One LanguageModel seen as a set of one variant.
class SingleVariantSet final : public VariantSet {
 public:
  explicit SingleVariantSet(LanguageModel& model) : model_(model) {}
  size_t size() const override { return 1; }
  std::string describe(size_t) const override { return model_.describe(); }
  std::vector<std::vector<std::vector<ContinuationScore>>> score(std::span<const size_t> which,
                                                                 std::span<const ScoreRequest> requests) override {
    std::vector<std::vector<std::vector<ContinuationScore>>> out;
    for (size_t i = 0; i < which.size(); ++i) out.push_back(model_.score(requests));
    return out;
  }
  std::vector<std::vector<std::vector<int32_t>>> generate(std::span<const size_t> which,
                                                          std::span<const GenerateRequest> requests) override {
    std::vector<std::vector<std::vector<int32_t>>> out;
    for (size_t i = 0; i < which.size(); ++i) out.push_back(model_.generate(requests));
    return out;
  }

 private:
  LanguageModel& model_;
};

}  // namespace halo::runtime
