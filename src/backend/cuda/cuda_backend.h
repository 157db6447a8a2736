// The CUDA backend (docs/cuda.md): activations and weights in bf16 on one GPU, fp32 accumulation
// and fp32 softmax/norm statistics, lightning-attention state in fp32. Every call is issued on the
// legacy default stream from the thread that owns the backend; only download() and the scoring
// ops wait for the GPU.
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"

namespace halo::backend {

namespace cuda {
class BlockCache;
class Gemm;
class LazyZero;
class PinnedStaging;
struct AttentionSequence;
struct CopyRange;
struct LightningArgs;
struct LightningSequence;
}

class CudaBackend final : public Backend {
 public:
  // Selects GPU `device`; a missing driver, no GPU or a bad index is a one-line halo::Error.
  explicit CudaBackend(int device);
  ~CudaBackend() override;

  std::string name() const override;
  void bind_to_current_thread() override;

  DType activation_dtype() const override { return DType::bf16; }

  // The two forms of lightning attention, exposed so the GPU tests can hold them against each
  // other (lightning() picks recurrent for one row, chunked otherwise). Their inputs must keep
  // Backend::lightning's contract, which only the front checks.
  void lightning_recurrent(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                           HeadShape shape, std::span<const float> slopes, float scale, Tensor& out);
  void lightning_chunked(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                         HeadShape shape, std::span<const float> slopes, float scale, Tensor& out);

  // Bytes of GPU memory held by live tensors at most so far (the pool's high-water mark).
  size_t peak_memory_bytes() const;
  void synchronize() override;

 protected:
  Tensor alloc_impl(int64_t rows, int64_t cols) override;
  Tensor alloc_state_impl(int64_t rows, int64_t cols) override;
  Tensor upload_impl(std::span<const float> values, int64_t rows, int64_t cols) override;
  std::vector<float> download_impl(const Tensor& t) override;
  void copy_impl(const Tensor& src, Tensor& dst) override;
  void copy_many_impl(std::span<const Tensor> src, std::span<Tensor> dst) override;

  void linear_impl(const Tensor& x, const Tensor& w, Tensor& y) override;
  // A few rows (decoding): all products in one GEMV launch; otherwise one cuBLASLt call each.
  void linear_many_impl(const Tensor& x, std::span<const Tensor> w, std::span<Tensor> y) override;
  void embedding_impl(std::span<const int32_t> ids, const Tensor& table, Tensor& out) override;
  void rms_norm_impl(const Tensor& x, const Tensor& w, float eps, Tensor& y) override;
  void add_impl(Tensor& x, const Tensor& delta) override;
  void add_rms_norm_impl(Tensor& x, const Tensor& delta, const Tensor& w, float eps, Tensor& y) override;
  // Both norms and both ropes in one launch.
  void qk_norm_rope_impl(Tensor& q, Tensor& k, const Tensor& q_norm, const Tensor& k_norm, float eps,
                         int head_dim, std::span<const int64_t> positions,
                         std::span<const float> inv_freq) override;
  void rope_impl(Tensor& x, int head_dim, std::span<const int64_t> positions,
                 std::span<const float> inv_freq) override;
  void scale_rows_impl(Tensor& x, std::span<const float> factors) override;
  void swiglu_impl(const Tensor& gate, const Tensor& up, Tensor& out) override;
  void sigmoid_mul_impl(Tensor& x, const Tensor& gate) override;

  void attention_impl(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache, int64_t first_pos,
                      HeadShape shape, Tensor& out) override;
  // All segments' k/v rows go into their caches in one launch, then all their tiles in as few
  // attention launches as fit (64 tiles of 64 rows each).
  void attention_segments_impl(const Tensor& q, const Tensor& k, const Tensor& v,
                               std::span<const AttentionSegment> segments, HeadShape shape,
                               Tensor& out) override;
  void lightning_impl(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state, HeadShape shape,
                      std::span<const float> slopes, float scale, Tensor& out) override;
  // Every segment in the form lightning_impl gives it alone: the recurrent ones (decoding) in one
  // launch, the chunked ones (prefill, scoring) in shared launch groups.
  void lightning_segments_impl(const Tensor& q, const Tensor& k, const Tensor& v,
                               std::span<const LightningSegment> segments, HeadShape shape,
                               std::span<const float> slopes, float scale, Tensor& out) override;

  std::vector<TokenScore> score_targets_impl(const Tensor& logits,
                                             std::span<const int32_t> targets) override;
  // Slices of up to 1,024 rows (the default's 128 re-read the whole head for every 128 rows) and
  // one download of every row's score at the end instead of one wait per slice.
  std::vector<TokenScore> score_head_impl(const Tensor& x, const Tensor& head,
                                          std::span<const int32_t> targets) override;
  std::vector<int32_t> argmax_impl(const Tensor& logits, LogitRounding rounding) override;
  std::vector<double> kl_divergence_impl(const Tensor& p_logits, const Tensor& q_logits) override;

 private:
  Tensor alloc_typed(int64_t rows, int64_t cols, DType dtype);
  // The chunked form of lightning attention for sequences of any length, chunks of many sequences
  // sharing each launch group; `shared` gives the shape, slopes (on the device) and scale.
  void lightning_chunked_sequences(std::span<const cuda::LightningSequence> seqs, const cuda::LightningArgs& shared);
  void run_attention(const cuda::AttentionSequence* seqs, int count, HeadShape shape);
  // The device copy of a rope's positions, or nullptr when they are consecutive (the kernels form
  // them from the first); a step's positions are staged once for all its ropes.
  const int64_t* rope_positions(std::span<const int64_t> positions);
  // One launch copying every range (`most`: the largest range's bytes); a short table goes as the
  // kernel's parameter, a long one through a staging slot.
  void copy_ranges(const std::vector<cuda::CopyRange>& ranges, int64_t most);
  // Zero-fill bookkeeping (cuda_lazy_zero.h): every op declares the bytes it reads and writes.
  void reading(const Tensor& t);
  void writing(Tensor& t);
  // Device scratch of at least `bytes`, valid until the next call that asks for scratch.
  void* scratch(size_t bytes);
  // Copies a small host array to device scratch owned by `slot` (0..kSlots-1), returns it.
  // may_reuse: the device never writes this slot, so when the bytes equal the slot's last staging
  // (a step's positions, asked for by both ropes of every layer) nothing is copied.
  const void* stage(int slot, const void* data, size_t bytes, bool may_reuse = false);
  // Device copy of a constant table (RoPE frequencies, lightning slopes), uploaded once.
  const float* constant_table(std::span<const float> values);

  int device_ = 0;
  std::string device_name_;
  std::unique_ptr<cuda::Gemm> gemm_;
  std::shared_ptr<cuda::LazyZero> zeros_;
  std::shared_ptr<cuda::BlockCache> blocks_;  // small tensors' blocks, for reuse
  std::unique_ptr<cuda::PinnedStaging> pinned_;
  struct Buffer {
    void* data = nullptr;
    size_t bytes = 0;
  };
  static constexpr int kSlots = 8;
  Buffer scratch_;
  Buffer staged_[kSlots];
  std::vector<char> staged_bytes_[kSlots];  // host copy of a reusable slot's last staging
  std::vector<std::pair<std::vector<float>, std::shared_ptr<void>>> tables_;
};

// make_backend's entry point (backend_factory.cc).
std::unique_ptr<Backend> make_cuda_backend(int device);
// cudaGetDeviceCount, 0 when there is no driver or no GPU.
int cuda_device_count_or_zero();

}  // namespace halo::backend
