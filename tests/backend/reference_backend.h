// The float64 reference backend of test_backend_ops: every operation written as its definition,
// one element at a time, accumulating in double, storing fp32. Nothing here is fast or clever, so
// that the CPU backend (blocked GEMM, blocked attention, chunked lightning, the fused LM head) and
// the CUDA backend are both held against the plain meaning of each op.
#pragma once

#include "backend/backend.h"

namespace halo::backend::testing {

class ReferenceBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }
  DType activation_dtype() const override { return DType::f32; }

 protected:
  Tensor alloc_impl(int64_t rows, int64_t cols) override;
  Tensor upload_impl(std::span<const float> values, int64_t rows, int64_t cols) override;
  std::vector<float> download_impl(const Tensor& t) override;
  void copy_impl(const Tensor& src, Tensor& dst) override;
  void linear_impl(const Tensor& x, const Tensor& w, Tensor& y) override;
  void embedding_impl(std::span<const int32_t> ids, const Tensor& table, Tensor& out) override;
  void rms_norm_impl(const Tensor& x, const Tensor& w, float eps, Tensor& y) override;
  void add_impl(Tensor& x, const Tensor& delta) override;
  void rope_impl(Tensor& x, int head_dim, std::span<const int64_t> positions,
                 std::span<const float> inv_freq) override;
  void scale_rows_impl(Tensor& x, std::span<const float> factors) override;
  void swiglu_impl(const Tensor& gate, const Tensor& up, Tensor& out) override;
  void sigmoid_mul_impl(Tensor& x, const Tensor& gate) override;
  void attention_impl(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache, int64_t first_pos,
                      HeadShape shape, Tensor& out) override;
  void lightning_impl(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state, HeadShape shape,
                      std::span<const float> slopes, float scale, Tensor& out) override;
  std::vector<TokenScore> score_targets_impl(const Tensor& logits, std::span<const int32_t> targets) override;
  std::vector<int32_t> argmax_impl(const Tensor& logits, LogitRounding rounding) override;
  std::vector<double> kl_divergence_impl(const Tensor& p_logits, const Tensor& q_logits) override;
};

}  // namespace halo::backend::testing
