// Per-model constants derived from the config: RoPE inverse frequencies and the ALiBi slopes that
// set lightning attention's per-head decay.
#pragma once

#include <vector>

namespace halo::model {

// inv_freq_i = theta^(-2i/d) for i < d/2, in fp32 as HF computes it.
std::vector<float> rope_inverse_frequencies(double theta, int head_dim);

// ALiBi slopes for n heads: for a power of two, start = 2^(-2^(-(log2 n - 3))) and
// slope_i = start^(i+1); otherwise the slopes of the closest smaller power of two m followed by
// every other slope of 2m, truncated to n.
std::vector<float> alibi_slopes(int heads);

}  // namespace halo::model
