// The one interface every compute backend implements (docs/design.md §4): the handful of operations a
// Qwen3/HypeNet decoder needs. Model and runtime code call only these, so the CPU backend (the
// readable reference) and the CUDA backend are interchangeable. Tensors are 2-D: rows are tokens,
// columns are features (heads side by side: column h*head_dim + i is element i of head h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/tensor.h"

namespace halo::backend {

// Per-head shape of an attention-like mixer.
struct HeadShape {
  int heads = 0;     // query heads
  int kv_heads = 0;  // key/value heads; query head h reads kv head h / (heads / kv_heads)
  int head_dim = 0;
};

// Result of scoring one target token at one position. A logits row holding a NaN or an infinity
// (non-finite weights) gives NaN log-probs and is_argmax false.
struct TokenScore {
  float logprob = 0;       // log-softmax of the fp32 logits
  float logprob_bf16 = 0;  // logits rounded to bf16, log-softmax in fp32, result rounded to bf16
  bool is_argmax = false;  // the target is the (first) maximum of the logits
};

// Which logits argmax() compares: the fp32 values as computed, or the values rounded to bf16
// (round-to-nearest-even), which is what HF's generate() picks from on a bf16 model. Either way a
// tie goes to the lowest id; in bf16 ties are common.
enum class LogitRounding { none, bf16 };

// argmax() result for a logits row that holds a NaN or an infinity.
inline constexpr int32_t kNonFiniteRow = -1;

// One sequence's share of a packed batch for attention_segments(): rows [begin, begin + count) of
// q/k/v/out are its new tokens, at positions first_pos.. of its own KV cache.
struct AttentionSegment {
  int64_t begin = 0;
  int64_t count = 0;
  Tensor k_cache;  // [capacity, kv_heads * head_dim], rows [0, first_pos) already filled
  Tensor v_cache;
  int64_t first_pos = 0;
};

// One sequence's share of a packed batch for lightning_segments(): rows [begin, begin + count) of
// q/k/v/out are its new tokens; `state` is its own recurrent state ([heads, head_dim²], alloc_state),
// updated in place.
struct LightningSegment {
  int64_t begin = 0;
  int64_t count = 0;
  Tensor state;
};

// Watches every operation the Backend front runs: profiling hooks in here (bench/cuda's
// OpProfiler), so nothing needs to wrap a backend. `rows` is the row count of the operation's
// first tensor (1 for a decoding step's linear). op_end() runs after the implementation returned;
// a hook that wants the device's time calls the backend's synchronize() there.
class OpObserver {
 public:
  virtual ~OpObserver() = default;
  virtual void op_begin(const char* op, int64_t rows) = 0;
  virtual void op_end(const char* op) = 0;
};

// Every operation is a non-virtual front (backend_front.cc) that checks the operation's contract
// once for all backends — shapes, counts, index ranges — and tells the observer, then calls the
// backend's implementation (the protected *_impl virtuals). A backend adds only its own limits
// (the CUDA kernels' head_dim range, say); it never restates the contract.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // A thread other than the one that made the backend is about to use it (a sweep worker): make
  // the backend's device current there (CUDA's current device is per thread).
  virtual void bind_to_current_thread() {}
  virtual DType activation_dtype() const = 0;  // what alloc() gives
  // Waits until every queued operation has finished (a no-op where operations are synchronous).
  virtual void synchronize() {}
  // The observer sees every operation from now on (nullptr: none). Not owned.
  void set_observer(OpObserver* observer) { observer_ = observer; }

  Tensor alloc(int64_t rows, int64_t cols);  // zero-filled, activation_dtype()
  // Zero-filled fp32 storage whatever the activation type, for numbers that must not be rounded to
  // it: recurrent state (lightning attention's S) and logits (linear() writes fp32 into such a
  // tensor; scoring and argmax read it). The CUDA backend keeps activations in bf16.
  Tensor alloc_state(int64_t rows, int64_t cols);
  Tensor upload(std::span<const float> values, int64_t rows, int64_t cols);  // rows·cols values
  std::vector<float> download(const Tensor& t);
  void copy(const Tensor& src, Tensor& dst);  // same shape
  // copy(src[i], dst[i]) for every i; backends may do it in one launch (default: one by one).
  void copy_many(std::span<const Tensor> src, std::span<Tensor> dst);

