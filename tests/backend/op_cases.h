// The backend op table (llama.cpp's test-backend-ops, for halo's ops): every Backend operation on
// random inputs over many shapes, each case a function of the backend that returns its outputs as
// floats. test_backend_ops runs it on every backend of the machine against the float64 reference
// backend, with a per-case tolerance for fp32 and for bf16 backends.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace halo::backend::testing {

// Values that bf16 represents exactly, so every backend starts from identical inputs.
std::vector<float> random_bf16(size_t n, uint32_t seed, float scale = 1.0f, float mean = 0.0f);
Tensor input(Backend& b, int64_t rows, int64_t cols, uint32_t seed, float scale = 1.0f, float mean = 0.0f);
// An output tensor whose every element starts as NaN, so that elements an op leaves unwritten show.
Tensor poisoned(Backend& b, int64_t rows, int64_t cols);
void append(std::vector<float>& to, const std::vector<float>& from);

// Largest relative L2 error a backend's outputs may have against the reference, by the backend's
// activation type. fp32 backends (the CPU) differ from float64 by summation order only; bf16
// backends round every activation.
struct Tolerance {
  double f32 = 1e-5;
  double bf16 = 2e-2;
  double for_dtype(DType dtype) const { return dtype == DType::f32 ? f32 : bf16; }
};

struct OpCase {
  std::string name;
  std::function<std::vector<float>(Backend&)> run;
  Tolerance tolerance;
};

std::vector<OpCase> op_cases();

// Relative L2 error of `got` against `want`, over the elements of `got` that are not NaN (counted).
struct Comparison {
  double rel;
  size_t nan;
};
Comparison compare(const std::vector<float>& want, const std::vector<float>& got);

}  // namespace halo::backend::testing
