// How the probe's cheap proxy scores agree with the sweep's score (docs/rank.md, "Agreement"): per
// proxy, Spearman's ρ between the two per-layer scores and the overlap of their top k layers (k of
// the selection). The reference is HALO's score when the sweep has both suites, else Jet-Nemotron's.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/probe_record.h"

namespace halo::select {

struct ProxyAgreement {
  std::string proxy;
  std::vector<double> score;  // by layer
  std::vector<int> order;     // most important first (rank_layers)
  double spearman = 0;        // NaN when either score is constant
  int overlap = 0;            // of the top k layers
};

struct Agreement {
  std::string reference;               // "HALO" / "jet-nemotron"
  std::vector<double> reference_score;  // by layer
  std::vector<int> reference_order;
  int k = 0;
  std::filesystem::path probe_file;
  std::vector<ProxyAgreement> proxies;  // every proxy the probe measured, in probe_proxy_names() order
};

// Every proxy of `probe` (which must cover all the reference's layers) against the reference score.
Agreement compare_proxies(const std::string& reference, const std::vector<double>& reference_score, int k,
                          const eval::ProbeRecord& probe, const std::filesystem::path& probe_file);

// ranking.json's "agreement" object (ρ null when undefined).
nlohmann::ordered_json agreement_json(const Agreement& agreement);

// What `halo rank` prints: one line per proxy.
std::string agreement_lines(const Agreement& agreement);

}  // namespace halo::select
