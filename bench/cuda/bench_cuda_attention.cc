// Times the attention kernels alone (cuda_attention.cu), without the model around them, and prints
// one JSON object per measurement:
//   prefill  one sequence of T causal rows from position 0 (TFLOP/s counts the causal half only:
//            4 · head_dim · heads · Σ_t (t + 1))
//   decode   a step of B sequences of one new row each after P cached rows (GB/s counts the K and
//            V rows read: B · (P + 1) · kv_heads · head_dim · 2 · 2 bytes)
//   lightning  lightning attention (cuda_lightning.cu) through the backend's lightning_segments,
//            host tables included: B sequences of P rows each on their own states — one
//            4096-token prompt, a retrieval batch (165 × 1250) and a scoring pass (256 × 40)
// Each figure is the median of five timed runs of ten launches (CUDA events). This is the
// benchmark to run under a kernel profiler: each workload is a handful of identical launches.
// Usage: bench_cuda_attention [--shape 1.7b|8b]
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/cuda_check.h"
#include "bench_main.h"
#include "backend/cuda/cuda_kernels.h"
#include "base/bf16.h"
#include "base/error.h"

namespace {

using namespace halo;
using backend::cuda::AttentionSequence;
using backend::cuda::AttentionShape;
using backend::cuda::check;
using backend::cuda::bf16_bits;

// Device buffer of n bf16 values drawn from N(0, 1) (fixed seed): softmax over random keys is
// spread out, so every key counts.
bf16_bits* device_random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<bf16_bits> host(n);
  for (auto& x : host) x = float_to_bf16(dist(rng));
  void* p = nullptr;
  check(cudaMalloc(&p, n * sizeof(bf16_bits)), "bench alloc");
  check(cudaMemcpy(p, host.data(), n * sizeof(bf16_bits), cudaMemcpyHostToDevice), "bench upload");
  return static_cast<bf16_bits*>(p);
}

// Median over five runs of the mean time of ten calls of `launch`, in milliseconds.
template <typename Launch>
double median_ms(Launch launch) {
  cudaEvent_t start = nullptr, stop = nullptr;
  check(cudaEventCreate(&start), "bench event");
  check(cudaEventCreate(&stop), "bench event");
  launch();  // warm-up
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    check(cudaEventRecord(start, nullptr), "bench event");
    for (int i = 0; i < 10; ++i) launch();
    check(cudaEventRecord(stop, nullptr), "bench event");
    check(cudaEventSynchronize(stop), "bench event");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, start, stop), "bench event");
    runs.push_back(double(ms) / 10);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(runs.begin(), runs.end());
  return runs[2];
}

void* scratch_for(const std::vector<AttentionSequence>& seqs, const AttentionShape& shape) {
  const size_t bytes = backend::cuda::attention_scratch_bytes(seqs.data(), int(seqs.size()), shape);
  void* p = nullptr;
  if (bytes > 0) check(cudaMalloc(&p, bytes), "bench scratch");
  return p;
}

void bench_prefill(const AttentionShape& shape, const std::string& label, int64_t T) {
  const int64_t q_cols = int64_t(shape.heads) * shape.head_dim, kv_cols = int64_t(shape.kv_heads) * shape.head_dim;
  bf16_bits* q = device_random(size_t(T * q_cols), 1);
  bf16_bits* k = device_random(size_t(T * kv_cols), 2);
  bf16_bits* v = device_random(size_t(T * kv_cols), 3);
  bf16_bits* out = device_random(size_t(T * q_cols), 4);
  std::vector<AttentionSequence> seqs{{q, k, v, out, T, 0}};
  void* scratch = scratch_for(seqs, shape);
  const double ms = median_ms([&] { backend::cuda::launch_attention(seqs.data(), 1, shape, scratch); });
  const double flops = 4.0 * shape.head_dim * shape.heads * (double(T) * double(T + 1) / 2);
  fmt::print("{{\"bench\": \"attention_prefill\", \"shape\": \"{}\", \"rows\": {}, \"ms\": {:.3f}, \"tflops\": {:.1f}}}\n",
             label, T, ms, flops / ms / 1e9);
  for (void* p : {static_cast<void*>(q), static_cast<void*>(k), static_cast<void*>(v), static_cast<void*>(out), scratch}) {
    cudaFree(p);
  }
}

