#include "io/weight_check.h"

#include <cstring>

#include "base/bf16.h"

namespace halo::io {

namespace {

// A value is non-finite when its exponent bits are all ones (NaN or infinity) in any of the formats.
template <typename Bits>
void count_non_finite(const uint8_t* bytes, int64_t n, Bits exponent_mask, NonFiniteTensor& found) {
  for (int64_t i = 0; i < n; ++i) {
    Bits bits;
    std::memcpy(&bits, bytes + i * int64_t(sizeof(Bits)), sizeof(Bits));
    if ((bits & exponent_mask) == exponent_mask) {
      if (found.count == 0) found.first_index = i;
      ++found.count;
    }
  }
}

float value_at(const TensorView& t, int64_t i) {
  const uint8_t* p = t.bytes.data() + i * int64_t(dtype_size(t.dtype));
  uint16_t half = 0;
  float single = 0;
  switch (t.dtype) {
    case DType::F32:
      std::memcpy(&single, p, 4);
      return single;
    case DType::BF16:
      std::memcpy(&half, p, 2);
      return bf16_to_float(half);
    case DType::F16:
      std::memcpy(&half, p, 2);
      return f16_to_float(half);
  }
  return single;
}

}  // namespace

WeightScan scan_weights(const TensorStore& store) {
  WeightScan scan;
  for (const auto& file : store.files()) {
    ++scan.files;
    for (const auto& [key, view] : file->tensors()) {
      ++scan.tensors;
      if (scan.first_bad) continue;
      NonFiniteTensor found{file->path(), key};
      const int64_t n = view.numel();
      if (view.dtype == DType::F32) {
        count_non_finite<uint32_t>(view.bytes.data(), n, 0x7f800000u, found);
      } else {
        count_non_finite<uint16_t>(view.bytes.data(), n, view.dtype == DType::BF16 ? 0x7f80u : 0x7c00u, found);
      }
      if (found.count > 0) {
        found.first_value = value_at(view, found.first_index);
        scan.first_bad = found;
      }
    }
  }
  return scan;
}

}  // namespace halo::io
