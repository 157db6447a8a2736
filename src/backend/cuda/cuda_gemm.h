// y[M,N] = x[M,K] · w[N,K]ᵀ in bf16 with fp32 accumulation through cuBLASLt. The algorithm is chosen
// once per (shape, alignment) and cached: the runtime repeats a handful of shapes thousands of
// times. For large products (prefill) the heuristic's top candidates are timed on the first call
// and the fastest kept for every row count of the same power-of-two bucket (so batches of varying
// length are timed once); small ones take the heuristic's first choice.
#pragma once

#include <cublasLt.h>

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

namespace halo::backend::cuda {

class Gemm {
 public:
  explicit Gemm(int device);
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  // Row-major, rows contiguous; x and w bf16, y bf16 or (y_f32) fp32.
  void run(const void* x, const void* w, void* y, bool y_f32, int64_t m, int64_t n, int64_t k);

 private:
  struct Plan;
  // (m, n, k, alignment of x, w, y, y is fp32)
  using Key = std::tuple<int64_t, int64_t, int64_t, int, int, int, bool>;
  Plan& plan(const Key& key, const void* x, const void* w, void* y);

  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  std::map<Key, std::unique_ptr<Plan>> plans_;
  // Timed winners by the key with m replaced by its power-of-two bucket.
  std::map<Key, cublasLtMatmulAlgo_t> tuned_;
};

}  // namespace halo::backend::cuda
