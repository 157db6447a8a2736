// The Backend front: each operation's contract, checked once for every backend, then the
// observer's hooks around the backend's implementation. A broken contract is a bug in the caller
// ("internal: …"), except token ids outside the vocabulary, which come from the user's data.
#include <fmt/format.h>

#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "base/error.h"

namespace halo::backend {

namespace {

void check_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) {
    fail("internal: {}: shape [{}, {}] vs [{}, {}]", op, a.rows(), a.cols(), b.rows(), b.cols());
  }
}

void check_same_layout(const Tensor& a, const Tensor& b, const char* op) {
  check_same_shape(a, b, op);
  if (a.dtype() != b.dtype()) fail("internal: {}: an fp32 tensor with a bf16 one", op);
}

void check_extent(int64_t rows, int64_t cols, const char* op) {
  if (rows < 0 || cols < 0) fail("internal: {} of [{}, {}]", op, rows, cols);
}

void check_token_ids(std::span<const int32_t> ids, int64_t vocab) {
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab) fail("token id {} is outside the vocabulary (0-{})", id, vocab - 1);
  }
}

void check_head_shape(HeadShape shape, const char* op) {
  if (shape.heads <= 0 || shape.kv_heads <= 0 || shape.head_dim <= 0 || shape.heads % shape.kv_heads != 0) {
    fail("internal: {}: {} query heads over {} kv heads of {} dims", op, shape.heads, shape.kv_heads,
         shape.head_dim);
  }
}

// q rows [first_pos, first_pos + rows) of a sequence against caches that must hold them.
void check_attention(const Tensor& q, int64_t rows, const Tensor& k_cache, const Tensor& v_cache,
                     int64_t first_pos, HeadShape shape, const char* op) {
  check_head_shape(shape, op);
  const int64_t kv_cols = int64_t(shape.kv_heads) * shape.head_dim;
  if (q.cols() != int64_t(shape.heads) * shape.head_dim || k_cache.cols() != kv_cols ||
      v_cache.cols() != kv_cols || first_pos < 0 || rows < 0 || first_pos + rows > k_cache.rows() ||
      first_pos + rows > v_cache.rows()) {
    fail("internal: {}: q [{}, {}] at {} against caches [{}, {}] / [{}, {}]", op, rows, q.cols(), first_pos,
         k_cache.rows(), k_cache.cols(), v_cache.rows(), v_cache.cols());
  }
}

void check_lightning_contract(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& state,
                              HeadShape shape, std::span<const float> slopes, const Tensor& out) {
  check_head_shape(shape, "lightning");
  const int64_t d = shape.head_dim;
  if (q.cols() != shape.heads * d || k.cols() != shape.kv_heads * d || v.cols() != k.cols() ||
      k.rows() != q.rows() || v.rows() != q.rows() || out.rows() != q.rows() || out.cols() != q.cols() ||
      state.rows() != shape.heads || state.cols() != d * d || int64_t(slopes.size()) != shape.heads) {
    fail("internal: lightning: q [{}, {}], k [{}, {}], state [{}, {}], {} slopes for {} heads of {}", q.rows(),
         q.cols(), k.rows(), k.cols(), state.rows(), state.cols(), slopes.size(), shape.heads, d);
  }
}

}  // namespace

template <typename Impl>
decltype(auto) Backend::observed(const char* op, int64_t rows, Impl impl) {
  if (observer_ == nullptr) return impl();
  observer_->op_begin(op, rows);
  // The end hook runs on the normal path only: an operation that threw has no time to report.
  if constexpr (std::is_void_v<decltype(impl())>) {
    impl();
    observer_->op_end(op);
  } else {
    auto result = impl();
    observer_->op_end(op);
    return result;
  }
}

Tensor Backend::alloc(int64_t rows, int64_t cols) {
  check_extent(rows, cols, "alloc");
  return observed("alloc", rows, [&] { return alloc_impl(rows, cols); });
}

