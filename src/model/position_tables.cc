#include "model/position_tables.h"

#include <cmath>

#include "base/error.h"

namespace halo::model {

std::vector<float> rope_inverse_frequencies(double theta, int head_dim) {
  if (head_dim % 2 != 0) fail("RoPE needs an even head dimension, got {}", head_dim);
  std::vector<float> inv(static_cast<size_t>(head_dim / 2));
  for (int i = 0; i < head_dim / 2; ++i) {
    float exponent = float(2 * i) / float(head_dim);
    inv[size_t(i)] = 1.0f / std::pow(float(theta), exponent);
  }
  return inv;
}

namespace {

std::vector<double> power_of_two_slopes(int n) {
  double start = std::pow(2.0, -std::pow(2.0, -(std::log2(double(n)) - 3.0)));
  std::vector<double> slopes(static_cast<size_t>(n));
  double value = start;
  for (int i = 0; i < n; ++i) {
    slopes[size_t(i)] = value;
    value *= start;
  }
  return slopes;
}

}  // namespace

std::vector<float> alibi_slopes(int heads) {
  if (heads <= 0) fail("lightning attention needs at least one head");
  int m = 1;
  while (m * 2 <= heads) m *= 2;
  std::vector<double> slopes = power_of_two_slopes(m);
  if (m != heads) {
    std::vector<double> doubled = power_of_two_slopes(2 * m);
    for (int i = 0; int(slopes.size()) < heads; i += 2) slopes.push_back(doubled[size_t(i)]);
  }
  return std::vector<float>(slopes.begin(), slopes.end());
}

}  // namespace halo::model
