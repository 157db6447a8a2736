// A 64-bit FNV-1a digest of everything that determines a run's numbers (data bytes, request token
// ids, model description), so two results files can be checked for having seen the same inputs.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace halo::eval {

class InputHash {
 public:
  InputHash() = default;
  // Continues from an earlier value().
  explicit InputHash(uint64_t state) : state_(state) {}

  void add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      state_ ^= c;
      state_ *= 0x100000001b3ull;
    }
    add_length(bytes.size());
  }
  void add(std::span<const int32_t> ids) {
    add(std::string_view(reinterpret_cast<const char*>(ids.data()), ids.size_bytes()));
  }
  uint64_t value() const { return state_; }

 private:
  // Mixing in each field's length keeps ("ab","c") and ("a","bc") apart.
  void add_length(uint64_t n) {
    for (int i = 0; i < 8; ++i) {
      state_ ^= (n >> (8 * i)) & 0xffu;
      state_ *= 0x100000001b3ull;
    }
  }
  uint64_t state_ = 0xcbf29ce484222325ull;
};

}  // namespace halo::eval
