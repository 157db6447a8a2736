// Named choices of attention layers that `halo validate` compares at one k: HALO's own, and
// alternatives. The list is open: a caller may append further named selections (e.g. from proxy
// scores) before validating.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eval/probe_record.h"
#include "select/mode.h"
#include "select/sweep_results.h"

namespace halo::select {

struct NamedSelection {
  std::string name;                   // "HALO", "jet-nemotron", "evenly-spaced", "random", ...
  std::vector<int> attention_layers;  // ascending, distinct, each in [0, N)
  std::string how;                    // one line: how the layers were chosen
};

// The top k layers of `mode`'s scores on a sweep's results, as `halo rank` would choose them.
NamedSelection ranked_selection(const SweepResults& results, Mode mode, int k);

// k layers spread evenly over N: the middle layer of each of k equal blocks, floor((2i + 1) N / 2k)
// for i = 0..k-1 (N = 28, k = 7: 2, 6, 10, 14, 18, 22, 26).
NamedSelection evenly_spaced_selection(int num_layers, int k);

// k layers drawn uniformly without replacement with the seed (select/seeded_draw.h).
NamedSelection random_selection(int num_layers, int k, std::uint64_t seed);

// The defaults, in this order: HALO, jet-nemotron (Jet-Nemotron's retrieval-drop score), evenly
// spaced, random (seeded). k must be in [1, N].
std::vector<NamedSelection> default_selections(const SweepResults& results, int k, std::uint64_t seed);

// The top k layers of each proxy that `probe` measured on every layer (`halo probe`), named after
// the proxy, in probe_proxy_names() order; proxies missing for some layer are left out.
std::vector<NamedSelection> proxy_selections(const eval::ProbeRecord& probe, const std::filesystem::path& path, int k);

// Checks a selection given from outside: a name, k distinct layers in [0, N). One-line error
// naming the selection.
void check_selection(const NamedSelection& selection, int num_layers, int k);

}  // namespace halo::select
