#include "select/seeded_draw.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "base/error.h"

namespace halo::select {

std::uint64_t uniform_below(std::mt19937_64& engine, std::uint64_t n) {
  HALO_CHECK(n > 0, "internal: an index below 0 requested");
  const std::uint64_t reject_below = (std::uint64_t{0} - n) % n;  // 2^64 mod n
  for (;;) {
    const std::uint64_t x = engine();
    if (x >= reject_below) return x % n;
  }
}

std::vector<int> choose_distinct(std::mt19937_64& engine, int n, int k) {
  HALO_CHECK(k >= 0 && k <= n, "internal: {} distinct values of {} requested", k, n);
  std::vector<int> values(static_cast<std::size_t>(n));
  std::iota(values.begin(), values.end(), 0);
  for (int i = 0; i < k; ++i) {
    const auto j = i + static_cast<int>(uniform_below(engine, static_cast<std::uint64_t>(n - i)));
    std::swap(values[static_cast<std::size_t>(i)], values[static_cast<std::size_t>(j)]);
  }
  values.resize(static_cast<std::size_t>(k));
  std::sort(values.begin(), values.end());
  return values;
}

}  // namespace halo::select
