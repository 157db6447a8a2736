// Finds non-finite weights: a NaN or an infinity in a checkpoint makes every log-prob NaN and every
// argmax meaningless, so `halo info --check-weights` scans for them before a sweep is trusted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "io/safetensors.h"

namespace halo::io {

struct NonFiniteTensor {
  std::filesystem::path file;
  std::string key;          // the tensor's key in that file
  int64_t count = 0;        // non-finite values it holds
  int64_t first_index = 0;  // flat index of the first of them
  float first_value = 0;    // NaN, +inf or -inf
};

struct WeightScan {
  int64_t tensors = 0;  // tensors in the store's files
  int64_t files = 0;
  std::optional<NonFiniteTensor> first_bad;  // in file order, then key order; later tensors are not read
};

// Scans every tensor of every file of `store` (under the files' own keys, so a Stage-1 checkpoint's
// teacher and student layers alike), reading the raw F32/BF16/F16 bits.
WeightScan scan_weights(const TensorStore& store);

}  // namespace halo::io
