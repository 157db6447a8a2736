#include "select/named_selection.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <set>

#include "base/error.h"
#include "select/importance.h"
#include "select/ranking.h"
#include "select/seeded_draw.h"

namespace halo::select {

NamedSelection ranked_selection(const SweepResults& results, Mode mode, int k) {
  const std::vector<double> score = importance(average_sweep(results), mode, results.source);
  const Selection s = select_top(rank_layers(score), score, k, fmt::format("--select {}", k));
  return {mode_name(mode), s.attention_layers,
          fmt::format("the top {} of the {} scores of the sweep", k, mode_name(mode))};
}

NamedSelection evenly_spaced_selection(int num_layers, int k) {
  HALO_CHECK(k >= 1 && k <= num_layers, "--select {}: expected between 1 and {} attention layers", k, num_layers);
  NamedSelection s{"evenly-spaced", {}, fmt::format("the middle layer of each of {} equal blocks", k)};
  for (int i = 0; i < k; ++i) {
    s.attention_layers.push_back(static_cast<int>((2LL * i + 1) * num_layers / (2LL * k)));
  }
  return s;
}

NamedSelection random_selection(int num_layers, int k, std::uint64_t seed) {
  HALO_CHECK(k >= 1 && k <= num_layers, "--select {}: expected between 1 and {} attention layers", k, num_layers);
  std::mt19937_64 engine(seed);
  return {"random", choose_distinct(engine, num_layers, k),
          fmt::format("{} layers drawn uniformly without replacement, seed {}", k, seed)};
}

std::vector<NamedSelection> default_selections(const SweepResults& results, int k, std::uint64_t seed) {
  const int n = static_cast<int>(results.layers.size());
  HALO_CHECK(k >= 1 && k <= n, "--select {}: expected between 1 and {} attention layers", k, n);
  return {ranked_selection(results, Mode::halo, k), ranked_selection(results, Mode::jet_nemotron, k),
          evenly_spaced_selection(n, k), random_selection(n, k, seed)};
}

std::vector<NamedSelection> proxy_selections(const eval::ProbeRecord& probe, const std::filesystem::path& path,
                                             int k) {
  std::vector<NamedSelection> out;
  if (static_cast<int>(probe.layers.size()) != probe.num_layers) return out;  // not every layer probed
  for (const std::string& proxy : eval::probe_proxy_names()) {
    if (!probe.proxies.contains(proxy)) continue;
    const std::vector<double> score = probe.proxy_by_layer(proxy, path);
    const Selection s = select_top(rank_layers(score), score, k, fmt::format("--select {}", k));
    out.push_back({proxy, s.attention_layers, fmt::format("the top {} of the {} proxy ({})", k, proxy, path.string())});
  }
  return out;
}

void check_selection(const NamedSelection& s, int num_layers, int k) {
  if (s.name.empty()) fail("a selection has no name");
  if (static_cast<int>(s.attention_layers.size()) != k) {
    fail("selection {}: {} layers, expected {}", s.name, s.attention_layers.size(), k);
  }
  std::set<int> seen;
  for (int layer : s.attention_layers) {
    if (layer < 0 || layer >= num_layers) fail("selection {}: layer {} is not in 0..{}", s.name, layer, num_layers - 1);
    if (!seen.insert(layer).second) fail("selection {}: layer {} is named twice", s.name, layer);
  }
}

}  // namespace halo::select