Tensor Backend::alloc_state(int64_t rows, int64_t cols) {
  check_extent(rows, cols, "alloc_state");
  return observed("alloc_state", rows, [&] { return alloc_state_impl(rows, cols); });
}

Tensor Backend::upload(std::span<const float> values, int64_t rows, int64_t cols) {
  check_extent(rows, cols, "upload");
  if (int64_t(values.size()) != rows * cols) {
    fail("internal: upload of {} values into [{}, {}]", values.size(), rows, cols);
  }
  return observed("upload", rows, [&] { return upload_impl(values, rows, cols); });
}

std::vector<float> Backend::download(const Tensor& t) {
  return observed("download", t.rows(), [&] { return download_impl(t); });
}

void Backend::copy(const Tensor& src, Tensor& dst) {
  check_same_layout(src, dst, "copy");
  observed("copy", src.rows(), [&] { copy_impl(src, dst); });
}

void Backend::copy_many(std::span<const Tensor> src, std::span<Tensor> dst) {
  if (src.size() != dst.size()) fail("internal: copy_many of {} tensors into {}", src.size(), dst.size());
  for (size_t i = 0; i < src.size(); ++i) check_same_layout(src[i], dst[i], "copy_many");
  observed("copy_many", int64_t(src.size()), [&] { copy_many_impl(src, dst); });
}

namespace {

void check_linear(const Tensor& x, const Tensor& w, const Tensor& y, const char* op) {
  if (x.cols() != w.cols() || y.rows() != x.rows() || y.cols() != w.rows()) {
    fail("internal: {} [{}, {}] x [{}, {}]ᵀ -> [{}, {}]", op, x.rows(), x.cols(), w.rows(), w.cols(), y.rows(),
         y.cols());
  }
}

}  // namespace

void Backend::linear(const Tensor& x, const Tensor& w, Tensor& y) {
  check_linear(x, w, y, "linear");
  observed("linear", x.rows(), [&] { linear_impl(x, w, y); });
}

void Backend::linear_many(const Tensor& x, std::span<const Tensor> w, std::span<Tensor> y) {
  if (w.size() != y.size()) fail("internal: linear_many of {} weights into {} outputs", w.size(), y.size());
  for (size_t i = 0; i < w.size(); ++i) check_linear(x, w[i], y[i], "linear_many");
  observed("linear_many", x.rows(), [&] { linear_many_impl(x, w, y); });
}

void Backend::embedding(std::span<const int32_t> ids, const Tensor& table, Tensor& out) {
  if (out.rows() != int64_t(ids.size()) || out.cols() != table.cols()) {
    fail("internal: embedding of {} ids from [{}, {}] into [{}, {}]", ids.size(), table.rows(), table.cols(),
         out.rows(), out.cols());
  }
  check_token_ids(ids, table.rows());
  observed("embedding", out.rows(), [&] { embedding_impl(ids, table, out); });
}

void Backend::rms_norm(const Tensor& x, const Tensor& w, float eps, Tensor& y) {
  check_same_shape(x, y, "rms_norm");
  if (w.rows() != 1 || w.cols() <= 0 || x.cols() % w.cols() != 0) {
    fail("internal: rms_norm weights [{}, {}] do not divide {} columns into groups", w.rows(), w.cols(),
         x.cols());
  }
  observed("rms_norm", x.rows(), [&] { rms_norm_impl(x, w, eps, y); });
}

void Backend::add(Tensor& x, const Tensor& delta) {
  check_same_shape(x, delta, "add");
  observed("add", x.rows(), [&] { add_impl(x, delta); });
}

void Backend::add_rms_norm(Tensor& x, const Tensor& delta, const Tensor& w, float eps, Tensor& y) {
  check_same_shape(x, delta, "add_rms_norm");
  check_same_shape(x, y, "add_rms_norm");
  if (w.rows() != 1 || w.cols() != x.cols()) {
    fail("internal: add_rms_norm weights [{}, {}] for rows of {} columns", w.rows(), w.cols(), x.cols());
  }
  if (x.data() == y.data() && x.numel() > 0) fail("internal: add_rms_norm into its own input");
  observed("add_rms_norm", x.rows(), [&] { add_rms_norm_impl(x, delta, w, eps, y); });
}

