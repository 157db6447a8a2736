// Statistics that compare two per-layer scores (`halo rank`'s agreement section, docs/rank.md):
// Spearman's rank correlation with tied values given their average rank, and the overlap of the
// top k layers of two rankings.
#pragma once

#include <vector>

namespace halo::select {

// 1-based ranks in ascending order of value; equal values share the mean of the ranks they span
// ({10, 20, 20, 30} → {1, 2.5, 2.5, 4}).
std::vector<double> average_ranks(const std::vector<double>& values);

// Spearman's ρ: Pearson's correlation of the two average-rank vectors. NaN when either score is
// constant (no order to correlate) or the vectors hold fewer than two values.
double spearman_rho(const std::vector<double>& a, const std::vector<double>& b);

// How many of the first k entries of `order_a` are among the first k of `order_b` (orders: layer
// indices, most important first, as rank_layers gives them).
int top_k_overlap(const std::vector<int>& order_a, const std::vector<int>& order_b, int k);

}  // namespace halo::select
