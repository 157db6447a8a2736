// Ranking layers by importance and choosing the attention layers.
//
// Tie rule: layers are ordered by descending score; layers with exactly equal scores are ordered
// by ascending layer index. (layer_analysis.py uses numpy's non-stable argsort, whose tie order
// depends on the numpy build; the published 2B and 4B HALO scores have no ties, so this rule
// reproduces their orders.)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "select/agreement.h"
#include "select/importance.h"
#include "select/stability.h"
#include "select/validation.h"

namespace halo::select {

// Layer indices, most important first, by the tie rule above.
std::vector<int> rank_layers(const std::vector<double>& score);

// k from --ratio: R·N rounded half up (floor(R·N + 0.5), with R·N within 1e-9 of a half counted
// as the half, so 0.35·10 gives 4 although the product is 3.4999...). R must be in (0, 1] and the
// result at least 1.
int count_from_ratio(double ratio, int num_layers);

// Scores within this distance are reported as a tie at the selection boundary.
inline constexpr double kTieTolerance = 1e-9;

struct Selection {
  int k = 0;
  std::string rule;                    // how k was chosen: "--select 7" or "--ratio 0.25 of 28"
  std::vector<int> attention_layers;   // the top k, ascending
  // When the k-th and (k+1)-th scores tie (within kTieTolerance): every layer of that tie, in rank
  // order; the tie rule decided which of them were kept. Empty otherwise.
  std::vector<int> boundary_tie;
};
Selection select_top(const std::vector<int>& order, const std::vector<double>& score, int k,
                     std::string rule);

// Everything a rank run computed; the outputs (stdout block, files, report) are views of it.
struct Ranking {
  std::string model;
  std::string source;
  Mode mode = Mode::halo;
  SweepAverages averages;
  std::vector<double> score;  // score[L]
  std::vector<int> order;     // layers, most important first
  Selection selection;
  // --score with a probe proxy (docs/probe.md): its name ("kl-text"); empty for the mode's score.
  std::string proxy;
  // False when ranked from probe.json alone: `averages` is empty and no drops are reported.
  bool has_sweep = true;
  // A sweep and a probe both present: how each proxy agrees with the sweep's score.
  std::optional<Agreement> agreement;
  std::optional<Stability> stability;  // rank --bootstrap on a sweep with per-document outcomes
  std::optional<Validation> validation;  // validation.json found in the sweep root (halo validate)
};

// The score's name for outputs: the proxy, or the mode's ("HALO", "jet-nemotron").
std::string score_label(const Ranking& ranking);

// ranking.json: the averages, scores, order, baselines and selection (docs/rank.md).
nlohmann::ordered_json ranking_json(const Ranking& ranking);

}  // namespace halo::select