void Backend::qk_norm_rope(Tensor& q, Tensor& k, const Tensor& q_norm, const Tensor& k_norm, float eps,
                           int head_dim, std::span<const int64_t> positions, std::span<const float> inv_freq) {
  const bool norm_ok = q_norm.empty() == k_norm.empty() &&
                       (q_norm.empty() || (q_norm.rows() == 1 && q_norm.cols() == head_dim && k_norm.rows() == 1 &&
                                           k_norm.cols() == head_dim));
  const bool rope_ok = inv_freq.empty() || (head_dim % 2 == 0 && int64_t(inv_freq.size()) == head_dim / 2);
  if (head_dim <= 0 || q.cols() % head_dim != 0 || k.cols() % head_dim != 0 || k.rows() != q.rows() ||
      int64_t(positions.size()) != q.rows() || !norm_ok || !rope_ok) {
    fail("internal: qk_norm_rope of q [{}, {}] and k [{}, {}], head_dim {}, norms [{}, {}] / [{}, {}], {} "
         "positions, {} frequencies",
         q.rows(), q.cols(), k.rows(), k.cols(), head_dim, q_norm.rows(), q_norm.cols(), k_norm.rows(),
         k_norm.cols(), positions.size(), inv_freq.size());
  }
  observed("qk_norm_rope", q.rows(),
           [&] { qk_norm_rope_impl(q, k, q_norm, k_norm, eps, head_dim, positions, inv_freq); });
}

void Backend::rope(Tensor& x, int head_dim, std::span<const int64_t> positions, std::span<const float> inv_freq) {
  if (head_dim <= 0 || head_dim % 2 != 0 || x.cols() % head_dim != 0 || int64_t(positions.size()) != x.rows() ||
      int64_t(inv_freq.size()) != head_dim / 2) {
    fail("internal: rope of [{}, {}] with head_dim {}, {} positions, {} frequencies", x.rows(), x.cols(),
         head_dim, positions.size(), inv_freq.size());
  }
  observed("rope", x.rows(), [&] { rope_impl(x, head_dim, positions, inv_freq); });
}

void Backend::scale_rows(Tensor& x, std::span<const float> factors) {
  if (int64_t(factors.size()) != x.rows()) fail("internal: scale_rows of {} rows by {} factors", x.rows(), factors.size());
  observed("scale_rows", x.rows(), [&] { scale_rows_impl(x, factors); });
}

void Backend::swiglu(const Tensor& gate, const Tensor& up, Tensor& out) {
  check_same_shape(gate, up, "swiglu");
  check_same_shape(gate, out, "swiglu");
  observed("swiglu", gate.rows(), [&] { swiglu_impl(gate, up, out); });
}

void Backend::sigmoid_mul(Tensor& x, const Tensor& gate) {
  check_same_shape(x, gate, "sigmoid_mul");
  observed("sigmoid_mul", x.rows(), [&] { sigmoid_mul_impl(x, gate); });
}

void Backend::attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache, int64_t first_pos,
                        HeadShape shape, Tensor& out) {
  check_attention(q, q.rows(), k_cache, v_cache, first_pos, shape, "attention");
  check_same_shape(q, out, "attention");
  observed("attention", q.rows(), [&] { attention_impl(q, k_cache, v_cache, first_pos, shape, out); });
}

