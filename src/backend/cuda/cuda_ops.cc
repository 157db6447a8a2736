// CudaBackend's operations: shape and dtype checks on the host, then one launcher each
// (cuda_kernels.h). Small host arrays (token ids, positions, targets) go up through staging slots.
#include <cuda_runtime_api.h>

#include <algorithm>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_gemm.h"
#include "backend/cuda/cuda_kernels.h"
#include "base/error.h"

namespace halo::backend {

namespace {

using cuda::bf16_bits;

// Staging slots (CudaBackend::stage); one op never uses a slot twice.
enum Slot { kIds = 0, kPositions = 1, kFactors = 2, kResults = 3, kCopies = 4, kSequences = 5, kChunks = 6, kRuns = 7 };

size_t element_size(DType dtype) { return dtype == DType::f32 ? 4 : 2; }

bf16_bits* bits(Tensor& t, const char* op) {
  if (t.dtype() != DType::bf16) fail("internal: cuda {}: expected a bf16 tensor", op);
  return static_cast<bf16_bits*>(t.data());
}
const bf16_bits* bits(const Tensor& t, const char* op) {
  if (t.dtype() != DType::bf16) fail("internal: cuda {}: expected a bf16 tensor", op);
  return static_cast<const bf16_bits*>(t.data());
}

int multiprocessors() {
  int device = 0, count = 0;
  cuda::check(cudaGetDevice(&device), "attention");
  cuda::check(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device), "attention");
  return count;
}

}  // namespace

void CudaBackend::linear_impl(const Tensor& x, const Tensor& w, Tensor& y) {
  if (x.rows() == 0) return;
  reading(x);
  reading(w);
  writing(y);
  // An fp32 y (alloc_state: logits) gets the fp32 accumulators unrounded. A few rows (decoding)
  // go through the GEMV kernel, whose launch costs far less host time than a cuBLASLt call.
  if (cuda::gemv_applies(x.rows(), x.cols(), x.data(), w.data())) {
    cuda::launch_gemv(bits(x, "linear"), x.rows(), bits(w, "linear"), w.rows(), x.cols(), y.data(),
                      y.dtype() == DType::f32);
    return;
  }
  gemm_->run(bits(x, "linear"), bits(w, "linear"), y.data(), y.dtype() == DType::f32, x.rows(), w.rows(),
             x.cols());
}

void CudaBackend::linear_many_impl(const Tensor& x, std::span<const Tensor> w, std::span<Tensor> y) {
  bool one_launch = x.rows() > 0 && w.size() <= size_t(cuda::kGemvMaxParts);
  for (size_t i = 0; i < w.size() && one_launch; ++i) {
    one_launch = cuda::gemv_applies(x.rows(), x.cols(), x.data(), w[i].data()) && y[i].dtype() == y[0].dtype();
  }
  if (!one_launch) {
    Backend::linear_many_impl(x, w, y);  // one linear each
    return;
  }
  reading(x);
  std::vector<cuda::GemvPart> parts;
  for (size_t i = 0; i < w.size(); ++i) {
    reading(w[i]);
    writing(y[i]);
    parts.push_back({bits(w[i], "linear"), y[i].data(), w[i].rows()});
  }
  cuda::launch_gemv_many(bits(x, "linear"), x.rows(), parts.data(), int(parts.size()), x.cols(),
                         y[0].dtype() == DType::f32);
}

void CudaBackend::embedding_impl(std::span<const int32_t> ids, const Tensor& table, Tensor& out) {
  if (ids.empty()) return;
  reading(table);
  writing(out);
  const auto* device_ids = static_cast<const int32_t*>(stage(kIds, ids.data(), ids.size_bytes()));
  cuda::launch_embedding(device_ids, out.rows(), bits(table, "embedding"), table.cols(),
                         bits(out, "embedding"));
}

