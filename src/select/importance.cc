#include "select/importance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "base/error.h"

namespace halo::select {
namespace {

// The reference's guard against a zero denominator for the layer with the best commonsense.
constexpr double kHaloEpsilon = 1e-10;
// The reference's clip: the best-commonsense layer would otherwise score (rt gap) / 1e-10.
constexpr double kHaloClip = 50.0;

std::string join(const std::vector<std::string>& items) {
  return items.empty() ? "(nothing)" : fmt::format("{}", fmt::join(items, ", "));
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// The first item of `a` that `b` lacks, or nullptr.
const std::string* first_not_in(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& item : a) {
    if (!contains(b, item)) return &item;
  }
  return nullptr;
}

// The rows every layer must average: the list most layers have (on a tie, the original's, then
// the lowest layer's), so that a message names the odd layer out rather than all the others.
const std::vector<std::string>& layers_rows(const std::vector<SuiteAverage>& layers,
                                            const SuiteAverage& original) {
  const std::vector<std::string>* best = &layers.front().kept;
  std::size_t best_count = 0;
  for (const SuiteAverage& candidate : layers) {
    const auto count = static_cast<std::size_t>(std::count_if(
        layers.begin(), layers.end(), [&](const SuiteAverage& a) { return a.kept == candidate.kept; }));
    const bool as_original = candidate.kept == original.kept && *best != original.kept;
    if (count > best_count || (count == best_count && as_original)) {
      best = &candidate.kept;
      best_count = count;
    }
  }
  return *best;
}

}  // namespace

SuiteAverage suite_average(const SuiteResults& suite, Suite which, const std::string& label) {
  const bool skip_first = which == Suite::commonsense;
  struct Entry {
    std::uint64_t context;
    double value;
    const std::string* metric;
  };
  // Tasks in the order the table names them; rows were grouped by task when loaded.
  std::vector<std::pair<std::string, std::vector<Entry>>> tasks;
  for (const TableRow& row : suite.rows) {
    if (tasks.empty() || tasks.back().first != row.task) tasks.emplace_back(row.task, std::vector<Entry>{});
    if (row.value < 0) continue;
    tasks.back().second.push_back({eval::metric_context(row.metric), row.value, &row.metric});
  }
  SuiteAverage avg;
  double sum = 0;
  for (auto& [task, entries] : tasks) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a.context < b.context; });
    std::size_t first = skip_first ? 1 : 0;
    if (entries.size() <= first) {
      fail("{}: {}: task {} has no {} value to average{}", suite.source, label, task,
           suite_name(which),
           skip_first ? " (the first metric row, acc, is dropped and acc_norm is kept)" : "");
    }
    for (std::size_t i = first; i < entries.size(); ++i) {
      sum += entries[i].value;
      avg.kept.push_back(task + "/" + *entries[i].metric);
    }
  }
  avg.value = sum / static_cast<double>(avg.kept.size());
  return avg;
}

SweepAverages average_sweep(const SweepResults& results) {
  SweepAverages out;
  out.has_commonsense = results.has_commonsense;
  if (!out.has_commonsense) out.cs_original = std::numeric_limits<double>::quiet_NaN();
  if (results.layers.empty()) fail("{}: no layer variants", results.source);
  for (Suite s : kSuites) {
    if (!results.has(s)) continue;
    const SuiteAverage original = suite_average(results.original.suite(s), s, results.original.label);
    std::vector<SuiteAverage> layers;
    for (const VariantResults& v : results.layers) {
      layers.push_back(suite_average(v.suite(s), s, v.label));
    }

    const std::vector<std::string>& expected = layers_rows(layers, original);
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const std::vector<std::string>& kept = layers[l].kept;
      if (kept == expected) continue;
      std::string what = "the values come in a different order";
      if (const std::string* missing = first_not_in(expected, kept)) {
        what = fmt::format("{} is missing", *missing);
      } else if (const std::string* extra = first_not_in(kept, expected)) {
        what = fmt::format("{} is not in the other layers' results", *extra);
      }
      const VariantResults& v = results.layers[l];
      fail("{}: {}: {} (its {} results average {}; the other layers' average {})",
           v.suite(s).source, v.label, what, suite_name(s), join(kept), join(expected));
    }

    // The original must have every row the layers average; rows beyond those are averaged too,
    // as layer_analysis.py averages every row of a log.
    AveragedRows rows{original.kept, expected, results.original.suite(s).source, {}};
    if (const std::string* missing = first_not_in(expected, original.kept)) {
      fail("{}: {}: {} is missing (every layer averages it; the original's {} results average {})",
           rows.original_source, results.original.label, *missing, suite_name(s),
           join(original.kept));
    }
    std::vector<std::string> shared;
    for (const auto& row : original.kept) {
      (contains(expected, row) ? shared : rows.original_extra).push_back(row);
    }
    if (shared != expected) {
      fail("{}: {}: the values come in a different order than in the layers' results (its {} "
           "results average {}; the layers' average {})",
           rows.original_source, results.original.label, suite_name(s), join(original.kept),
           join(expected));
    }

    (s == Suite::commonsense ? out.cs_original : out.rt_original) = original.value;
    std::vector<double>& per_layer = s == Suite::commonsense ? out.cs : out.rt;
    for (const SuiteAverage& a : layers) per_layer.push_back(a.value);
    (s == Suite::commonsense ? out.cs_rows : out.rt_rows) = std::move(rows);
  }
  return out;
}

std::vector<double> importance(const SweepAverages& a, Mode mode, const std::string& source) {
  const std::size_t n = a.rt.size();
  if (n < 2) fail("{}: {} layer(s) swept; ranking needs at least two", source, n);
  const auto [rt_min, rt_max] = std::minmax_element(a.rt.begin(), a.rt.end());
  if (*rt_min == *rt_max) {
    fail("{}: every layer has the same retrieval average ({}); the scores cannot rank the layers",
         source, *rt_max);
  }
  std::vector<double> score(n);
  if (mode == Mode::jet_nemotron) {
    for (std::size_t l = 0; l < n; ++l) score[l] = a.rt_original - a.rt[l];
    return score;
  }
  if (!a.has_commonsense) fail("{}: no commonsense results; {}", source, mode_needs(mode));
  const auto [cs_min, cs_max] = std::minmax_element(a.cs.begin(), a.cs.end());
  if (*cs_min == *cs_max) {
    fail("{}: every layer has the same commonsense average ({}); every HALO denominator is the "
         "1e-10 guard, so the scores cannot rank the layers",
         source, *cs_max);
  }
  for (std::size_t l = 0; l < n; ++l) {
    score[l] = std::min(kHaloClip, (*rt_max - a.rt[l]) / (*cs_max - a.cs[l] + kHaloEpsilon));
  }
  return score;
}

}  // namespace halo::select
