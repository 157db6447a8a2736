// Launchers for the backend's kernels: plain C++ signatures (bf16 data passed as uint16_t bits) so
// the host code compiles without the CUDA compiler. Every launcher queues its work on the legacy
// default stream and checks the launch.
#pragma once

#include <cstddef>
#include <cstdint>

namespace halo::backend::cuda {

using bf16_bits = uint16_t;

// Elementwise (cuda_elementwise.cu).
void launch_f32_to_bf16(const float* in, bf16_bits* out, int64_t n);
void launch_embedding(const int32_t* ids, int64_t rows, const bf16_bits* table, int64_t cols,
                      bf16_bits* out);
void launch_add(bf16_bits* x, const bf16_bits* delta, int64_t n);
void launch_scale_rows(bf16_bits* x, int64_t rows, int64_t cols, const float* factors);
void launch_swiglu(const bf16_bits* gate, const bf16_bits* up, bf16_bits* out, int64_t n);
void launch_sigmoid_mul(bf16_bits* x, const bf16_bits* gate, int64_t n);

// y[m, n] = x[m, k] · w[n, k]ᵀ for m ≤ kGemvMaxRows (cuda_gemv.cu); y bf16 or fp32.
constexpr int kGemvMaxRows = 4;
bool gemv_applies(int64_t m, int64_t k, const void* x, const void* w);
// Several y_p = x · w_pᵀ (same x, all y of one dtype) in one launch; at most kGemvMaxParts.
constexpr int kGemvMaxParts = 4;
struct GemvPart {
  const bf16_bits* w = nullptr;
  void* y = nullptr;
  int64_t n = 0;
};
// (The kernels compile as C++17: a pointer and a count, not a span.)
void launch_gemv_many(const bf16_bits* x, int64_t m, const GemvPart* parts, int count, int64_t k, bool y_f32);
void launch_gemv(const bf16_bits* x, int64_t m, const bf16_bits* w, int64_t n, int64_t k, void* y,
                 bool y_f32);

// y = w * x / sqrt(mean(x²) + eps) over each group of `group` columns (cuda_norms.cu).
void launch_rms_norm(const bf16_bits* x, const bf16_bits* w, int64_t groups, int group, float eps,
                     bf16_bits* y);

// x += delta (rounded to bf16 as launch_add does), then y = rms_norm(x) by w over rows of `cols`
// (cuda_norms.cu); y must not alias x.
void launch_add_rms_norm(bf16_bits* x, const bf16_bits* delta, const bf16_bits* w, int64_t rows, int cols,
                         float eps, bf16_bits* y);

// NeoX RoPE in place (cuda_rope.cu). Positions: positions[t] when not null, else first_pos + t.
void launch_rope(bf16_bits* x, int64_t rows, int64_t cols, int head_dim, const int64_t* positions,
                 int64_t first_pos, const float* inv_freq);
// Per-head RMSNorm of q and k by q_norm / k_norm (both null: none), then NeoX RoPE on both
// (inv_freq null: none), in place, in one launch; positions as for launch_rope.
struct QkArgs {
  bf16_bits* q = nullptr;
  bf16_bits* k = nullptr;
  int64_t rows = 0;
  int64_t q_cols = 0, k_cols = 0;
  int head_dim = 0;
  const bf16_bits* q_norm = nullptr;
  const bf16_bits* k_norm = nullptr;
  float eps = 0;
  const int64_t* positions = nullptr;
  int64_t first_pos = 0;
  const float* inv_freq = nullptr;
};
void launch_qk_norm_rope(const QkArgs& args);

// Causal flash attention (cuda_attention.cu) of one or many sequences: each sequence's T query
// rows at positions first_pos..first_pos+T-1 against its cache rows [0, first_pos + T).
struct AttentionSequence {
  const bf16_bits* q = nullptr;  // [T, heads * head_dim]
  const bf16_bits* k = nullptr;  // cache [*, kv_heads * head_dim]
  const bf16_bits* v = nullptr;
  bf16_bits* out = nullptr;      // [T, heads * head_dim]
  int64_t rows = 0;              // T
  int64_t first_pos = 0;
};
struct AttentionShape {
  int heads = 0, kv_heads = 0, head_dim = 0;
  int multiprocessors = 0;
};
// Bytes of scratch the call needs (partial results when keys are split over blocks); the
// launches of one call run in order, so they share it.
size_t attention_scratch_bytes(const AttentionSequence* seqs, int count, const AttentionShape& shape);
void launch_attention(const AttentionSequence* seqs, int count, const AttentionShape& shape, void* scratch);

// Copies `count` device byte ranges in one launch (cuda_elementwise.cu); the table itself is in
// device memory.
struct CopyRange {
  const void* src = nullptr;
  void* dst = nullptr;
  int64_t bytes = 0;
};
void launch_copy_ranges(const CopyRange* ranges, int count, int64_t max_bytes);
// The same for at most kInlineCopyRanges ranges whose table is in host memory: it travels as the
// kernel's parameter, so nothing is uploaded first (a decoding step's KV rows).
constexpr int kInlineCopyRanges = 128;
void launch_copy_inline_ranges(const CopyRange* host_ranges, int count, int64_t max_bytes);

// Lightning attention (cuda_lightning.cu); state is fp32 [heads, d*d], slopes on the device.
struct LightningArgs {
  const bf16_bits* q = nullptr;  // [T, heads * d]
  const bf16_bits* k = nullptr;  // [T, kv_heads * d]
  const bf16_bits* v = nullptr;
  float* state = nullptr;
  bf16_bits* out = nullptr;
  const float* slopes = nullptr;
  int64_t rows = 0;
  int heads = 0, kv_heads = 0, head_dim = 0;
  float scale = 1;
};
void launch_lightning_recurrent(const LightningArgs& args);
// One sequence of a packed batch: its rows of q/k/v/out and its own state.
struct LightningSequence {
  const bf16_bits* q = nullptr;
  const bf16_bits* k = nullptr;
  const bf16_bits* v = nullptr;
  bf16_bits* out = nullptr;
  float* state = nullptr;
  int64_t rows = 0;
};
// The recurrent form over `count` sequences (a device table) in one launch; `shared` gives the
// shape, slopes and scale (its pointers and rows are ignored).
void launch_lightning_recurrent_segments(const LightningArgs& shared, const LightningSequence* seqs, int count);
// The chunked form over a table of chunks (≤ kLightningChunkRows rows each, pointers at the chunk's
// first row) of one or many sequences: runs[i] names sequence i's consecutive chunks and its state.
// At most kLightningGroupChunks chunks a launch (the scratch, lightning_chunks_scratch_bytes, holds
// that many); a longer input takes several, in order. `shared` gives the shape, slopes and scale.
constexpr int kLightningChunkRows = 64;
constexpr int kLightningGroupChunks = 64;
struct LightningChunk {
  const bf16_bits* q = nullptr;
  const bf16_bits* k = nullptr;
  const bf16_bits* v = nullptr;
  bf16_bits* out = nullptr;
  int rows = 0;
};
struct LightningChunkRun {
  float* state = nullptr;
  int first = 0;
  int count = 0;
};
size_t lightning_chunks_scratch_bytes(int heads, int head_dim);
void launch_lightning_chunks(const LightningArgs& shared, const LightningChunk* chunks, int chunk_count,
                             const LightningChunkRun* runs, int run_count, void* scratch);

// Per logits row (bf16, or fp32 when logits_f32): log-softmax at targets[row] (targets may be null)
// and the first argmax, of the logits and of the logits rounded to bf16 (cuda_scoring.cu). A row
// holding a NaN or an infinity gets NaN log-probs and both argmaxes -1 (kNonFiniteRow).
struct RowScore {
  float logprob;
  float logprob_bf16;
  int32_t argmax;
  int32_t argmax_bf16;
};
void launch_score_rows(const void* logits, bool logits_f32, int64_t rows, int64_t vocab,
                       const int32_t* targets, RowScore* out);

// KL(P‖Q) per pair of fp32 logits rows, P/Q their softmaxes, into out[row] (cuda_divergence.cu).
void launch_kl_rows(const float* p_logits, const float* q_logits, int64_t rows, int64_t vocab, double* out);

}  // namespace halo::backend::cuda
