#include "runtime/decoder.h"

#include <cmath>

#include "base/error.h"

namespace halo::runtime {

using backend::Tensor;

namespace {

// HypeNet's attn_logits_scaling multiplies q (after RoPE): a constant, or log(t + a) / log(a) at
// absolute position t ("hype a"), which lets attention sharpen on long contexts.
std::vector<float> logits_scale_factors(const io::LogitsScaling& scaling,
                                        std::span<const int64_t> positions) {
  std::vector<float> factors(positions.size());
  for (size_t t = 0; t < positions.size(); ++t) {
    if (scaling.kind == io::LogitsScaling::Kind::constant) {
      factors[t] = float(scaling.value);
    } else {
      factors[t] = float(std::log(double(positions[t]) + scaling.value) / std::log(scaling.value));
    }
  }
  return factors;
}

}  // namespace

Tensor Decoder::forward(SequenceState& state, std::span<const int32_t> tokens) {
  SequenceState* states[] = {&state};
  std::span<const int32_t> lists[] = {tokens};
  return forward(states, lists);
}

Tensor Decoder::forward(std::span<SequenceState* const> states,
                        std::span<const std::span<const int32_t>> tokens) {
  if (states.size() != tokens.size()) fail("internal: {} states for {} token lists", states.size(), tokens.size());
  std::vector<int64_t> counts;
  counts.reserve(tokens.size());
  for (const auto& t : tokens) counts.push_back(int64_t(t.size()));
  Tensor x = embed(tokens);
  run_layers(states, counts, 0, model_.num_layers(), x);
  return x;
}

Tensor Decoder::embed(std::span<const std::span<const int32_t>> tokens) {
  std::vector<int32_t> ids;
  for (const auto& t : tokens) ids.insert(ids.end(), t.begin(), t.end());
  Tensor x = backend_.alloc(int64_t(ids.size()), model_.config().hidden_size);
  if (!ids.empty()) backend_.embedding(ids, model_.embedding(), x);
  return x;
}

void Decoder::run_layers(std::span<SequenceState* const> states, std::span<const int64_t> counts, int begin,
                         int end, Tensor& x, const LayerInputTap& tap, bool advance) {
  if (states.size() != counts.size()) fail("internal: {} states for {} token counts", states.size(), counts.size());
  if (begin < 0 || end > model_.num_layers() || begin > end) {
    fail("internal: layer range [{}, {}) of a {}-layer model", begin, end, model_.num_layers());
  }
  std::vector<Segment> segments;
  std::vector<int64_t> positions;
  int64_t rows = 0;
  for (size_t i = 0; i < states.size(); ++i) {
    if (i > 0 && states[i]->variant().converted != states[0]->variant().converted) {
      fail("internal: one packed batch mixes model variants");
    }
    if (!states[i]->holds(begin, end)) {
      fail("internal: a pass over layers [{}, {}) on a state that holds [{}, {})", begin, end,
           states[i]->held_begin(), states[i]->held_end());
    }
    const int64_t count = counts[i];
    if (count == 0) continue;
    segments.push_back({states[i], rows, count});
    states[i]->reserve(count);
    for (int64_t t = 0; t < count; ++t) positions.push_back(states[i]->length() + t);
    rows += count;
  }
  if (x.rows() != rows) fail("internal: {} residual rows for {} new tokens", x.rows(), rows);
  if (segments.empty()) return;
  const model::Variant& variant = segments.front().state->variant();
  Tensor n;  // the next layer's input norm of x, when the layer before made it
  for (int i = begin; i < end; ++i) {
    if (tap) tap(i, x);
    const model::Layer* next = i + 1 < end ? &model_.layer(i + 1, variant) : nullptr;
    run_layer(i, model_.layer(i, variant), next, segments, positions, x, n);
  }
  if (advance) {
    for (const Segment& s : segments) s.state->advance(s.count);
  }
}

Tensor Decoder::logits(const Tensor& residual) {
  Tensor normed = backend_.alloc(residual.rows(), residual.cols());
  backend_.rms_norm(residual, model_.final_norm(), float(model_.config().rms_norm_eps), normed);
  // fp32 logits: rounding them to a bf16 activation type would create ties and flip argmaxes.
  Tensor out = backend_.alloc_state(residual.rows(), model_.lm_head().rows());
  backend_.linear(normed, model_.lm_head(), out);
  return out;
}

std::vector<backend::TokenScore> Decoder::score(const Tensor& residual, std::span<const int32_t> targets) {
  Tensor normed = backend_.alloc(residual.rows(), residual.cols());
  backend_.rms_norm(residual, model_.final_norm(), float(model_.config().rms_norm_eps), normed);
  return backend_.score_head(normed, model_.lm_head(), targets);
}

void Decoder::run_layer(int index, const model::Layer& layer, const model::Layer* next,
                        std::span<const Segment> segments, std::span<const int64_t> positions, Tensor& x,
                        Tensor& n) {
  if (n.empty()) {
    n = backend_.alloc(x.rows(), x.cols());
    backend_.rms_norm(x, layer.weights.mlp.input_norm, layer.rms_norm_eps, n);
  }
  Tensor mixed = layer.weights.kind == io::MixerKind::attention
                     ? attention_mixer(index, layer, segments, positions, n)
                     : lightning_mixer(index, layer, segments, positions, n);
  // Each residual update is fused with the norm that reads it next: the MLP's, then the next
  // layer's input norm (into n, which the mixer no longer needs).
  Tensor post = backend_.alloc(x.rows(), x.cols());
  backend_.add_rms_norm(x, mixed, layer.weights.mlp.post_norm, layer.rms_norm_eps, post);
  Tensor down = mlp(layer, post);
  if (next != nullptr) {
    backend_.add_rms_norm(x, down, next->weights.mlp.input_norm, next->rms_norm_eps, n);
  } else {
    backend_.add(x, down);
    n = Tensor();
  }
}

Decoder::Projected Decoder::project(const Tensor& wq, const Tensor& wk, const Tensor& wv,
                                    const Tensor& q_norm, const Tensor& k_norm, const model::Layer& layer,
                                    std::span<const int64_t> positions, const Tensor& n) {
  const int64_t T = n.rows();
  Tensor out[] = {backend_.alloc(T, wq.rows()), backend_.alloc(T, wk.rows()), backend_.alloc(T, wv.rows())};
  const Tensor weights[] = {wq, wk, wv};
  backend_.linear_many(n, weights, out);
  Projected p{out[0], out[1], out[2]};
  if (!q_norm.empty() || layer.use_rope) {
    backend_.qk_norm_rope(p.q, p.k, q_norm, k_norm, layer.rms_norm_eps, layer.shape.head_dim, positions,
                          layer.use_rope ? std::span<const float>(layer.inv_freq) : std::span<const float>());
  }
  return p;
}

Tensor Decoder::gate_and_project(Tensor& o, const Tensor& gate, const Tensor& wo, const Tensor& n) {
  if (!gate.empty()) {
    Tensor g = backend_.alloc(o.rows(), gate.rows());
    backend_.linear(n, gate, g);
    backend_.sigmoid_mul(o, g);
  }
  Tensor out = backend_.alloc(o.rows(), wo.rows());
  backend_.linear(o, wo, out);
  return out;
}

Tensor Decoder::attention_mixer(int index, const model::Layer& layer, std::span<const Segment> segments,
                                std::span<const int64_t> positions, const Tensor& n) {
  const model::AttentionWeights& w = layer.weights.attention;
  auto [q, k, v] = project(w.q, w.k, w.v, w.q_norm, w.k_norm, layer, positions, n);
  if (layer.logits_scaling.kind != io::LogitsScaling::Kind::none) {
    backend_.scale_rows(q, logits_scale_factors(layer.logits_scaling, positions));
  }
  Tensor o = backend_.alloc(n.rows(), q.cols());
  // This step's keys and values join each sequence's cache, then its queries attend to it; the
  // backend does all sequences of the batch in one call.
  std::vector<backend::AttentionSegment> batch;
  batch.reserve(segments.size());
  for (const Segment& s : segments) {
    LayerState& state = s.state->layer(index);
    batch.push_back({s.begin, s.count, state.k_cache, state.v_cache, s.state->length()});
  }
  backend_.attention_segments(q, k, v, batch, layer.shape, o);
  return gate_and_project(o, w.o_gate, w.o, n);
}

Tensor Decoder::lightning_mixer(int index, const model::Layer& layer, std::span<const Segment> segments,
                                std::span<const int64_t> positions, const Tensor& n) {
  const model::LightningWeights& w = layer.weights.lightning;
  auto [q, k, v] = project(w.q, w.k, w.v, w.q_norm, w.k_norm, layer, positions, n);
  Tensor o = backend_.alloc(n.rows(), q.cols());
  // Every sequence runs its own recurrence from its own state; the backend does all in one call.
  std::vector<backend::LightningSegment> batch;
  batch.reserve(segments.size());
  for (const Segment& s : segments) batch.push_back({s.begin, s.count, s.state->layer(index).lightning});
  backend_.lightning_segments(q, k, v, batch, layer.shape, layer.slopes, layer.lightning_scale, o);
  if (!w.o_norm.empty()) backend_.rms_norm(o, w.o_norm, layer.rms_norm_eps, o);
  return gate_and_project(o, w.z, w.o, n);
}

Tensor Decoder::mlp(const model::Layer& layer, const Tensor& n) {
  const model::MlpWeights& w = layer.weights.mlp;
  const int64_t T = n.rows();
  Tensor gate_up[] = {backend_.alloc(T, w.gate.rows()), backend_.alloc(T, w.up.rows())};
  const Tensor weights[] = {w.gate, w.up};
  backend_.linear_many(n, weights, gate_up);
  Tensor& gate = gate_up[0];
  backend_.swiglu(gate, gate_up[1], gate);
  Tensor down = backend_.alloc(T, n.cols());
  backend_.linear(gate, w.down, down);
  return down;
}

}  // namespace halo::runtime