void Backend::attention_segments(const Tensor& q, const Tensor& k, const Tensor& v,
                                 std::span<const AttentionSegment> segments, HeadShape shape, Tensor& out) {
  check_head_shape(shape, "attention_segments");
  const int64_t kv_cols = int64_t(shape.kv_heads) * shape.head_dim;
  if (k.rows() != q.rows() || v.rows() != q.rows() || k.cols() != kv_cols || v.cols() != kv_cols) {
    fail("internal: attention_segments: q [{}, {}] with k [{}, {}] and v [{}, {}]", q.rows(), q.cols(), k.rows(),
         k.cols(), v.rows(), v.cols());
  }
  check_same_shape(q, out, "attention_segments");
  for (const AttentionSegment& s : segments) {
    if (s.begin < 0 || s.count < 0 || s.begin + s.count > q.rows()) {
      fail("internal: attention segment rows [{}, {}) outside the batch of {}", s.begin, s.begin + s.count,
           q.rows());
    }
    check_attention(q, s.count, s.k_cache, s.v_cache, s.first_pos, shape, "attention_segments");
  }
  observed("attention_segments", q.rows(),
           [&] { attention_segments_impl(q, k, v, segments, shape, out); });
}

void Backend::lightning(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state, HeadShape shape,
                        std::span<const float> slopes, float scale, Tensor& out) {
  check_lightning_contract(q, k, v, state, shape, slopes, out);
  observed("lightning", q.rows(), [&] { lightning_impl(q, k, v, state, shape, slopes, scale, out); });
}

void Backend::lightning_segments(const Tensor& q, const Tensor& k, const Tensor& v,
                                 std::span<const LightningSegment> segments, HeadShape shape,
                                 std::span<const float> slopes, float scale, Tensor& out) {
  std::vector<std::pair<int64_t, int64_t>> rows;  // (begin, end) of the non-empty segments
  std::vector<const void*> states;
  for (const LightningSegment& s : segments) {
    if (s.begin < 0 || s.count < 0 || s.begin + s.count > q.rows()) {
      fail("internal: lightning segment rows [{}, {}) outside the batch of {}", s.begin, s.begin + s.count,
           q.rows());
    }
    // q/k/v/out against each state's shape (the tensors' own checks repeat, at no real cost).
    check_lightning_contract(q, k, v, s.state, shape, slopes, out);
    if (s.count == 0) continue;
    rows.emplace_back(s.begin, s.begin + s.count);
    states.push_back(s.state.data());
  }
  // Segments run side by side on a backend that does them in one launch: two sharing rows or a
  // state would race there, while the one-by-one default would run them in order.
  std::sort(rows.begin(), rows.end());
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].first < rows[i - 1].second) {
      fail("internal: lightning segments overlap at rows [{}, {})", rows[i].first, rows[i - 1].second);
    }
  }
  std::sort(states.begin(), states.end());
  if (std::adjacent_find(states.begin(), states.end()) != states.end()) {
    fail("internal: two lightning segments share one state");
  }
  observed("lightning_segments", q.rows(),
           [&] { lightning_segments_impl(q, k, v, segments, shape, slopes, scale, out); });
}

std::vector<TokenScore> Backend::score_targets(const Tensor& logits, std::span<const int32_t> targets) {
  if (int64_t(targets.size()) != logits.rows()) {
    fail("internal: score_targets of {} rows for {} targets", logits.rows(), targets.size());
  }
  check_token_ids(targets, logits.cols());
  return observed("score_targets", logits.rows(), [&] { return score_targets_impl(logits, targets); });
}

std::vector<TokenScore> Backend::score_head(const Tensor& x, const Tensor& head, std::span<const int32_t> targets) {
  if (int64_t(targets.size()) != x.rows() || x.cols() != head.cols()) {
    fail("internal: score_head [{}, {}] x [{}, {}]ᵀ for {} targets", x.rows(), x.cols(), head.rows(), head.cols(),
         targets.size());
  }
  check_token_ids(targets, head.rows());
  return observed("score_head", x.rows(), [&] { return score_head_impl(x, head, targets); });
}

std::vector<int32_t> Backend::argmax(const Tensor& logits, LogitRounding rounding) {
  return observed("argmax", logits.rows(), [&] { return argmax_impl(logits, rounding); });
}

std::vector<double> Backend::kl_divergence(const Tensor& p_logits, const Tensor& q_logits) {
  check_same_shape(p_logits, q_logits, "kl_divergence");
  return observed("kl_divergence", p_logits.rows(), [&] { return kl_divergence_impl(p_logits, q_logits); });
}

}  // namespace halo::backend
