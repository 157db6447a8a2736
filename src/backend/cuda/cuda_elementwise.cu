// Elementwise kernels: fp32 → bf16 conversion, embedding gather, residual add, row scaling, the
// two gates (SwiGLU, sigmoid) and batched copies. Arithmetic is fp32; results are rounded to bf16
// once.
#include <algorithm>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void f32_to_bf16_kernel(const float* in, bf16_bits* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    store_bf16(out + i, in[i]);
  }
}

// One block per output row; rows are copied as 16-byte vectors when the width allows.
__global__ void embedding_kernel(const int32_t* ids, const bf16_bits* table, int64_t cols,
                                 bf16_bits* out) {
  const int64_t row = blockIdx.x;
  const bf16_bits* src = table + int64_t(ids[row]) * cols;
  bf16_bits* dst = out + row * cols;
  if (cols % 8 == 0) {
    for (int64_t i = threadIdx.x; i < cols / 8; i += blockDim.x) {
      reinterpret_cast<uint4*>(dst)[i] = reinterpret_cast<const uint4*>(src)[i];
    }
  } else {
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) dst[i] = src[i];
  }
}

// The elementwise ops come in two widths: 8 elements per 16-byte access when sizes and alignment
// allow (every shape the runtime uses), one element otherwise.
template <int W>
__device__ __forceinline__ void load_w(const bf16_bits* p, float (&v)[W]) {
  if constexpr (W == 8) {
    load8(p, v);
  } else {
    v[0] = load_f32(p);
  }
}
template <int W>
__device__ __forceinline__ void store_w(bf16_bits* p, const float (&v)[W]) {
  if constexpr (W == 8) {
    store8(p, v);
  } else {
    store_bf16(p, v[0]);
  }
}

#define HALO_GRID_STRIDE(i, n)                                                    \
  for (int64_t i = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) * W; i < (n); \
       i += int64_t(gridDim.x) * blockDim.x * W)

template <int W>
__global__ void add_kernel(bf16_bits* x, const bf16_bits* delta, int64_t n) {
  HALO_GRID_STRIDE(i, n) {
    float a[W], b[W];
    load_w<W>(x + i, a);
    load_w<W>(delta + i, b);
#pragma unroll
    for (int j = 0; j < W; ++j) a[j] += b[j];
    store_w<W>(x + i, a);
  }
}

template <int W>
__global__ void scale_rows_kernel(bf16_bits* x, int64_t cols, int64_t n, const float* factors) {
  HALO_GRID_STRIDE(i, n) {
    float a[W];
    load_w<W>(x + i, a);
    const float f = factors[i / cols];  // W divides cols, so the W elements share a row
#pragma unroll
    for (int j = 0; j < W; ++j) a[j] *= f;
    store_w<W>(x + i, a);
  }
}

template <int W>
__global__ void swiglu_kernel(const bf16_bits* gate, const bf16_bits* up, bf16_bits* out, int64_t n) {
  HALO_GRID_STRIDE(i, n) {
    float g[W], u[W];
    load_w<W>(gate + i, g);
    load_w<W>(up + i, u);
#pragma unroll
    for (int j = 0; j < W; ++j) g[j] = g[j] / (1.0f + __expf(-g[j])) * u[j];
    store_w<W>(out + i, g);
  }
}

template <int W>
__global__ void sigmoid_mul_kernel(bf16_bits* x, const bf16_bits* gate, int64_t n) {
  HALO_GRID_STRIDE(i, n) {
    float a[W], g[W];
    load_w<W>(x + i, a);
    load_w<W>(gate + i, g);
#pragma unroll
    for (int j = 0; j < W; ++j) a[j] = a[j] / (1.0f + __expf(-g[j]));
    store_w<W>(x + i, a);
  }
}

#undef HALO_GRID_STRIDE

// Range blockIdx.y, split over gridDim.x blocks; 16-byte moves when the range allows.
__device__ __forceinline__ void copy_range(const CopyRange& r) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t first = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  const bool wide = ((reinterpret_cast<uintptr_t>(r.src) | reinterpret_cast<uintptr_t>(r.dst) |
                      uintptr_t(r.bytes)) % 16) == 0;
  if (wide) {
    const auto* src = static_cast<const uint4*>(r.src);
    auto* dst = static_cast<uint4*>(r.dst);
    for (int64_t i = first; i < r.bytes / 16; i += stride) dst[i] = src[i];
  } else {
    const auto* src = static_cast<const unsigned char*>(r.src);
    auto* dst = static_cast<unsigned char*>(r.dst);
    for (int64_t i = first; i < r.bytes; i += stride) dst[i] = src[i];
  }
}

