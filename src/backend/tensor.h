// A 2-D block of numbers living on one backend's device. Model code sees only shapes; the backend
// that made a tensor is the only one that touches its memory. Row slices share storage, which is
// how KV caches and packed sequences are addressed without copies.
#pragma once

#include <cstdint>
#include <memory>

namespace halo::backend {

enum class DType { f32, bf16 };

class Tensor {
 public:
  Tensor() = default;
  Tensor(std::shared_ptr<void> storage, void* data, DType dtype, int64_t rows, int64_t cols)
      : storage_(std::move(storage)), data_(data), dtype_(dtype), rows_(rows), cols_(cols) {}

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t numel() const { return rows_ * cols_; }
  DType dtype() const { return dtype_; }
  bool empty() const { return data_ == nullptr; }

  void* data() { return data_; }
  const void* data() const { return data_; }

  // Rows [begin, begin + count) as a tensor sharing this one's storage.
  Tensor rows_view(int64_t begin, int64_t count) const;

 private:
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
  DType dtype_ = DType::f32;
  int64_t rows_ = 0;
  int64_t cols_ = 0;
};

}  // namespace halo::backend
