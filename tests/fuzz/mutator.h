// Deterministic input mutation for the fuzz driver (GCC has no libFuzzer): every mutated input is a
// function of (seed inputs, run seed, iteration) alone, so a finding is reproduced by its iteration
// number. The operators are the byte-level ones of AFL/libFuzzer (bit flips, interesting bytes,
// insert, delete, truncate, duplicate, splice with another seed) plus structure-aware ones for the
// text formats halo reads: JSON token swaps and replacements (huge and odd numbers, other strings,
// other value types, deep nesting, long strings) and line operations (JSON Lines, tables, logs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace halo::fuzz {

// splitmix64: small, fast, and the same on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  size_t below(size_t n);  // uniform enough in [0, n); n > 0
  bool one_in(size_t n) { return below(n) == 0; }

 private:
  uint64_t state_;
};

class Mutator {
 public:
  explicit Mutator(std::vector<std::string> seeds) : seeds_(std::move(seeds)) {}
  // The input of iteration `iteration`: a seed with 1..8 stacked mutations.
  std::string input(uint64_t run_seed, uint64_t iteration) const;
  const std::vector<std::string>& seeds() const { return seeds_; }

 private:
  void mutate_once(std::string& data, Rng& rng) const;
  std::vector<std::string> seeds_;
};

}  // namespace halo::fuzz