  // y[M,N] = x[M,K] · w[N,K]ᵀ  (PyTorch nn.Linear without bias).
  void linear(const Tensor& x, const Tensor& w, Tensor& y);
  // linear(x, w[i], y[i]) for every i: the projections that read one input (q/k/v, gate/up).
  // Backends may do them in one launch (default: one by one).
  void linear_many(const Tensor& x, std::span<const Tensor> w, std::span<Tensor> y);
  // out[t,:] = table[ids[t],:]; an id outside the table is a halo::Error naming it.
  void embedding(std::span<const int32_t> ids, const Tensor& table, Tensor& out);
  // RMSNorm over each consecutive group of w.cols() columns: y = w * x / sqrt(mean(x²) + eps).
  // With w.cols() == head_dim this is Qwen3's per-head q/k norm. y may alias x.
  void rms_norm(const Tensor& x, const Tensor& w, float eps, Tensor& y);
  void add(Tensor& x, const Tensor& delta);  // x += delta, same shape
  // add(x, delta), then rms_norm(x, w, eps, y) over whole rows (w.cols() == x.cols()): a residual
  // update and the next sublayer's norm in one pass over x. y must not be x.
  void add_rms_norm(Tensor& x, const Tensor& delta, const Tensor& w, float eps, Tensor& y);
  // NeoX rotate-half RoPE on every head of x, in place; row t is at position positions[t].
  // head_dim is even and divides x.cols(); inv_freq holds head_dim / 2 frequencies.
  void rope(Tensor& x, int head_dim, std::span<const int64_t> positions, std::span<const float> inv_freq);
  // The start of a Qwen3 attention mixer on q [T, heads·head_dim] and k [T, kv_heads·head_dim]:
  // per-head rms_norm by q_norm / k_norm ([1, head_dim] each; both empty: no norm), then rope at
  // `positions` (inv_freq empty: no rope). Equals those four calls, which is the default; backends
  // may do it in one launch.
  void qk_norm_rope(Tensor& q, Tensor& k, const Tensor& q_norm, const Tensor& k_norm, float eps, int head_dim,
                    std::span<const int64_t> positions, std::span<const float> inv_freq);
  void scale_rows(Tensor& x, std::span<const float> factors);  // x[t,:] *= f[t]
  void swiglu(const Tensor& gate, const Tensor& up, Tensor& out);  // silu(g) * u; out may alias gate
  void sigmoid_mul(Tensor& x, const Tensor& gate);  // x *= sigmoid(gate)

