#include "runtime/greedy_decode.h"

#include <fmt/format.h>

#include <algorithm>

namespace halo::runtime {

using backend::Tensor;

namespace {

// The greedy token of logits row a for requests[active[a]], under that request's rounding;
// kNonFiniteRow where the row is not finite. One argmax per rounding the batch asks for.
std::vector<int32_t> greedy_tokens(backend::Backend& backend, const Tensor& logits,
                                   std::span<const GenerateRequest> requests, std::span<const size_t> active) {
  std::vector<int32_t> next(active.size()), by_rounding;
  for (auto rounding : {backend::LogitRounding::none, backend::LogitRounding::bf16}) {
    bool wanted = false;
    for (size_t i : active) wanted = wanted || requests[i].rounding == rounding;
    if (!wanted) continue;
    by_rounding = backend.argmax(logits, rounding);
    for (size_t a = 0; a < active.size(); ++a) {
      if (requests[active[a]].rounding == rounding) next[a] = by_rounding[a];
    }
  }
  return next;
}

}  // namespace

std::vector<std::vector<int32_t>> greedy_decode(backend::Backend& backend, Decoder& decoder,
                                                std::span<SequenceState* const> states,
                                                std::span<const GenerateRequest> requests,
                                                std::span<const size_t> active_requests, const Tensor& prefill_out) {
  std::vector<std::vector<int32_t>> generated(requests.size());
  std::vector<size_t> active(active_requests.begin(), active_requests.end());
  std::vector<SequenceState*> active_states(states.begin(), states.end());
  std::vector<int64_t> row_counts;  // rows of each active sequence in `out`
  for (size_t i : active) row_counts.push_back(int64_t(requests[i].prompt.size()));
  Tensor out = prefill_out;
  size_t failed = requests.size();  // the lowest request whose logits were not finite
  while (!active.empty()) {
    Tensor last_rows = backend.alloc(int64_t(active.size()), out.cols());
    std::vector<Tensor> src, dst;
    int64_t end = 0;
    for (size_t a = 0; a < active.size(); ++a) {
      end += row_counts[a];
      src.push_back(out.rows_view(end - 1, 1));
      dst.push_back(last_rows.rows_view(int64_t(a), 1));
    }
    backend.copy_many(src, dst);
    std::vector<int32_t> next = greedy_tokens(backend, decoder.logits(last_rows), requests, active);
    std::vector<size_t> still;
    std::vector<SequenceState*> still_states;
    for (size_t a = 0; a < active.size(); ++a) {
      const GenerateRequest& request = requests[active[a]];
      if (next[a] == backend::kNonFiniteRow) {
        failed = std::min(failed, active[a]);
        continue;
      }
      std::vector<int32_t>& tokens = generated[active[a]];
      tokens.push_back(next[a]);
      bool stop = std::find(request.stop_token_ids.begin(), request.stop_token_ids.end(), next[a]) !=
                      request.stop_token_ids.end() ||
                  int(tokens.size()) >= request.max_new_tokens ||
                  (request.should_stop && request.should_stop(tokens));
      if (!stop) {
        still.push_back(active[a]);
        still_states.push_back(active_states[a]);
      }
    }
    active = std::move(still);
    active_states = std::move(still_states);
    if (active.empty()) break;
    std::vector<std::span<const int32_t>> inputs;
    for (size_t i : active) inputs.push_back(std::span(&generated[i].back(), 1));
    row_counts.assign(active.size(), 1);
    out = decoder.forward(active_states, inputs);
  }
  if (failed < requests.size()) {
    throw NonFiniteLogits(fmt::format("generation request {}: the logits hold a NaN or an infinity "
                                      "(non-finite weights? `halo info --check-weights` finds them)",
                                      failed),
                          failed);
  }
  return generated;
}

}  // namespace halo::runtime
