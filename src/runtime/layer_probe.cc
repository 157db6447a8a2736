#include "runtime/layer_probe.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>

#include "base/error.h"
#include "runtime/decoder.h"
#include "runtime/kept_residuals.h"
#include "runtime/sequence_state.h"

namespace halo::runtime {

using backend::Tensor;

namespace {

// Rows of compared positions sent through the LM head at once (two logits buffers of rows × vocab).
constexpr int64_t kCompareRows = 128;

// Σ over rows of cos(a_row, b_row), in double.
double cosine_sum(const std::vector<float>& a, const std::vector<float>& b, int64_t rows, int64_t cols) {
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double dot = 0, aa = 0, bb = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const double x = a[size_t(r * cols + c)], y = b[size_t(r * cols + c)];
      dot += x * y;
      aa += x * x;
      bb += y * y;
    }
    // A zero row has no direction; count it as unchanged, as a layer that adds nothing would be.
    total += aa > 0 && bb > 0 ? dot / std::sqrt(aa * bb) : 1.0;
  }
  return total;
}

}  // namespace

void ProbeSums::add(const ProbeSums& other) {
  if (kl.empty()) {
    *this = other;
    return;
  }
  HALO_CHECK(kl.size() == other.kl.size() && cosine.size() == other.cosine.size(), "internal: probe sums differ in shape");
  for (size_t k = 0; k < kl.size(); ++k) {
    kl[k] += other.kl[k];
    nll[k] += other.nll[k];
  }
  for (size_t l = 0; l < cosine.size(); ++l) cosine[l] += other.cosine[l];
  nll_original += other.nll_original;
  compared += other.compared;
  rows += other.rows;
}

LayerProbe::LayerProbe(backend::Backend& backend, const model::Model& model, std::vector<model::Variant> variants)
    : backend_(backend), model_(model), variants_(std::move(variants)) {
  for (const model::Variant& v : variants_) {
    model_.check_variant(v);
    starts_.push_back(v.first_converted());
  }
}

ProbeSums LayerProbe::run(std::span<const ProbeSequence> batch, bool block_influence, bool bf16_logprobs) {
  const int num_layers = model_.num_layers();
  const int64_t hidden = model_.config().hidden_size;
  ProbeSums sums;
  sums.kl.assign(variants_.size(), 0.0);
  sums.nll.assign(variants_.size(), 0.0);
  sums.cosine.assign(size_t(num_layers), 0.0);

  // Model input: every sequence but its last token; compared rows and their targets.
  std::vector<std::span<const int32_t>> inputs;
  std::vector<int64_t> counts;
  std::vector<int64_t> compared_rows;
  std::vector<int32_t> targets;
  int64_t offset = 0;
  for (const ProbeSequence& s : batch) {
    const int64_t n = int64_t(s.tokens.size()) - 1;
    if (n < 1) fail("internal: a probe sequence needs at least two tokens");
    if (s.first_compared < 0 || s.first_compared >= n) fail("internal: probe sequence compares no position");
    inputs.push_back(std::span(s.tokens).first(size_t(n)));
    counts.push_back(n);
    for (int64_t t = s.first_compared; t < n; ++t) {
      compared_rows.push_back(offset + t);
      targets.push_back(s.tokens[size_t(t + 1)]);
    }
    offset += n;
  }
  if (batch.empty()) return sums;
  const int64_t total_rows = offset;
  sums.compared = int64_t(compared_rows.size());

  Decoder decoder(backend_, model_);
  std::vector<int> keep(starts_.begin(), starts_.end());
  keep.push_back(num_layers);
  std::optional<KeptResiduals> kept(std::in_place, backend_, keep);
  std::deque<SequenceState> states;
  std::vector<SequenceState*> state_ptrs;
  for (int64_t n : counts) {
    states.emplace_back(backend_, model_, model::Variant::original(num_layers), n);
    state_ptrs.push_back(&states.back());
  }
  // The original pass; for block influence each layer's input is compared with the next one's.
  std::vector<float> previous;
  LayerInputTap keep_tap = kept->tap();
  LayerInputTap tap = [&](int layer, const Tensor& x) {
    keep_tap(layer, x);
    if (!block_influence) return;
    std::vector<float> now = backend_.download(x);
    if (layer > 0) sums.cosine[size_t(layer - 1)] += cosine_sum(previous, now, total_rows, hidden);
    previous = std::move(now);
  };
  Tensor x = decoder.embed(inputs);
  decoder.run_layers(state_ptrs, counts, 0, num_layers, x, tap);
  if (block_influence) {
    sums.cosine[size_t(num_layers - 1)] += cosine_sum(previous, backend_.download(x), total_rows, hidden);
    sums.rows = total_rows;
  }
  kept->keep_end(num_layers, std::move(x));
  states.clear();

  // The compared rows of a final residual, gathered.
  auto gather = [&](const Tensor& out) {
    Tensor rows = backend_.alloc(int64_t(compared_rows.size()), hidden);
    std::vector<Tensor> src, dst;
    for (size_t i = 0; i < compared_rows.size(); ++i) {
      src.push_back(out.rows_view(compared_rows[i], 1));
      dst.push_back(rows.rows_view(int64_t(i), 1));
    }
    backend_.copy_many(src, dst);
    return rows;
  };
  // Every variant's final residual at the compared rows first, so that the original's logits of a
  // slice are computed once and compared with every variant's (the LM head is the costly part).
  const Tensor original_rows = gather(kept->at(num_layers));
  std::vector<Tensor> variant_rows(variants_.size());
  for (size_t k = 0; k < variants_.size(); ++k) {
    const int start = starts_[k];
    if (start == num_layers) continue;  // the original itself: its rows are original_rows
    std::deque<SequenceState> own;
    std::vector<SequenceState*> own_ptrs;
    for (int64_t n : counts) {
      own.emplace_back(backend_, model_, variants_[k], n, start, num_layers);
      own_ptrs.push_back(&own.back());
    }
    Tensor y = kept->copy_at(start);
    decoder.run_layers(own_ptrs, counts, start, num_layers, y);
    variant_rows[k] = gather(y);
  }
  kept.reset();  // the kept layer inputs are no longer needed
  auto logprob = [&](const backend::TokenScore& s) { return double(bf16_logprobs ? s.logprob_bf16 : s.logprob); };
  for (int64_t begin = 0; begin < original_rows.rows(); begin += kCompareRows) {
    const int64_t n = std::min(kCompareRows, original_rows.rows() - begin);
    const auto slice_targets = std::span(targets).subspan(size_t(begin), size_t(n));
    // The original and every variant score their targets from logits computed the same way, so a
    // variant equal to the original has exactly its NLL and no divergence.
    const Tensor p = decoder.logits(original_rows.rows_view(begin, n));
    for (const backend::TokenScore& s : backend_.score_targets(p, slice_targets)) sums.nll_original -= logprob(s);
    for (size_t k = 0; k < variants_.size(); ++k) {
      if (starts_[k] == num_layers) {
        for (const backend::TokenScore& s : backend_.score_targets(p, slice_targets)) sums.nll[k] -= logprob(s);
        continue;
      }
      const Tensor q = decoder.logits(variant_rows[k].rows_view(begin, n));
      for (double kl : backend_.kl_divergence(p, q)) sums.kl[k] += kl;
      for (const backend::TokenScore& s : backend_.score_targets(q, slice_targets)) sums.nll[k] -= logprob(s);
    }
  }
  return sums;
}

}  // namespace halo::runtime
