#include "select/rank_statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "base/error.h"

namespace halo::select {

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    // Positions i..j (0-based) hold one value: ranks i+1..j+1, whose mean is (i + j) / 2 + 1.
    const double rank = double(i + j) / 2.0 + 1.0;
    for (size_t t = i; t <= j; ++t) ranks[order[t]] = rank;
    i = j + 1;
  }
  return ranks;
}

double spearman_rho(const std::vector<double>& a, const std::vector<double>& b) {
  HALO_CHECK(a.size() == b.size(), "internal: Spearman's rho of {} and {} values", a.size(), b.size());
  const size_t n = a.size();
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> ra = average_ranks(a), rb = average_ranks(b);
  const double mean = double(n + 1) / 2.0;  // the mean of any average-rank vector
  double cov = 0, va = 0, vb = 0;
  for (size_t i = 0; i < n; ++i) {
    cov += (ra[i] - mean) * (rb[i] - mean);
    va += (ra[i] - mean) * (ra[i] - mean);
    vb += (rb[i] - mean) * (rb[i] - mean);
  }
  if (va == 0 || vb == 0) return std::numeric_limits<double>::quiet_NaN();
  return cov / std::sqrt(va * vb);
}

int top_k_overlap(const std::vector<int>& order_a, const std::vector<int>& order_b, int k) {
  HALO_CHECK(k >= 0 && size_t(k) <= order_a.size() && size_t(k) <= order_b.size(),
             "internal: top-{} overlap of orders of {} and {} layers", k, order_a.size(), order_b.size());
  const std::set<int> top_b(order_b.begin(), order_b.begin() + k);
  int shared = 0;
  for (int i = 0; i < k; ++i) shared += top_b.count(order_a[size_t(i)]) ? 1 : 0;
  return shared;
}

}  // namespace halo::select