// Range blockIdx.y of a table in device memory, or of one passed as the kernel's parameter.
__global__ void copy_ranges_kernel(const CopyRange* ranges) { copy_range(ranges[blockIdx.y]); }

struct InlineRanges {
  CopyRange r[kInlineCopyRanges];
};
__global__ void copy_inline_ranges_kernel(const __grid_constant__ InlineRanges table) {
  copy_range(table.r[blockIdx.y]);
}

// Enough blocks per range for its 16-byte pieces, at most 64: small ranges (KV rows of one decode
// step) take one block, a whole cache a few dozen.
unsigned copy_blocks(int64_t max_bytes) {
  return unsigned(std::clamp<int64_t>((max_bytes / 16 + 255) / 256, 1, 64));
}

}  // namespace

void launch_copy_ranges(const CopyRange* ranges, int count, int64_t max_bytes) {
  if (count == 0) return;
  for (int begin = 0; begin < count; begin += 65535) {
    const int n = std::min(65535, count - begin);
    copy_ranges_kernel<<<dim3(copy_blocks(max_bytes), unsigned(n)), 256>>>(ranges + begin);
    check_launch("copy_many");
  }
}

void launch_copy_inline_ranges(const CopyRange* host_ranges, int count, int64_t max_bytes) {
  if (count == 0) return;
  if (count > kInlineCopyRanges) check(cudaErrorInvalidValue, "copy_many (more ranges than a launch takes)");
  InlineRanges table;
  std::copy_n(host_ranges, count, table.r);
  copy_inline_ranges_kernel<<<dim3(copy_blocks(max_bytes), unsigned(count)), 256>>>(table);
  check_launch("copy_many");
}

void launch_f32_to_bf16(const float* in, bf16_bits* out, int64_t n) {
  f32_to_bf16_kernel<<<grid_for(n, kThreads), kThreads>>>(in, out, n);
  check_launch("upload");
}

void launch_embedding(const int32_t* ids, int64_t rows, const bf16_bits* table, int64_t cols,
                      bf16_bits* out) {
  if (rows == 0) return;
  embedding_kernel<<<unsigned(rows), 128>>>(ids, table, cols, out);
  check_launch("embedding");
}

void launch_add(bf16_bits* x, const bf16_bits* delta, int64_t n) {
  if (n == 0) return;
  if (vectorizable(n, x, delta)) {
    add_kernel<8><<<grid_for(n / 8, kThreads), kThreads>>>(x, delta, n);
  } else {
    add_kernel<1><<<grid_for(n, kThreads), kThreads>>>(x, delta, n);
  }
  check_launch("add");
}

void launch_scale_rows(bf16_bits* x, int64_t rows, int64_t cols, const float* factors) {
  const int64_t n = rows * cols;
  if (n == 0) return;
  if (vectorizable(cols, x)) {
    scale_rows_kernel<8><<<grid_for(n / 8, kThreads), kThreads>>>(x, cols, n, factors);
  } else {
    scale_rows_kernel<1><<<grid_for(n, kThreads), kThreads>>>(x, cols, n, factors);
  }
  check_launch("scale_rows");
}

void launch_swiglu(const bf16_bits* gate, const bf16_bits* up, bf16_bits* out, int64_t n) {
  if (n == 0) return;
  if (vectorizable(n, gate, up, out)) {
    swiglu_kernel<8><<<grid_for(n / 8, kThreads), kThreads>>>(gate, up, out, n);
  } else {
    swiglu_kernel<1><<<grid_for(n, kThreads), kThreads>>>(gate, up, out, n);
  }
  check_launch("swiglu");
}

void launch_sigmoid_mul(bf16_bits* x, const bf16_bits* gate, int64_t n) {
  if (n == 0) return;
  if (vectorizable(n, x, gate)) {
    sigmoid_mul_kernel<8><<<grid_for(n / 8, kThreads), kThreads>>>(x, gate, n);
  } else {
    sigmoid_mul_kernel<1><<<grid_for(n, kThreads), kThreads>>>(x, gate, n);
  }
  check_launch("sigmoid_mul");
}

}  // namespace halo::backend::cuda
