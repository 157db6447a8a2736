// Spearman's rho with average ranks and the top-k overlap, against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "select/rank_statistics.h"
#include "select/ranking.h"

namespace halo::select {
namespace {

TEST(RankStatistics, AverageRanksShareTies) {
  EXPECT_EQ(average_ranks({10, 20, 20, 30}), (std::vector<double>{1, 2.5, 2.5, 4}));
  EXPECT_EQ(average_ranks({3, 1, 2}), (std::vector<double>{3, 1, 2}));
  EXPECT_EQ(average_ranks({5, 5, 5}), (std::vector<double>{2, 2, 2}));
  EXPECT_EQ(average_ranks({0.2, 0.2, 0.1, 0.4}), (std::vector<double>{2.5, 2.5, 1, 4}));
}

TEST(RankStatistics, SpearmanByHand) {
  // Ranks 1..5 against {1, 2, 3.5, 5, 3.5}: deviations (−2,−1,0,1,2) and (−2,−1,0.5,2,0.5),
  // covariance 8, variances 10 and 9.5: ρ = 8 / √95.
  EXPECT_NEAR(spearman_rho({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}), 8 / std::sqrt(95.0), 1e-15);
  // No ties: 1 − 6 Σd² / (n(n²−1)) with d = (1, 0, −1, 0): 1 − 12/60.
  EXPECT_NEAR(spearman_rho({0.9, 0.1, 0.5, 0.3}, {3.125, 0, 50, 1.25}), 0.8, 1e-15);
  // Ranks {2.5, 2.5, 1, 4} against {3, 1, 4, 2}: covariance −3, variances 4.5 and 5.
  EXPECT_NEAR(spearman_rho({0.2, 0.2, 0.1, 0.4}, {3.125, 0, 50, 1.25}), -3 / std::sqrt(22.5), 1e-15);
  EXPECT_NEAR(spearman_rho({1, 2, 3}, {30, 20, 10}), -1.0, 1e-15);
  EXPECT_NEAR(spearman_rho({1, 2, 3}, {1, 4, 9}), 1.0, 1e-15);  // monotone, not linear
  EXPECT_TRUE(std::isnan(spearman_rho({1, 1, 1}, {1, 2, 3})));  // a constant score has no order
  EXPECT_TRUE(std::isnan(spearman_rho({1}, {2})));
}

TEST(RankStatistics, TopKOverlap) {
  const std::vector<int> a = rank_layers({0.9, 0.1, 0.5, 0.3});  // 0, 2, 3, 1
  const std::vector<int> b = rank_layers({3.125, 0, 50, 1.25});  // 2, 0, 3, 1
  EXPECT_EQ(top_k_overlap(a, b, 1), 0);
  EXPECT_EQ(top_k_overlap(a, b, 2), 2);
  EXPECT_EQ(top_k_overlap(a, b, 4), 4);
  const std::vector<int> ties = rank_layers({0.2, 0.2, 0.1, 0.4});  // 3, then 0 before 1 (tie rule), 2
  EXPECT_EQ(ties, (std::vector<int>{3, 0, 1, 2}));
  EXPECT_EQ(top_k_overlap(ties, b, 2), 1);
  EXPECT_EQ(top_k_overlap(ties, b, 0), 0);
}

}  // namespace
}  // namespace halo::select
