// Seeded random choices whose results are fixed by the seed alone: std::mt19937_64 (its output
// sequence is specified by the C++ standard) with integer mappings written here, since
// std::uniform_int_distribution's algorithm differs between standard libraries.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace halo::select {

// An index in [0, n), n > 0: the first 64-bit output x with x >= 2^64 mod n, taken mod n
// (rejection, so every index is equally likely).
std::uint64_t uniform_below(std::mt19937_64& engine, std::uint64_t n);

// k distinct values of [0, n), ascending: a partial Fisher-Yates shuffle of 0..n-1 whose step i
// swaps position i with i + uniform_below(n - i), for i = 0..k-1; the first k positions are taken.
std::vector<int> choose_distinct(std::mt19937_64& engine, int n, int k);

}  // namespace halo::select