  // Causal softmax attention of q (T rows at positions first_pos..first_pos+T-1) against
  // k_cache/v_cache rows [0, first_pos + T), which already hold this step's keys and values.
  void attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache, int64_t first_pos,
                 HeadShape shape, Tensor& out);
  // A packed batch of sequences: for every segment, its k/v rows are appended to its caches at
  // first_pos, then its q rows attend causally to cache rows [0, first_pos + count). Equals a copy,
  // copy and attention() per segment (the default); backends may do all segments in one launch.
  void attention_segments(const Tensor& q, const Tensor& k, const Tensor& v,
                          std::span<const AttentionSegment> segments, HeadShape shape, Tensor& out);
  // Lightning attention (docs/design.md §3): per head S ← exp(-slope)·S + kᵀv, o = scale·q S, over the
  // T rows of q/k/v in order, starting from and updating `state` ([heads, head_dim²] rows,
  // alloc_state), one slope per head. Backends choose the form (recurrent or chunked); both must
  // equal the recurrence.
  void lightning(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state, HeadShape shape,
                 std::span<const float> slopes, float scale, Tensor& out);
  // A packed batch of sequences, each with its own state: lightning() on every segment's rows
  // (the default). Backends may run all segments in one launch (a decoding step's).
  void lightning_segments(const Tensor& q, const Tensor& k, const Tensor& v,
                          std::span<const LightningSegment> segments, HeadShape shape,
                          std::span<const float> slopes, float scale, Tensor& out);

  // Log-softmax of each logits row, read at targets[row].
  std::vector<TokenScore> score_targets(const Tensor& logits, std::span<const int32_t> targets);
  // score_targets(x · headᵀ, targets): the LM head ([vocab, hidden] weights) applied to hidden rows
  // x and scored, without a whole [rows × vocab] logits matrix. The default runs linear() into one
  // reused fp32 buffer (alloc_state) of up to 128 rows at a time, then score_targets(); the CPU
  // backend computes the logits a block of the vocabulary at a time, scoring them while in cache.
  std::vector<TokenScore> score_head(const Tensor& x, const Tensor& head, std::span<const int32_t> targets);
  // Index of the first maximum of each logits row after `rounding`, or kNonFiniteRow for a row
  // that holds a NaN or an infinity.
  std::vector<int32_t> argmax(const Tensor& logits, LogitRounding rounding);
  // KL(P‖Q) of each pair of logits rows (same shape), P = softmax(p_logits), Q = softmax(q_logits):
  // Σ_v P(v) (log P(v) − log Q(v)), in double (the proxies of `halo probe`).
  std::vector<double> kl_divergence(const Tensor& p_logits, const Tensor& q_logits);

 protected:
  // The implementations: called only by the front above, with the contract already checked.
  virtual Tensor alloc_impl(int64_t rows, int64_t cols) = 0;
  virtual Tensor alloc_state_impl(int64_t rows, int64_t cols) { return alloc_impl(rows, cols); }
  virtual Tensor upload_impl(std::span<const float> values, int64_t rows, int64_t cols) = 0;
  virtual std::vector<float> download_impl(const Tensor& t) = 0;
  virtual void copy_impl(const Tensor& src, Tensor& dst) = 0;
  virtual void copy_many_impl(std::span<const Tensor> src, std::span<Tensor> dst);
  virtual void linear_impl(const Tensor& x, const Tensor& w, Tensor& y) = 0;
  virtual void linear_many_impl(const Tensor& x, std::span<const Tensor> w, std::span<Tensor> y);
  virtual void embedding_impl(std::span<const int32_t> ids, const Tensor& table, Tensor& out) = 0;
  virtual void rms_norm_impl(const Tensor& x, const Tensor& w, float eps, Tensor& y) = 0;
  virtual void add_impl(Tensor& x, const Tensor& delta) = 0;
  virtual void add_rms_norm_impl(Tensor& x, const Tensor& delta, const Tensor& w, float eps, Tensor& y);
  virtual void rope_impl(Tensor& x, int head_dim, std::span<const int64_t> positions,
                         std::span<const float> inv_freq) = 0;
  virtual void qk_norm_rope_impl(Tensor& q, Tensor& k, const Tensor& q_norm, const Tensor& k_norm, float eps,
                                 int head_dim, std::span<const int64_t> positions,
                                 std::span<const float> inv_freq);
  virtual void scale_rows_impl(Tensor& x, std::span<const float> factors) = 0;
  virtual void swiglu_impl(const Tensor& gate, const Tensor& up, Tensor& out) = 0;
  virtual void sigmoid_mul_impl(Tensor& x, const Tensor& gate) = 0;
  virtual void attention_impl(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                              int64_t first_pos, HeadShape shape, Tensor& out) = 0;
  virtual void attention_segments_impl(const Tensor& q, const Tensor& k, const Tensor& v,
                                       std::span<const AttentionSegment> segments, HeadShape shape,
                                       Tensor& out);
  virtual void lightning_impl(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                              HeadShape shape, std::span<const float> slopes, float scale,
                              Tensor& out) = 0;
  virtual void lightning_segments_impl(const Tensor& q, const Tensor& k, const Tensor& v,
                                       std::span<const LightningSegment> segments, HeadShape shape,
                                       std::span<const float> slopes, float scale, Tensor& out);
  virtual std::vector<TokenScore> score_targets_impl(const Tensor& logits,
                                                     std::span<const int32_t> targets) = 0;
  virtual std::vector<TokenScore> score_head_impl(const Tensor& x, const Tensor& head,
                                                  std::span<const int32_t> targets);
  virtual std::vector<int32_t> argmax_impl(const Tensor& logits, LogitRounding rounding) = 0;
  virtual std::vector<double> kl_divergence_impl(const Tensor& p_logits, const Tensor& q_logits) = 0;

 private:
  // Runs one implementation between the observer's begin and end.
  template <typename Impl>
  decltype(auto) observed(const char* op, int64_t rows, Impl impl);

  OpObserver* observer_ = nullptr;
};

enum class DeviceKind { cpu, cuda };

struct DeviceSpec {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;
};

// "cpu", "cuda", "cuda:1" → spec; anything else is a halo::Error naming the flag.
DeviceSpec parse_device(const std::string& text);
// One worker per entry: a single device as above, or a list — "cuda:0,1,2,3" (= cuda:0,cuda:1,…),
// "cuda:all" (every GPU of the machine), "cpu,cpu"; a device may repeat (two workers on one GPU).
std::vector<DeviceSpec> parse_devices(const std::string& text);
// GPUs the CUDA runtime sees (0 without a driver, or in a build without the CUDA backend).
int cuda_device_count();
std::unique_ptr<Backend> make_backend(const DeviceSpec& device);

}  // namespace halo::backend