void CudaBackend::rms_norm_impl(const Tensor& x, const Tensor& w, float eps, Tensor& y) {
  const int64_t group = w.cols();
  reading(x);
  reading(w);
  writing(y);
  cuda::launch_rms_norm(bits(x, "rms_norm"), bits(w, "rms_norm"), x.numel() / group, int(group), eps,
                        bits(y, "rms_norm"));
}

void CudaBackend::add_impl(Tensor& x, const Tensor& delta) {
  reading(x);
  reading(delta);
  cuda::launch_add(bits(x, "add"), bits(delta, "add"), x.numel());
}

void CudaBackend::add_rms_norm_impl(Tensor& x, const Tensor& delta, const Tensor& w, float eps, Tensor& y) {
  reading(x);
  reading(delta);
  reading(w);
  writing(y);
  cuda::launch_add_rms_norm(bits(x, "add_rms_norm"), bits(delta, "add_rms_norm"), bits(w, "add_rms_norm"),
                            x.rows(), int(x.cols()), eps, bits(y, "add_rms_norm"));
}

namespace {

// True when positions run first, first + 1, ... (every call the runtime makes for one sequence):
// the kernels then form them from the first and nothing is uploaded.
bool consecutive(std::span<const int64_t> positions) {
  for (size_t i = 1; i < positions.size(); ++i) {
    if (positions[i] != positions[0] + int64_t(i)) return false;
  }
  return true;
}

}  // namespace

const int64_t* CudaBackend::rope_positions(std::span<const int64_t> positions) {
  if (consecutive(positions)) return nullptr;
  return static_cast<const int64_t*>(stage(kPositions, positions.data(), positions.size_bytes(), true));
}

void CudaBackend::qk_norm_rope_impl(Tensor& q, Tensor& k, const Tensor& q_norm, const Tensor& k_norm, float eps,
                                    int head_dim, std::span<const int64_t> positions,
                                    std::span<const float> inv_freq) {
  if (q.rows() == 0) return;
  reading(q);
  reading(k);
  cuda::QkArgs a;
  a.q = bits(q, "qk_norm_rope");
  a.k = bits(k, "qk_norm_rope");
  a.rows = q.rows();
  a.q_cols = q.cols();
  a.k_cols = k.cols();
  a.head_dim = head_dim;
  if (!q_norm.empty()) {
    reading(q_norm);
    reading(k_norm);
    a.q_norm = bits(q_norm, "qk_norm_rope");
    a.k_norm = bits(k_norm, "qk_norm_rope");
    a.eps = eps;
  }
  if (!inv_freq.empty()) {
    a.first_pos = positions[0];
    a.positions = rope_positions(positions);
    a.inv_freq = constant_table(inv_freq);
  }
  cuda::launch_qk_norm_rope(a);
}

void CudaBackend::rope_impl(Tensor& x, int head_dim, std::span<const int64_t> positions,
                            std::span<const float> inv_freq) {
  if (x.rows() == 0) return;
  reading(x);
  cuda::launch_rope(bits(x, "rope"), x.rows(), x.cols(), head_dim, rope_positions(positions), positions[0],
                    constant_table(inv_freq));
}

void CudaBackend::scale_rows_impl(Tensor& x, std::span<const float> factors) {
  if (x.rows() == 0) return;
  reading(x);
  const auto* device_factors = static_cast<const float*>(stage(kFactors, factors.data(), factors.size_bytes(), true));
  cuda::launch_scale_rows(bits(x, "scale_rows"), x.rows(), x.cols(), device_factors);
}

void CudaBackend::swiglu_impl(const Tensor& gate, const Tensor& up, Tensor& out) {
  reading(gate);
  reading(up);
  writing(out);
  cuda::launch_swiglu(bits(gate, "swiglu"), bits(up, "swiglu"), bits(out, "swiglu"), gate.numel());
}

void CudaBackend::sigmoid_mul_impl(Tensor& x, const Tensor& gate) {
  reading(x);
  reading(gate);
  cuda::launch_sigmoid_mul(bits(x, "sigmoid_mul"), bits(gate, "sigmoid_mul"), x.numel());
}

