// NeoX (rotate-half) RoPE in place. The angle inv_freq·pos is formed and reduced modulo 2π in
// double, as the CPU reference forms it in double: at positions in the thousands an fp32 product
// loses the digits that decide sin/cos. sin/cos themselves are then fp32.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_common.cuh"

namespace halo::backend::cuda {

namespace {

// One block per row; thread i handles frequency i of every head, so each angle is computed once.
__global__ void rope_kernel(bf16_bits* x, int64_t cols, int head_dim, const int64_t* positions,
                            int64_t first_pos, const float* inv_freq) {
  const int64_t row = blockIdx.x;
  const int half = head_dim / 2;
  const int64_t pos = positions ? positions[row] : first_pos + row;
  const int heads = int(cols / head_dim);
  bf16_bits* r = x + row * cols;
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    double angle = double(inv_freq[i]) * double(pos);
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    angle -= kTwoPi * rint(angle / kTwoPi);
    float s, c;
    sincosf(float(angle), &s, &c);
    for (int h = 0; h < heads; ++h) {
      bf16_bits* v = r + h * head_dim;
      float a = load_f32(v + i), b = load_f32(v + i + half);
      store_bf16(v + i, a * c - b * s);
      store_bf16(v + i + half, b * c + a * s);
    }
  }
}

}  // namespace

void launch_rope(bf16_bits* x, int64_t rows, int64_t cols, int head_dim, const int64_t* positions,
                 int64_t first_pos, const float* inv_freq) {
  if (rows == 0) return;
  rope_kernel<<<unsigned(rows), 64>>>(x, cols, head_dim, positions, first_pos, inv_freq);
  check_launch("rope");
}

}  // namespace halo::backend::cuda
