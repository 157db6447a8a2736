#include "backend/cuda/cuda_gemm.h"

#include <cuda_runtime_api.h>

#include "backend/cuda/cuda_check.h"
#include "base/error.h"

namespace halo::backend::cuda {

namespace {

// Largest power of two (up to 256, cuBLASLt's default assumption) that divides the address.
int alignment(const void* p) {
  auto address = reinterpret_cast<uintptr_t>(p);
  int a = 256;
  while (a > 2 && address % uintptr_t(a) != 0) a /= 2;
  return a;
}

}  // namespace

// Row-major y = x wᵀ is column-major yᵀ[N,M] = w · xᵀ: A = w read as a K×N column-major matrix
// and transposed, B = x read as K×M column-major, C = y as N×M. This "TN" form is cuBLAS's
// fastest layout and needs no copies.
struct Gemm::Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  ~Plan() {
    if (desc) cublasLtMatmulDescDestroy(desc);
    for (auto layout : {a, b, c}) {
      if (layout) cublasLtMatrixLayoutDestroy(layout);
    }
  }
};

Gemm::Gemm(int device) {
  check(cublasLtCreate(&handle_), "cublasLt init");
  // 32 MiB lets the heuristic pick split-K and stream-K kernels for the skinny decode shapes.
  workspace_bytes_ = size_t(32) << 20;
  cudaError_t status = cudaMalloc(&workspace_, workspace_bytes_);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    fail("cuda:{}: out of GPU memory allocating the cuBLASLt workspace", device);
  }
  check(status, "cublasLt workspace");
}

Gemm::~Gemm() {
  plans_.clear();
  if (workspace_) cudaFree(workspace_);
  if (handle_) cublasLtDestroy(handle_);
}

Gemm::Plan& Gemm::plan(const Key& key, const void* x, const void* w, void* y) {
  auto found = plans_.find(key);
  if (found != plans_.end()) return *found->second;
  const auto [m, n, k, align_x, align_w, align_y, y_f32] = key;
  auto p = std::make_unique<Plan>();
  check(cublasLtMatmulDescCreate(&p->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "linear");
  cublasOperation_t transpose = CUBLAS_OP_T, keep = CUBLAS_OP_N;
  check(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSA, &transpose,
                                       sizeof(transpose)),
        "linear");
  check(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSB, &keep, sizeof(keep)),
        "linear");
  check(cublasLtMatrixLayoutCreate(&p->a, CUDA_R_16BF, uint64_t(k), uint64_t(n), k), "linear");
  check(cublasLtMatrixLayoutCreate(&p->b, CUDA_R_16BF, uint64_t(k), uint64_t(m), k), "linear");
  check(cublasLtMatrixLayoutCreate(&p->c, y_f32 ? CUDA_R_32F : CUDA_R_16BF, uint64_t(n), uint64_t(m), n),
        "linear");

  cublasLtMatmulPreference_t pref = nullptr;
  check(cublasLtMatmulPreferenceCreate(&pref), "linear");
  uint64_t ws = workspace_bytes_;
  uint32_t aw = uint32_t(align_w), ax = uint32_t(align_x), ay = uint32_t(align_y);
  cublasStatus_t status =
      cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
  if (status == CUBLAS_STATUS_SUCCESS) {
    status = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &aw,
                                                  sizeof(aw));
  }
  if (status == CUBLAS_STATUS_SUCCESS) {
    status = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &ax,
                                                  sizeof(ax));
  }
  for (auto attr : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES}) {
    if (status == CUBLAS_STATUS_SUCCESS) {
      status = cublasLtMatmulPreferenceSetAttribute(pref, attr, &ay, sizeof(ay));
    }
  }
  // Products of at least this many rows × columns are worth timing candidates for.
  constexpr int64_t kTuneSize = int64_t(1) << 21;
  constexpr int kCandidates = 8;
  cublasLtMatmulHeuristicResult_t results[kCandidates]{};
  int found_count = 0;
  const int wanted = m * n >= kTuneSize ? kCandidates : 1;
  if (status == CUBLAS_STATUS_SUCCESS) {
    status = cublasLtMatmulAlgoGetHeuristic(handle_, p->desc, p->a, p->b, p->c, p->c, pref, wanted,
                                            results, &found_count);
  }
  cublasLtMatmulPreferenceDestroy(pref);
  check(status, "linear");
  if (found_count == 0) {
    fail("cuda linear: cuBLASLt has no algorithm for [{}, {}] x [{}, {}]ᵀ", m, k, n, k);
  }
  p->algo = results[0].algo;
  Key bucket = key;
  std::get<0>(bucket) = int64_t(1) << (64 - __builtin_clzll(uint64_t(m)));
  if (auto known = tuned_.find(bucket); known != tuned_.end()) {
    cublasLtMatmulHeuristicResult_t checked{};
    if (cublasLtMatmulAlgoCheck(handle_, p->desc, p->a, p->b, p->c, p->c, &known->second, &checked) ==
            CUBLAS_STATUS_SUCCESS &&
        checked.workspaceSize <= workspace_bytes_) {
      p->algo = known->second;
      return *plans_.emplace(key, std::move(p)).first->second;
    }
  }
  if (found_count > 1) {
    // Time each candidate (one warm-up, then two runs) on the call's own operands; y is
    // overwritten by the caller's run right after.
    cudaEvent_t start = nullptr, stop = nullptr;
    check(cudaEventCreate(&start), "linear (tuning)");
    check(cudaEventCreate(&stop), "linear (tuning)");
    float best = 0;
    const float alpha = 1.0f, beta = 0.0f;
    for (int i = 0; i < found_count; ++i) {
      auto once = [&] {
        return cublasLtMatmul(handle_, p->desc, &alpha, w, p->a, x, p->b, &beta, y, p->c, y, p->c,
                              &results[i].algo, workspace_, workspace_bytes_, nullptr);
      };
      if (once() != CUBLAS_STATUS_SUCCESS) continue;  // a candidate may refuse; skip it
      check(cudaEventRecord(start, nullptr), "linear (tuning)");
      once();
      once();
      check(cudaEventRecord(stop, nullptr), "linear (tuning)");
      check(cudaEventSynchronize(stop), "linear (tuning)");
      float ms = 0;
      check(cudaEventElapsedTime(&ms, start, stop), "linear (tuning)");
      if (best == 0 || ms < best) {
        best = ms;
        p->algo = results[i].algo;
      }
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    tuned_[bucket] = p->algo;
  }
  return *plans_.emplace(key, std::move(p)).first->second;
}

void Gemm::run(const void* x, const void* w, void* y, bool y_f32, int64_t m, int64_t n, int64_t k) {
  Plan& p = plan({m, n, k, alignment(x), alignment(w), alignment(y), y_f32}, x, w, y);
  const float alpha = 1.0f, beta = 0.0f;
  check(cublasLtMatmul(handle_, p.desc, &alpha, w, p.a, x, p.b, &beta, y, p.c, y, p.c, &p.algo,
                       workspace_, workspace_bytes_, nullptr),
        "linear");
}

}  // namespace halo::backend::cuda
