#include "backend/tensor.h"

#include "base/error.h"

namespace halo::backend {

Tensor Tensor::rows_view(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > rows_) {
    fail("internal: row view [{}, {}) outside a tensor of {} rows", begin, begin + count, rows_);
  }
  size_t element = dtype_ == DType::f32 ? 4 : 2;
  auto* base = static_cast<char*>(data_) + size_t(begin) * size_t(cols_) * element;
  return Tensor(storage_, base, dtype_, count, cols_);
}

}  // namespace halo::backend