void bench_decode(const AttentionShape& shape, const std::string& label, int batch, int64_t prompt) {
  const int64_t q_cols = int64_t(shape.heads) * shape.head_dim, kv_cols = int64_t(shape.kv_heads) * shape.head_dim;
  const int64_t cap = prompt + 1;
  bf16_bits* q = device_random(size_t(batch * q_cols), 5);
  bf16_bits* out = device_random(size_t(batch * q_cols), 6);
  std::vector<bf16_bits*> caches;
  std::vector<AttentionSequence> seqs;
  for (int b = 0; b < batch; ++b) {
    caches.push_back(device_random(size_t(cap * kv_cols), 10 + 2 * uint32_t(b)));
    caches.push_back(device_random(size_t(cap * kv_cols), 11 + 2 * uint32_t(b)));
    seqs.push_back({q + b * q_cols, caches[2 * size_t(b)], caches[2 * size_t(b) + 1], out + b * q_cols, 1, prompt});
  }
  void* scratch = scratch_for(seqs, shape);
  const double ms = median_ms([&] { backend::cuda::launch_attention(seqs.data(), batch, shape, scratch); });
  const double bytes = double(batch) * double(cap) * double(kv_cols) * 2 * 2;
  fmt::print("{{\"bench\": \"attention_decode\", \"shape\": \"{}\", \"batch\": {}, \"prompt\": {}, \"ms\": {:.4f}, "
             "\"gb_per_s\": {:.0f}}}\n",
             label, batch, prompt, ms, bytes / ms / 1e6);
  for (bf16_bits* c : caches) cudaFree(c);
  cudaFree(q);
  cudaFree(out);
  cudaFree(scratch);
}

void bench_lightning(backend::Backend& b, const AttentionShape& shape, const std::string& label, int batch,
                     int64_t rows) {
  const int64_t total = int64_t(batch) * rows;
  const int64_t q_cols = int64_t(shape.heads) * shape.head_dim, kv_cols = int64_t(shape.kv_heads) * shape.head_dim;
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.3f);
  auto random = [&](int64_t r, int64_t c) {
    std::vector<float> host(size_t(r * c));
    for (auto& x : host) x = dist(rng);
    return b.upload(host, r, c);
  };
  backend::Tensor q = random(total, q_cols), k = random(total, kv_cols), v = random(total, kv_cols);
  backend::Tensor out = b.alloc(total, q_cols);
  std::vector<backend::LightningSegment> segments;
  for (int i = 0; i < batch; ++i) {
    segments.push_back({int64_t(i) * rows, rows, b.alloc_state(shape.heads, int64_t(shape.head_dim) * shape.head_dim)});
  }
  std::vector<float> slopes(size_t(shape.heads));
  for (int h = 0; h < shape.heads; ++h) slopes[size_t(h)] = std::pow(0.5f, float(h + 1) / 2);
  const backend::HeadShape head{shape.heads, shape.kv_heads, shape.head_dim};
  const float scale = 1.0f / std::sqrt(float(shape.head_dim));
  const double ms = median_ms([&] { b.lightning_segments(q, k, v, segments, head, slopes, scale, out); });
  fmt::print("{{\"bench\": \"lightning\", \"shape\": \"{}\", \"batch\": {}, \"rows\": {}, \"ms\": {:.3f}, "
             "\"us_per_token\": {:.4f}}}\n",
             label, batch, rows, ms, ms * 1e3 / double(total));
}

int run(int argc, char** argv) {
  std::string label = "1.7b";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--shape" && i + 1 < argc) label = argv[++i];
    else fail("usage: bench_cuda_attention [--shape 1.7b|8b]");
  }
  if (label != "1.7b" && label != "8b") fail("--shape: 1.7b or 8b, not '{}'", label);
  int device = 0, sms = 0;
  check(cudaGetDevice(&device), "bench device");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "bench device");
  // Query heads / kv heads / head_dim of Qwen3-1.7B and Qwen3-8B.
  const AttentionShape shape{label == "8b" ? 32 : 16, 8, 128, sms};
  for (int64_t T : {1024, 4096}) bench_prefill(shape, label, T);
  for (int batch : {1, 32}) bench_decode(shape, label, batch, 4096);
  std::unique_ptr<backend::Backend> b = backend::make_backend(backend::parse_device("cuda:" + std::to_string(device)));
  for (auto [batch, rows] : std::vector<std::pair<int, int64_t>>{{1, 4096}, {165, 1250}, {256, 40}}) {
    bench_lightning(*b, shape, label, batch, rows);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return halo::bench::run_bench("bench_cuda_attention", run, argc, argv); }
