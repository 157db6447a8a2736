#include "select/agreement.h"

#include <fmt/format.h>

#include <cmath>

#include "base/error.h"
#include "select/rank_statistics.h"
#include "select/ranking.h"

namespace halo::select {

Agreement compare_proxies(const std::string& reference, const std::vector<double>& reference_score, int k,
                          const eval::ProbeRecord& probe, const std::filesystem::path& probe_file) {
  if (size_t(probe.num_layers) != reference_score.size()) {
    fail("{}: num_layers: the probe has {} layers, the sweep {}", probe_file.string(), probe.num_layers,
         reference_score.size());
  }
  Agreement a;
  a.reference = reference;
  a.reference_score = reference_score;
  a.reference_order = rank_layers(reference_score);
  a.k = k;
  a.probe_file = probe_file;
  for (const std::string& name : eval::probe_proxy_names()) {
    if (!probe.proxies.contains(name)) continue;
    ProxyAgreement p;
    p.proxy = name;
    p.score = probe.proxy_by_layer(name, probe_file);
    p.order = rank_layers(p.score);
    p.spearman = spearman_rho(p.score, reference_score);
    p.overlap = top_k_overlap(p.order, a.reference_order, k);
    a.proxies.push_back(std::move(p));
  }
  return a;
}

nlohmann::ordered_json agreement_json(const Agreement& a) {
  using J = nlohmann::ordered_json;
  J proxies = J::object();
  for (const ProxyAgreement& p : a.proxies) {
    proxies[p.proxy] = J{{"scores", p.score},
                         {"order", p.order},
                         {"spearman", std::isfinite(p.spearman) ? J(p.spearman) : J(nullptr)},
                         {"top_k_overlap", p.overlap}};
  }
  return J{{"reference", a.reference},
           {"probe", a.probe_file.string()},
           {"k", a.k},
           {"statistics", "Spearman's rho with tied scores given their average rank; top_k_overlap: layers "
                          "among both scores' k highest"},
           {"proxies", proxies}};
}

std::string agreement_lines(const Agreement& a) {
  std::string out;
  for (const ProxyAgreement& p : a.proxies) {
    out += fmt::format("Agreement of {} with {}: Spearman rho {}, top-{} overlap {}/{}\n", p.proxy, a.reference,
                       std::isfinite(p.spearman) ? fmt::format("{:+.3f}", p.spearman) : std::string("n/a"), a.k,
                       p.overlap, a.k);
  }
  return out;
}

}  // namespace halo::select