void CudaBackend::copy_many_impl(std::span<const Tensor> src, std::span<Tensor> dst) {
  std::vector<cuda::CopyRange> ranges;
  int64_t most = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    const int64_t bytes = src[i].numel() * int64_t(element_size(src[i].dtype()));
    if (bytes == 0) continue;
    reading(src[i]);
    writing(dst[i]);
    ranges.push_back({src[i].data(), dst[i].data(), bytes});
    most = std::max(most, bytes);
  }
  copy_ranges(ranges, most);
}

void CudaBackend::copy_ranges(const std::vector<cuda::CopyRange>& ranges, int64_t most) {
  if (ranges.empty()) return;
  if (ranges.size() <= size_t(cuda::kInlineCopyRanges)) {
    cuda::launch_copy_inline_ranges(ranges.data(), int(ranges.size()), most);
    return;
  }
  const auto* device_ranges = static_cast<const cuda::CopyRange*>(
      stage(kCopies, ranges.data(), ranges.size() * sizeof(cuda::CopyRange)));
  cuda::launch_copy_ranges(device_ranges, int(ranges.size()), most);
}

namespace {

// The kernels' own limit; the rest of the contract is the front's (backend_front.cc).
void check_supported_head_dim(HeadShape shape) {
  const int d = shape.head_dim;
  if (d % 8 != 0 || d > 128) {
    fail("cuda attention: head_dim {} is not supported (a multiple of 8 up to 128)", d);
  }
}

}  // namespace

void CudaBackend::attention_impl(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                                 int64_t first_pos, HeadShape shape, Tensor& out) {
  const int64_t T = q.rows();
  check_supported_head_dim(shape);
  if (T == 0) return;
  reading(q);
  reading(k_cache.rows_view(0, first_pos + T));  // rows past the new tokens are never touched
  reading(v_cache.rows_view(0, first_pos + T));
  writing(out);
  const cuda::AttentionSequence seq{bits(q, "attention"),   bits(k_cache, "attention"),
                                    bits(v_cache, "attention"), bits(out, "attention"), T, first_pos};
  run_attention(&seq, 1, shape);
}

void CudaBackend::attention_segments_impl(const Tensor& q, const Tensor& k, const Tensor& v,
                                          std::span<const AttentionSegment> segments, HeadShape shape,
                                          Tensor& out) {
  const int64_t kv_cols = int64_t(shape.kv_heads) * shape.head_dim;
  check_supported_head_dim(shape);
  reading(q);
  reading(k);
  reading(v);
  // This step's keys and values join each sequence's cache: one launch for all of them.
  std::vector<cuda::CopyRange> ranges;
  std::vector<cuda::AttentionSequence> seqs;
  const int64_t row_bytes = kv_cols * 2;
  for (const AttentionSegment& s : segments) {
    if (s.count == 0) continue;
    for (const Tensor* cache : {&s.k_cache, &s.v_cache}) {
      Tensor rows = cache->rows_view(s.first_pos, s.count);
      writing(rows);
      reading(cache->rows_view(0, s.first_pos + s.count));
    }
    Tensor o = out.rows_view(s.begin, s.count);
    writing(o);
    const auto* kp = static_cast<const char*>(k.data()) + s.begin * row_bytes;
    const auto* vp = static_cast<const char*>(v.data()) + s.begin * row_bytes;
    ranges.push_back({kp, static_cast<char*>(const_cast<void*>(s.k_cache.data())) + s.first_pos * row_bytes,
                      s.count * row_bytes});
    ranges.push_back({vp, static_cast<char*>(const_cast<void*>(s.v_cache.data())) + s.first_pos * row_bytes,
                      s.count * row_bytes});
    seqs.push_back({bits(q, "attention") + s.begin * q.cols(), bits(s.k_cache, "attention"),
                    bits(s.v_cache, "attention"), bits(out, "attention") + s.begin * out.cols(), s.count,
                    s.first_pos});
  }
  if (seqs.empty()) return;
  copy_ranges(ranges, std::max_element(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) {
                        return a.bytes < b.bytes;
                      })->bytes);
  run_attention(seqs.data(), int(seqs.size()), shape);
}

