#include "select/ranking.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/error.h"
#include "eval/sweep_layout.h"

namespace halo::select {

std::vector<int> rank_layers(const std::vector<double>& score) {
  std::vector<int> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (score[a] != score[b]) return score[a] > score[b];
    return a < b;
  });
  return order;
}

int count_from_ratio(double ratio, int num_layers) {
  if (!(ratio > 0 && ratio <= 1)) fail("--ratio {}: expected a fraction in (0, 1]", ratio);
  const int k = static_cast<int>(std::floor(ratio * num_layers + 0.5 + 1e-9));
  if (k < 1) {
    fail("--ratio {} of {} layers rounds to 0 attention layers; use a larger ratio or --select",
         ratio, num_layers);
  }
  return k;
}

Selection select_top(const std::vector<int>& order, const std::vector<double>& score, int k,
                     std::string rule) {
  const int n = static_cast<int>(order.size());
  if (k < 1 || k > n) fail("{}: expected between 1 and {} attention layers", rule, n);
  Selection s;
  s.k = k;
  s.rule = std::move(rule);
  s.attention_layers.assign(order.begin(), order.begin() + k);
  std::sort(s.attention_layers.begin(), s.attention_layers.end());
  if (k < n) {
    const double edge = score[order[k - 1]];
    if (std::abs(edge - score[order[k]]) <= kTieTolerance) {
      for (int layer : order) {
        if (std::abs(score[layer] - edge) <= kTieTolerance) s.boundary_tie.push_back(layer);
      }
    }
  }
  return s;
}

std::string score_label(const Ranking& r) { return r.proxy.empty() ? mode_name(r.mode) : r.proxy; }

nlohmann::ordered_json ranking_json(const Ranking& r) {
  using J = nlohmann::ordered_json;
  const std::size_t n = r.score.size();
  std::vector<int> layers(n);
  std::iota(layers.begin(), layers.end(), 0);
  std::vector<int> rank_of(n);
  for (std::size_t i = 0; i < n; ++i) rank_of[static_cast<std::size_t>(r.order[i])] = static_cast<int>(i) + 1;
  J j;
  j["model"] = r.model;
  j["source"] = r.source;
  j["mode"] = score_label(r);
  j["layers"] = layers;
  const SweepAverages& a = r.averages;
  j["commonsense"] = r.has_sweep && a.has_commonsense ? J(a.cs) : J(nullptr);
  j["retrieval"] = r.has_sweep ? J(r.averages.rt) : J(nullptr);
  j["scores"] = r.score;
  j["rank"] = rank_of;
  j["order"] = r.order;
  j["tie_rule"] = "descending score; equal scores in ascending layer index";
  j["baselines"] = r.has_sweep ? J{{"commonsense", a.has_commonsense ? J(a.cs_original) : J(nullptr)},
                                   {"retrieval", a.rt_original}}
                                : J(nullptr);
  j["selection"] = J{{"k", r.selection.k},
                     {"rule", r.selection.rule},
                     {"attention_layers", r.selection.attention_layers},
                     {"boundary_tie", r.selection.boundary_tie}};
  // The table rows behind each average ("task/metric", in summation order), per variant and suite.
  auto rows_of = [&](bool original) {
    J suites = J::object();
    for (Suite s : kSuites) {
      if (s == Suite::commonsense && !a.has_commonsense) continue;
      const AveragedRows& rows = s == Suite::commonsense ? a.cs_rows : a.rt_rows;
      suites[std::string(suite_name(s))] = original ? rows.original : rows.layers;
    }
    return suites;
  };
  J averaged = J::object();
  averaged[std::string(eval::kOriginalFolder)] = rows_of(true);
  for (std::size_t l = 0; l < n; ++l) {
    averaged[eval::layer_folder(static_cast<int>(l))] = rows_of(false);
  }
  j["averaged_rows"] = r.has_sweep ? averaged : J(nullptr);
  if (r.agreement) j["agreement"] = agreement_json(*r.agreement);
  if (r.stability) j["stability"] = stability_json(*r.stability);
  return j;
}

}  // namespace halo::select
