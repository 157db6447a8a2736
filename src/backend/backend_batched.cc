// Reference implementations of the Backend's batched and fused ops in terms of the single ones:
// what every backend computes. Faster backends override them. The front (backend_front.cc) has checked the
// contract before any of these runs.
#include <algorithm>

#include "backend/backend.h"

namespace halo::backend {

void Backend::copy_many_impl(std::span<const Tensor> src, std::span<Tensor> dst) {
  for (size_t i = 0; i < src.size(); ++i) copy_impl(src[i], dst[i]);
}

void Backend::linear_many_impl(const Tensor& x, std::span<const Tensor> w, std::span<Tensor> y) {
  for (size_t i = 0; i < w.size(); ++i) linear_impl(x, w[i], y[i]);
}

void Backend::add_rms_norm_impl(Tensor& x, const Tensor& delta, const Tensor& w, float eps, Tensor& y) {
  add_impl(x, delta);
  rms_norm_impl(x, w, eps, y);
}

void Backend::qk_norm_rope_impl(Tensor& q, Tensor& k, const Tensor& q_norm, const Tensor& k_norm, float eps,
                                int head_dim, std::span<const int64_t> positions,
                                std::span<const float> inv_freq) {
  if (!q_norm.empty()) {
    rms_norm_impl(q, q_norm, eps, q);
    rms_norm_impl(k, k_norm, eps, k);
  }
  if (!inv_freq.empty()) {
    rope_impl(q, head_dim, positions, inv_freq);
    rope_impl(k, head_dim, positions, inv_freq);
  }
}

void Backend::attention_segments_impl(const Tensor& q, const Tensor& k, const Tensor& v,
                                      std::span<const AttentionSegment> segments, HeadShape shape,
                                      Tensor& out) {
  for (const AttentionSegment& s : segments) {
    if (s.count == 0) continue;
    Tensor k_dst = s.k_cache.rows_view(s.first_pos, s.count);
    Tensor v_dst = s.v_cache.rows_view(s.first_pos, s.count);
    copy_impl(k.rows_view(s.begin, s.count), k_dst);
    copy_impl(v.rows_view(s.begin, s.count), v_dst);
    Tensor o = out.rows_view(s.begin, s.count);
    attention_impl(q.rows_view(s.begin, s.count), s.k_cache, s.v_cache, s.first_pos, shape, o);
  }
}

void Backend::lightning_segments_impl(const Tensor& q, const Tensor& k, const Tensor& v,
                                      std::span<const LightningSegment> segments, HeadShape shape,
                                      std::span<const float> slopes, float scale, Tensor& out) {
  for (const LightningSegment& s : segments) {
    if (s.count == 0) continue;
    Tensor state = s.state;  // a handle: the segment's state is updated in place
    Tensor o = out.rows_view(s.begin, s.count);
    lightning_impl(q.rows_view(s.begin, s.count), k.rows_view(s.begin, s.count), v.rows_view(s.begin, s.count),
                   state, shape, slopes, scale, o);
  }
}

std::vector<TokenScore> Backend::score_head_impl(const Tensor& x, const Tensor& head,
                                                 std::span<const int32_t> targets) {
  // Rows per linear(): bounds the logits buffer to 128 × vocab (78 MB of fp32 for Qwen3).
  constexpr int64_t kSliceRows = 128;
  std::vector<TokenScore> scores;
  scores.reserve(targets.size());
  if (x.rows() == 0) return scores;
  Tensor buffer = alloc_state_impl(std::min(kSliceRows, x.rows()), head.rows());
  for (int64_t begin = 0; begin < x.rows(); begin += kSliceRows) {
    const int64_t count = std::min(kSliceRows, x.rows() - begin);
    Tensor logits = buffer.rows_view(0, count);
    linear_impl(x.rows_view(begin, count), head, logits);
    auto part = score_targets_impl(logits, targets.subspan(size_t(begin), size_t(count)));
    scores.insert(scores.end(), part.begin(), part.end());
  }
  return scores;
}

}  // namespace halo::backend