void CudaBackend::run_attention(const cuda::AttentionSequence* seqs, int count, HeadShape shape) {
  static const int sm_count = multiprocessors();
  const cuda::AttentionShape a{shape.heads, shape.kv_heads, shape.head_dim, sm_count};
  const size_t bytes = cuda::attention_scratch_bytes(seqs, count, a);
  cuda::launch_attention(seqs, count, a, bytes ? scratch(bytes) : nullptr);
}

namespace {

cuda::LightningArgs lightning_args(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                                   HeadShape shape, float scale, Tensor& out) {
  const int64_t d = shape.head_dim;
  if (state.dtype() != DType::f32) fail("internal: lightning state must be fp32 (alloc_state)");
  if (d > 128) fail("cuda lightning: head_dim {} is not supported (up to 128)", d);
  cuda::LightningArgs a;
  a.q = bits(q, "lightning");
  a.k = bits(k, "lightning");
  a.v = bits(v, "lightning");
  a.state = static_cast<float*>(state.data());
  a.out = bits(out, "lightning");
  a.rows = q.rows();
  a.heads = shape.heads;
  a.kv_heads = shape.kv_heads;
  a.head_dim = shape.head_dim;
  a.scale = scale;
  return a;
}

}  // namespace

void CudaBackend::lightning_recurrent(const Tensor& q, const Tensor& k, const Tensor& v,
                                      Tensor& state, HeadShape shape, std::span<const float> slopes,
                                      float scale, Tensor& out) {
  cuda::LightningArgs a = lightning_args(q, k, v, state, shape, scale, out);
  for (const Tensor* t : {&q, &k, &v, static_cast<const Tensor*>(&state)}) reading(*t);
  writing(out);
  a.slopes = constant_table(slopes);
  cuda::launch_lightning_recurrent(a);
}

void CudaBackend::lightning_chunked(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                                    HeadShape shape, std::span<const float> slopes, float scale,
                                    Tensor& out) {
  cuda::LightningArgs a = lightning_args(q, k, v, state, shape, scale, out);
  for (const Tensor* t : {&q, &k, &v, static_cast<const Tensor*>(&state)}) reading(*t);
  writing(out);
  a.slopes = constant_table(slopes);
  const cuda::LightningSequence one{a.q, a.k, a.v, a.out, a.state, a.rows};
  lightning_chunked_sequences(std::span(&one, 1), a);
}

void CudaBackend::lightning_chunked_sequences(std::span<const cuda::LightningSequence> seqs,
                                              const cuda::LightningArgs& shared) {
  // Cut every sequence into chunks and the chunks into launch groups; a sequence's consecutive
  // chunks inside one group are its run (what the scan walks).
  struct Group {
    int chunk_begin = 0, chunk_count = 0, run_begin = 0, run_count = 0;
  };
  std::vector<cuda::LightningChunk> chunks;
  std::vector<cuda::LightningChunkRun> runs;
  std::vector<Group> groups;
  const int64_t q_stride = int64_t(shared.heads) * shared.head_dim;
  const int64_t kv_stride = int64_t(shared.kv_heads) * shared.head_dim;
  for (const cuda::LightningSequence& seq : seqs) {
    bool run_open = false;
    for (int64_t row = 0; row < seq.rows; row += cuda::kLightningChunkRows) {
      if (groups.empty() || groups.back().chunk_count == cuda::kLightningGroupChunks) {
        groups.push_back({int(chunks.size()), 0, int(runs.size()), 0});
        run_open = false;
      }
      Group& group = groups.back();
      if (!run_open) {
        runs.push_back({seq.state, group.chunk_count, 0});  // `first` counts from the group's start
        group.run_count++;
        run_open = true;
      }
      chunks.push_back({seq.q + row * q_stride, seq.k + row * kv_stride, seq.v + row * kv_stride,
                        seq.out + row * q_stride, int(std::min<int64_t>(cuda::kLightningChunkRows, seq.rows - row))});
      runs.back().count++;
      group.chunk_count++;
    }
  }
  if (chunks.empty()) return;
  const auto* device_chunks = static_cast<const cuda::LightningChunk*>(
      stage(kChunks, chunks.data(), chunks.size() * sizeof(cuda::LightningChunk)));
  const auto* device_runs = static_cast<const cuda::LightningChunkRun*>(
      stage(kRuns, runs.data(), runs.size() * sizeof(cuda::LightningChunkRun)));
  void* memory = scratch(cuda::lightning_chunks_scratch_bytes(shared.heads, shared.head_dim));
  for (const Group& g : groups) {  // in order: a sequence that spans groups continues from its state
    cuda::launch_lightning_chunks(shared, device_chunks + g.chunk_begin, g.chunk_count, device_runs + g.run_begin,
                                  g.run_count, memory);
  }
}

