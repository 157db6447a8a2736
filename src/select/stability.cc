#include "select/stability.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace halo::select {

nlohmann::ordered_json stability_json(const Stability& s) {
  using J = nlohmann::ordered_json;
  // NaN (no ranked replicate) is written as null.
  auto number = [](double v) { return std::isfinite(v) ? J(v) : J(nullptr); };
  J tasks = J::array();
  for (const ResampledTask& t : s.tasks) {
    tasks.push_back(J{{"suite", t.suite}, {"task", t.task}, {"documents", t.documents}});
  }
  J p = J::array(), ci = J::array();
  for (std::size_t l = 0; l < s.p_top_k.size(); ++l) {
    p.push_back(number(s.p_top_k[l]));
    ci.push_back(J::array({number(s.score_low[l]), number(s.score_high[l])}));
  }
  return J{{"method",
            "paired bootstrap: each task's documents resampled with replacement, the same draws for "
            "every variant; tables, averages, scores and top k recomputed as the ranking computes them"},
           {"prng",
            "std::mt19937_64 seeded with seed; an index in [0, n) is x mod n for the first output x "
            ">= 2^64 mod n; replicates, then tasks in the listed order, then documents"},
           {"replicates", s.replicates},
           {"seed", s.seed},
           {"k", s.k},
           {"ranked_replicates", s.ranked},
           {"tasks", std::move(tasks)},
           {"selection_reproduced", number(s.p_selection)},
           {"p_top_k", std::move(p)},
           {"score_ci95", std::move(ci)}};
}

std::string stability_summary(const Stability& s, const std::vector<int>& chosen) {
  std::string out = fmt::format(
      "\nBootstrap: {} replicates (seed {}), documents resampled within each task, the same for every "
      "variant",
      s.replicates, s.seed);
  if (s.ranked < s.replicates) {
    out += fmt::format("; {} could not rank the layers (every layer with one average)",
                       s.replicates - s.ranked);
  }
  out += "\n";
  if (s.ranked == 0) return out + "No replicate could rank the layers.\n";
  out += fmt::format("Chosen set reproduced in {:.1f}% of replicates\n", 100 * s.p_selection);
  // The chosen layers, then every other layer that was ever in the top k; most often kept first.
  std::vector<int> shown;
  for (int l = 0; l < static_cast<int>(s.p_top_k.size()); ++l) {
    const bool kept = std::find(chosen.begin(), chosen.end(), l) != chosen.end();
    if (kept || s.p_top_k[static_cast<std::size_t>(l)] > 0) shown.push_back(l);
  }
  std::stable_sort(shown.begin(), shown.end(), [&](int a, int b) {
    return s.p_top_k[static_cast<std::size_t>(a)] > s.p_top_k[static_cast<std::size_t>(b)];
  });
  out += fmt::format("Layer | chosen | P(top {}) | score 95% interval\n", s.k);
  for (int l : shown) {
    const auto i = static_cast<std::size_t>(l);
    const bool kept = std::find(chosen.begin(), chosen.end(), l) != chosen.end();
    out += fmt::format("{:>5} | {:<6} | {:>8.3f} | [{:.4f}, {:.4f}]\n", l, kept ? "yes" : "", s.p_top_k[i],
                       s.score_low[i], s.score_high[i]);
  }
  return out;
}

}  // namespace halo::select
