// Portable SIMD for the CPU kernels: GCC vector types of 16 floats, with the hot loops compiled for
// AVX-512, AVX2+FMA and plain x86-64 and picked when the program loads (HALO_VECTOR_CLONES on the
// function that holds them). No intrinsics and no new dependency: the compiler maps the vector
// arithmetic onto what the CPU has. Files that pass these vectors by value compile with -Wno-psabi
// (src/backend/CMakeLists.txt): the ABI note is about calls between translation units, and these
// helpers are always inlined.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HALO_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HALO_VECTOR_CLONES
#endif
#define HALO_INLINE inline __attribute__((always_inline))

namespace halo::backend::simd {

constexpr int64_t kLanes = 16;
using Floats = float __attribute__((vector_size(kLanes * sizeof(float))));
using Ints = int32_t __attribute__((vector_size(kLanes * sizeof(int32_t))));
using Words = uint32_t __attribute__((vector_size(kLanes * sizeof(uint32_t))));

HALO_INLINE Floats splat(float v) { return Floats{} + v; }
HALO_INLINE Floats load(const float* p) {
  Floats v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
HALO_INLINE void store(float* p, Floats v) { std::memcpy(p, &v, sizeof v); }
// The first n (< kLanes) values at p, the other lanes `fill`.
HALO_INLINE Floats load_first(const float* p, int64_t n, float fill) {
  Floats v = splat(fill);
  std::memcpy(&v, p, size_t(n) * sizeof(float));
  return v;
}
HALO_INLINE Floats select(Ints mask, Floats a, Floats b) { return mask ? a : b; }
HALO_INLINE float sum(Floats v) {
  float total = 0;
  for (int64_t l = 0; l < kLanes; ++l) total += v[l];
  return total;
}

// Σ a[i] b[i] over n values.
HALO_INLINE float dot(const float* a, const float* b, int64_t n) {
  Floats acc = splat(0.0f);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) acc += load(a + i) * load(b + i);
  if (i < n) acc += load_first(a + i, n - i, 0.0f) * load_first(b + i, n - i, 0.0f);
  return sum(acc);
}

// y[i] += w x[i] over n values.
HALO_INLINE void axpy(float w, const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) store(y + i, load(y + i) + w * load(x + i));
  for (; i < n; ++i) y[i] += w * x[i];
}

}  // namespace halo::backend::simd
