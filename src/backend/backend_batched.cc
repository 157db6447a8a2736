// Reference implementations of the Backend's batched ops in terms of the single ones: what every
// backend computes, and what the CPU backend runs. Faster backends override them.
#include "backend/backend.h"
#include "base/error.h"

namespace halo::backend {

void Backend::copy_many(std::span<const Tensor> src, std::span<Tensor> dst) {
  if (src.size() != dst.size()) fail("internal: copy_many of {} tensors into {}", src.size(), dst.size());
  for (size_t i = 0; i < src.size(); ++i) copy(src[i], dst[i]);
}

void Backend::attention_segments(const Tensor& q, const Tensor& k, const Tensor& v,
                                 std::span<const AttentionSegment> segments, HeadShape shape,
                                 Tensor& out) {
  for (const AttentionSegment& s : segments) {
    Tensor k_dst = s.k_cache.rows_view(s.first_pos, s.count);
    Tensor v_dst = s.v_cache.rows_view(s.first_pos, s.count);
    copy(k.rows_view(s.begin, s.count), k_dst);
    copy(v.rows_view(s.begin, s.count), v_dst);
    Tensor o = out.rows_view(s.begin, s.count);
    attention(q.rows_view(s.begin, s.count), s.k_cache, s.v_cache, s.first_pos, shape, o);
  }
}

}  // namespace halo::backend
