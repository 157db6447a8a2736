#include "backend/cpu/cpu_backend.h"

#include <cblas.h>
#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/thread_pool.h"

namespace halo::backend {

namespace {

// Splits `rows` over the pool; small jobs stay on the calling thread.
template <typename Fn>
void for_rows(int64_t rows, int64_t work_per_row, Fn fn) {
  if (rows * work_per_row < 32768) {
    fn(0, rows);
    return;
  }
  ThreadPool::global().parallel_for(size_t(rows), [&](size_t b, size_t e) {
    fn(int64_t(b), int64_t(e));
  });
}

}  // namespace

CpuBackend::CpuBackend() {
  // Two process-wide policies, both measured on the demo sweep (docs/PERFORMANCE.md):
  // - glibc returns large freed blocks to the kernel (mmap'd above its threshold, trimmed off the
  //   heap top), so every forward pass re-faulted and re-zeroed its activations: a third of the run
  //   was page faults. Keep them in the heap instead.
  // - OpenBLAS's own threads spin (sched_yield) between the many small products of decoding and
  //   fight the pool's threads for the cores. It runs single-threaded; `linear` splits big products
  //   over the pool itself.
  static const bool once = [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest allowed value
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

Tensor CpuBackend::alloc_impl(int64_t rows, int64_t cols) {
  size_t n = size_t(rows) * size_t(cols);
  std::shared_ptr<float[]> storage(new float[n == 0 ? 1 : n]());
  void* data = storage.get();
  return Tensor(std::shared_ptr<void>(storage, data), data, DType::f32, rows, cols);
}

Tensor CpuBackend::upload_impl(std::span<const float> values, int64_t rows, int64_t cols) {
  Tensor t = alloc(rows, cols);
  std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

std::vector<float> CpuBackend::download_impl(const Tensor& t) {
  const float* p = f32(t);
  return std::vector<float>(p, p + t.numel());
}

void CpuBackend::copy_impl(const Tensor& src, Tensor& dst) {
  std::memmove(dst.data(), src.data(), size_t(src.numel()) * sizeof(float));
}

void CpuBackend::linear_impl(const Tensor& x, const Tensor& w, Tensor& y) {
  if (x.rows() == 0) return;
  // Output columns (weight rows) are split over the pool in blocks of 64 (a multiple of every
  // OpenBLAS micro-kernel width): each element is still one dot product over the whole of K in
  // OpenBLAS's order, computed by one thread.
  const int64_t m = x.rows(), n = w.rows(), k = x.cols();
  auto product = [&](int64_t col_begin, int64_t col_end) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(col_end - col_begin), int(k), 1.0f,
                f32(x), int(k), f32(w) + col_begin * k, int(k), 0.0f, f32(y) + col_begin, int(n));
  };
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  if (m * n * k < (int64_t(1) << 21) || blocks < 2) {
    product(0, n);
    return;
  }
  ThreadPool::global().parallel_for(size_t(blocks), [&](size_t b, size_t e) {
    product(int64_t(b) * kBlock, std::min(n, int64_t(e) * kBlock));
  });
}

void CpuBackend::embedding_impl(std::span<const int32_t> ids, const Tensor& table, Tensor& out) {
  for (size_t t = 0; t < ids.size(); ++t) {
    std::memcpy(f32(out) + t * size_t(out.cols()), f32(table) + size_t(ids[t]) * size_t(table.cols()),
                size_t(table.cols()) * sizeof(float));
  }
}

void CpuBackend::rms_norm_impl(const Tensor& x, const Tensor& w, float eps, Tensor& y) {
  const int64_t group = w.cols();
  const int64_t groups = x.numel() / group;
  const float* weight = f32(w);
  const float* in = f32(x);
  float* result = f32(y);
  for_rows(groups, group, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) {
      const float* xi = in + g * group;
      float* yi = result + g * group;
      double sum = 0;
      for (int64_t i = 0; i < group; ++i) sum += double(xi[i]) * xi[i];
      float inv = 1.0f / std::sqrt(float(sum / double(group)) + eps);
      for (int64_t i = 0; i < group; ++i) yi[i] = weight[i] * (xi[i] * inv);
    }
  });
}

void CpuBackend::add_impl(Tensor& x, const Tensor& delta) {
  float* a = f32(x);
  const float* b = f32(delta);
  for (int64_t i = 0, n = x.numel(); i < n; ++i) a[i] += b[i];
}

void CpuBackend::rope_impl(Tensor& x, int head_dim, std::span<const int64_t> positions,
                           std::span<const float> inv_freq) {
  const int half = head_dim / 2;
  const int64_t heads = x.cols() / head_dim;
  for_rows(x.rows(), x.cols(), [&](int64_t begin, int64_t end) {
    std::vector<float> cos_t(static_cast<size_t>(half)), sin_t(static_cast<size_t>(half));
    for (int64_t t = begin; t < end; ++t) {
      // The angle is formed in double: at long positions an fp32 product loses digits that the
      // reference keeps.
      for (int i = 0; i < half; ++i) {
        double angle = double(inv_freq[size_t(i)]) * double(positions[size_t(t)]);
        cos_t[size_t(i)] = float(std::cos(angle));
        sin_t[size_t(i)] = float(std::sin(angle));
      }
      float* row = f32(x) + t * x.cols();
      for (int64_t h = 0; h < heads; ++h) {
        float* v = row + h * head_dim;
        for (int i = 0; i < half; ++i) {
          float a = v[i], b = v[i + half];
          v[i] = a * cos_t[size_t(i)] - b * sin_t[size_t(i)];
          v[i + half] = b * cos_t[size_t(i)] + a * sin_t[size_t(i)];
        }
      }
    }
  });
}

void CpuBackend::scale_rows_impl(Tensor& x, std::span<const float> factors) {
  for (int64_t t = 0; t < x.rows(); ++t) {
    float* row = f32(x) + t * x.cols();
    for (int64_t i = 0; i < x.cols(); ++i) row[i] *= factors[size_t(t)];
  }
}

void CpuBackend::swiglu_impl(const Tensor& gate, const Tensor& up, Tensor& out) {
  const float* g = f32(gate);
  const float* u = f32(up);
  float* o = f32(out);
  for_rows(gate.rows(), gate.cols(), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin * gate.cols(); i < end * gate.cols(); ++i) {
      o[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
    }
  });
}

void CpuBackend::sigmoid_mul_impl(Tensor& x, const Tensor& gate) {
  float* a = f32(x);
  const float* g = f32(gate);
  for (int64_t i = 0, n = x.numel(); i < n; ++i) a[i] *= 1.0f / (1.0f + std::exp(-g[i]));
}

}  // namespace halo::backend
