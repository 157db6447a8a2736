// CPython's `random` module reproduced bit for bit (3.11/3.12 algorithms): the MT19937 generator
// seeded through init_by_array, getrandbits, the rejection-sampling randbelow, shuffle and sample.
// ruler_qa_squad's haystacks are drawn from this stream, so any deviation changes every prompt.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace halo::eval {

class PyRandom {
 public:
  // random.seed(seed) / random.Random(seed) for a non-negative integer seed.
  explicit PyRandom(uint64_t seed);

  // The next raw 32-bit MT19937 output.
  uint32_t next_u32();
  // random.getrandbits(k) for 0 <= k <= 32.
  uint32_t getrandbits(int k);
  // random._randbelow(n) for 1 <= n <= 2^32: rejection sampling on bit_length(n) bits.
  uint64_t randbelow(uint64_t n);

  // random.shuffle(x).
  template <typename T>
  void shuffle(std::vector<T>& x) {
    for (size_t i = x.size(); i-- > 1;) std::swap(x[i], x[size_t(randbelow(i + 1))]);
  }

  // random.sample(population, k) as positions into a population of size n; k > n is a halo::Error.
  std::vector<size_t> sample(size_t n, size_t k);

 private:
  static constexpr int kN = 624;
  void init_genrand(uint32_t s);
  void twist();

  std::array<uint32_t, kN> mt_{};
  int index_ = kN;
};

}  // namespace halo::eval
