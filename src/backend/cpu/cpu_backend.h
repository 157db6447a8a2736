// The CPU backend: fp32 everywhere, OpenBLAS for the matrix products, the global thread pool for
// everything split by rows or heads. This is the readable reference that CI runs and that the
// CUDA backend is checked against, so clarity wins over cleverness here.
#pragma once

#include "backend/backend.h"

namespace halo::backend {

class CpuBackend final : public Backend {
 public:
  CpuBackend();
  std::string name() const override { return "cpu"; }
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

  std::vector<TokenScore> score_targets_impl(const Tensor& logits,
                                             std::span<const int32_t> targets) override;
  // The LM head fused with scoring: logits a vocabulary block at a time, scored while in cache.
  std::vector<TokenScore> score_head_impl(const Tensor& x, const Tensor& head,
                                          std::span<const int32_t> targets) override;
  std::vector<int32_t> argmax_impl(const Tensor& logits, LogitRounding rounding) override;
  std::vector<double> kl_divergence_impl(const Tensor& p_logits, const Tensor& q_logits) override;
};

// The two forms of lightning attention, exposed so tests can hold them against each other.
// Both process rows [0, T) of q/k/v for every head and leave the final state in `state`. Their
// inputs must keep Backend::lightning's contract, which only the front checks.
void lightning_recurrent(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                         HeadShape shape, std::span<const float> slopes, float scale, Tensor& out);
void lightning_chunked(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                       HeadShape shape, std::span<const float> slopes, float scale, Tensor& out,
                       int chunk_size);

// fp32 view helpers shared by the CPU kernels.
inline float* f32(Tensor& t) { return static_cast<float*>(t.data()); }
inline const float* f32(const Tensor& t) { return static_cast<const float*>(t.data()); }

}  // namespace halo::backend
