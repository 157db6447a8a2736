#include "runtime/token_scoring.h"

#include <algorithm>

namespace halo::runtime {

using backend::Tensor;

ContinuationLayout layout_continuations(std::span<const ScoreRequest> batch) {
  ContinuationLayout layout;
  int64_t context_row = 0, continuation_row = 0;
  for (size_t r = 0; r < batch.size(); ++r) {
    context_row += int64_t(batch[r].context.size());
    for (size_t c = 0; c < batch[r].continuations.size(); ++c) {
      const auto& continuation = batch[r].continuations[c];
      if (continuation.empty()) continue;
      layout.items.push_back({r, c, context_row - 1, continuation_row});
      continuation_row += int64_t(continuation.size()) - 1;
    }
  }
  return layout;
}

std::vector<backend::TokenScore> score_rows(backend::Backend&, Decoder& decoder, const Tensor& rows,
                                            std::span<const int32_t> targets) {
  return decoder.score(rows, targets);
}

void collect_scores(backend::Backend& backend, Decoder& decoder, std::span<const ScoreRequest> batch,
                    const ContinuationLayout& layout, const Tensor& context_out, const Tensor& continuation_out,
                    std::vector<ContinuationScore>* out) {
  for (size_t r = 0; r < batch.size(); ++r) {
    out[r].assign(batch[r].continuations.size(), ContinuationScore{});
    for (auto& score : out[r]) score.is_greedy = true;  // empty continuations stay so
  }
  // Gather the rows that predict scored tokens and score them together.
  int64_t scored = 0;
  for (const auto& item : layout.items) scored += int64_t(batch[item.request].continuations[item.choice].size());
  if (scored == 0) return;
  Tensor rows = backend.alloc(scored, context_out.cols());
  std::vector<int32_t> targets;
  targets.reserve(size_t(scored));
  std::vector<Tensor> src, dst;
  int64_t row = 0;
  for (const auto& item : layout.items) {
    const auto& continuation = batch[item.request].continuations[item.choice];
    src.push_back(context_out.rows_view(item.context_last_row, 1));
    dst.push_back(rows.rows_view(row, 1));
    const int64_t rest = int64_t(continuation.size()) - 1;
    if (rest > 0) {
      src.push_back(continuation_out.rows_view(item.first_row, rest));
      dst.push_back(rows.rows_view(row + 1, rest));
    }
    targets.insert(targets.end(), continuation.begin(), continuation.end());
    row += int64_t(continuation.size());
  }
  backend.copy_many(src, dst);
  std::vector<backend::TokenScore> scores = score_rows(backend, decoder, rows, targets);
  size_t next = 0;
  for (const auto& item : layout.items) {
    ContinuationScore& result = out[item.request][item.choice];
    for (size_t i = 0; i < batch[item.request].continuations[item.choice].size(); ++i) {
      const backend::TokenScore& s = scores[next++];
      result.token_logprobs.push_back(s.logprob);
      result.token_logprobs_bf16.push_back(s.logprob_bf16);
      result.is_greedy = result.is_greedy && s.is_argmax;
    }
  }
}

}  // namespace halo::runtime