namespace {

// Rows up to which lightning runs the recurrence (decoding); longer inputs go through chunks.
constexpr int64_t kRecurrentRows = 4;

}  // namespace

void CudaBackend::lightning_segments_impl(const Tensor& q, const Tensor& k, const Tensor& v,
                                          std::span<const LightningSegment> segments, HeadShape shape,
                                          std::span<const float> slopes, float scale, Tensor& out) {
  // Each segment takes the form lightning_impl would give it alone (recurrent up to kRecurrentRows
  // rows, chunked beyond), so the numbers are those of one call per segment; but all the recurrent
  // ones run in one launch (the sequence is the grid's third dimension) and all the chunked ones
  // share launch groups (scoring packs hundreds of short sequences).
  std::vector<cuda::LightningSequence> recurrent, chunked;
  for (const LightningSegment& s : segments) {
    if (s.count == 0) continue;
    Tensor state = s.state;
    Tensor o = out.rows_view(s.begin, s.count);
    const Tensor rows[] = {q.rows_view(s.begin, s.count), k.rows_view(s.begin, s.count),
                           v.rows_view(s.begin, s.count)};
    for (const Tensor& t : rows) reading(t);
    reading(state);
    writing(o);
    cuda::LightningArgs a = lightning_args(rows[0], rows[1], rows[2], state, shape, scale, o);
    (s.count <= kRecurrentRows ? recurrent : chunked).push_back({a.q, a.k, a.v, a.out, a.state, a.rows});
  }
  if (recurrent.empty() && chunked.empty()) return;
  // What all sequences share (shape, slopes, scale); the tables give each its pointers and rows.
  Tensor any_state = segments.front().state;
  cuda::LightningArgs shared = lightning_args(q, k, v, any_state, shape, scale, out);
  shared.slopes = constant_table(slopes);
  // The recurrent launch's grid takes at most 65,535 sequences in its third dimension.
  for (size_t begin = 0; begin < recurrent.size(); begin += 65535) {
    const size_t count = std::min<size_t>(65535, recurrent.size() - begin);
    const auto* device_seqs = static_cast<const cuda::LightningSequence*>(
        stage(kSequences, recurrent.data() + begin, count * sizeof(cuda::LightningSequence)));
    cuda::launch_lightning_recurrent_segments(shared, device_seqs, int(count));
  }
  lightning_chunked_sequences(chunked, shared);
}

void CudaBackend::lightning_impl(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& state,
                                 HeadShape shape, std::span<const float> slopes, float scale, Tensor& out) {
  // A few tokens (decoding) are recurrence steps; longer inputs go through chunks.
  if (q.rows() <= kRecurrentRows) {
    lightning_recurrent(q, k, v, state, shape, slopes, scale, out);
  } else {
    lightning_chunked(q, k, v, state, shape, slopes, scale, out);
  }
}

