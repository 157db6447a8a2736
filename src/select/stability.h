// How sure a ranking is: what the bootstrap over the evaluated documents found (select/bootstrap.h
// computes it; ranking.json, stdout and the report show it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace halo::select {

struct ResampledTask {
  std::string suite, task;
  std::size_t documents = 0;
};

struct Stability {
  int replicates = 0;
  std::uint64_t seed = 0;
  int k = 0;
  // Replicates whose scores could rank the layers. A replicate in which every layer has the same
  // retrieval (or, HALO, commonsense) average cannot, as the ranking itself could not; it counts in
  // `replicates` but in none of the numbers below.
  int ranked = 0;
  std::vector<ResampledTask> tasks;  // in the order the indices are drawn
  std::vector<double> p_top_k;       // per layer: the share of ranked replicates keeping it
  std::vector<double> score_low;     // per layer: 2.5th percentile of its score
  std::vector<double> score_high;    // per layer: 97.5th percentile of its score
  double p_selection = 0;            // share of ranked replicates whose top k is the chosen set
};

// ranking.json's "stability" object (docs/rank.md).
nlohmann::ordered_json stability_json(const Stability& stability);

// The short summary `halo rank --bootstrap` prints: the replicates, how often the chosen set comes
// back, and P(top k) with the score interval of every layer that was ever in the top k.
std::string stability_summary(const Stability& stability, const std::vector<int>& chosen);

}  // namespace halo::select
