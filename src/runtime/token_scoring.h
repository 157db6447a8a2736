// From residual rows to scored tokens: which rows of a scoring batch predict which continuation
// tokens, and the LM head + log-softmax over just those rows, a slice at a time, so no
// [tokens × vocab] logits matrix is ever whole.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "runtime/decoder.h"
#include "runtime/language_model.h"

namespace halo::runtime {

// Where the continuations of a scoring batch sit in the packed passes: the context pass holds the
// contexts' rows in request order, the continuation pass the rows of every non-empty continuation
// minus its last token (the model input is (context + continuation)[:-1], as in lm-eval).
struct ContinuationLayout {
  struct Item {
    size_t request, choice;
    int64_t context_last_row;  // row of the context pass that predicts the first token
    int64_t first_row;         // first row of this continuation in the continuation pass
  };
  std::vector<Item> items;  // non-empty continuations, in request then choice order
};
ContinuationLayout layout_continuations(std::span<const ScoreRequest> batch);

// Scores every continuation of `batch` from the two passes' final residual rows into out[r][c]
// (out points at the batch's first request). Empty continuations score as empty and greedy.
void collect_scores(backend::Backend& backend, Decoder& decoder, std::span<const ScoreRequest> batch,
                    const ContinuationLayout& layout, const backend::Tensor& context_out,
                    const backend::Tensor& continuation_out, std::vector<ContinuationScore>* out);

// Logits and scores of `rows` (final residual rows) against `targets`, a slice of rows at a time.
std::vector<backend::TokenScore> score_rows(backend::Backend& backend, Decoder& decoder, const backend::Tensor& rows,
                                            std::span<const int32_t> targets);

}  // namespace halo::runtime