std::vector<TokenScore> CudaBackend::score_targets_impl(const Tensor& logits,
                                                        std::span<const int32_t> targets) {
  std::vector<TokenScore> scores(targets.size());
  if (targets.empty()) return scores;
  reading(logits);
  const auto* device_targets =
      static_cast<const int32_t*>(stage(kIds, targets.data(), targets.size_bytes()));
  std::vector<cuda::RowScore> rows(targets.size());
  auto* device_rows = static_cast<cuda::RowScore*>(
      const_cast<void*>(stage(kResults, rows.data(), rows.size() * sizeof(cuda::RowScore))));
  cuda::launch_score_rows(logits.data(), logits.dtype() == DType::f32, logits.rows(), logits.cols(),
                          device_targets, device_rows);
  cuda::check(cudaMemcpy(rows.data(), device_rows, rows.size() * sizeof(cuda::RowScore),
                         cudaMemcpyDeviceToHost),
              "score_targets");
  for (size_t r = 0; r < rows.size(); ++r) {
    scores[r] = {rows[r].logprob, rows[r].logprob_bf16, rows[r].argmax == targets[r]};
  }
  return scores;
}

std::vector<TokenScore> CudaBackend::score_head_impl(const Tensor& x, const Tensor& head,
                                                     std::span<const int32_t> targets) {
  std::vector<TokenScore> scores(targets.size());
  if (targets.empty()) return scores;
  // A 1,024-row slice of fp32 logits is 622 MB for Qwen3's 151,936-token vocabulary; the product
  // is then bound by arithmetic, where 128 rows were bound by reading the head's 622 MB of weights.
  constexpr int64_t kSliceRows = 1024;
  Tensor buffer = alloc_state_impl(std::min(kSliceRows, x.rows()), head.rows());
  const auto* device_targets =
      static_cast<const int32_t*>(stage(kIds, targets.data(), targets.size_bytes()));
  std::vector<cuda::RowScore> rows(targets.size());
  auto* device_rows = static_cast<cuda::RowScore*>(
      const_cast<void*>(stage(kResults, rows.data(), rows.size() * sizeof(cuda::RowScore))));
  for (int64_t begin = 0; begin < x.rows(); begin += kSliceRows) {
    const int64_t count = std::min(kSliceRows, x.rows() - begin);
    Tensor logits = buffer.rows_view(0, count);
    linear_impl(x.rows_view(begin, count), head, logits);
    cuda::launch_score_rows(logits.data(), true, count, logits.cols(), device_targets + begin, device_rows + begin);
  }
  cuda::check(cudaMemcpy(rows.data(), device_rows, rows.size() * sizeof(cuda::RowScore), cudaMemcpyDeviceToHost),
              "score_head");
  for (size_t r = 0; r < rows.size(); ++r) {
    scores[r] = {rows[r].logprob, rows[r].logprob_bf16, rows[r].argmax == targets[r]};
  }
  return scores;
}

static_assert(kNonFiniteRow == -1, "cuda_scoring.cu marks non-finite rows with -1");

std::vector<int32_t> CudaBackend::argmax_impl(const Tensor& logits, LogitRounding rounding) {
  std::vector<cuda::RowScore> rows(size_t(logits.rows()));
  if (rows.empty()) return {};
  reading(logits);
  auto* device_rows = static_cast<cuda::RowScore*>(
      const_cast<void*>(stage(kResults, rows.data(), rows.size() * sizeof(cuda::RowScore))));
  cuda::launch_score_rows(logits.data(), logits.dtype() == DType::f32, logits.rows(), logits.cols(),
                          nullptr, device_rows);
  cuda::check(cudaMemcpy(rows.data(), device_rows, rows.size() * sizeof(cuda::RowScore),
                         cudaMemcpyDeviceToHost),
              "argmax");
  std::vector<int32_t> result(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    result[r] = rounding == LogitRounding::bf16 ? rows[r].argmax_bf16 : rows[r].argmax;
  }
  return result;
}

}  // namespace halo::backend
