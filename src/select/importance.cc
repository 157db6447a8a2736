#include "select/importance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

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

}  // namespace

Mode parse_mode(const std::string& text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "halo") return Mode::halo;
  if (lower == "jet-nemotron") return Mode::jet_nemotron;
  fail("--mode {}: expected halo or jet-nemotron", text);
}

const char* mode_name(Mode mode) { return mode == Mode::halo ? "HALO" : "jet-nemotron"; }

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
    tasks.back().second.push_back({metric_context(row.metric), row.value, &row.metric});
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
  for (Suite s : kSuites) {
    const SuiteAverage original = suite_average(results.original.suite(s), s, results.original.label);
    (s == Suite::commonsense ? out.cs_original : out.rt_original) = original.value;
    std::vector<double>& per_layer = s == Suite::commonsense ? out.cs : out.rt;
    for (const VariantResults& v : results.layers) {
      const SuiteAverage avg = suite_average(v.suite(s), s, v.label);
      if (avg.kept != original.kept) {
        // Name the first value one side has and the other lacks.
        std::string what;
        for (const auto& k : original.kept) {
          if (std::find(avg.kept.begin(), avg.kept.end(), k) == avg.kept.end()) {
            what = fmt::format("{} is missing", k);
            break;
          }
        }
        if (what.empty()) {
          for (const auto& k : avg.kept) {
            if (std::find(original.kept.begin(), original.kept.end(), k) == original.kept.end()) {
              what = fmt::format("{} is not in the original model's results", k);
              break;
            }
          }
        }
        if (what.empty()) what = "the values come in a different order";
        fail("{}: {}: {} ({} averages {}; the original averages {})", v.suite(s).source, v.label,
             what, suite_name(s), join(avg.kept), join(original.kept));
      }
      per_layer.push_back(avg.value);
    }
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
