#include "select/validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "base/atomic_file.h"
#include "base/error.h"
#include "select/importance.h"

namespace halo::select {
namespace fs = std::filesystem;

ValidatedHybrid measure_variant(const fs::path& dir, const std::string& label, std::vector<std::string>& columns) {
  ValidatedHybrid h;
  std::vector<std::string> names;
  for (Suite s : kSuites) {
    const fs::path path = dir / suite_log_name(s);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) fail("{}: {}: missing {} log", path.string(), label, suite_name(s));
    SuiteResults suite{path.string(), eval::parse_results_table(read_file(path), path.string())};
    if (suite.rows.empty()) fail("{}: {}: no lm-eval results table", suite.source, label);
    const SuiteAverage avg = suite_average(suite, s, label);
    (s == Suite::commonsense ? h.commonsense : h.retrieval) = avg.value;
    for (const std::string& kept : avg.kept) {
      // The value of the kept row "task/metric" (suite_average keeps only rows >= 0, so the first
      // such row of that task and metric is the one it averaged).
      const std::size_t slash = kept.find('/');
      for (const TableRow& row : suite.rows) {
        if (row.task == kept.substr(0, slash) && row.metric == kept.substr(slash + 1) && row.value >= 0) {
          h.values.push_back(row.value);
          break;
        }
      }
      names.push_back(kept);
    }
    if (columns.empty() && s == Suite::retrieval) {
      columns = names;
    } else if (s == Suite::retrieval && names != columns) {
      fail("{}: {}: averages {}, the other variants {}", suite.source, label, fmt::join(names, ", "),
           fmt::join(columns, ", "));
    }
  }
  return h;
}

std::vector<ValidatedHybrid> group_selections(const std::vector<NamedSelection>& selections) {
  std::vector<ValidatedHybrid> groups;
  for (const NamedSelection& s : selections) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const ValidatedHybrid& g) { return g.attention_layers == s.attention_layers; });
    if (it == groups.end()) {
      ValidatedHybrid g;
      g.attention_layers = s.attention_layers;
      g.folder = "validate/" + hybrid_folder_name(s.attention_layers);
      it = groups.insert(groups.end(), std::move(g));
    }
    it->names.push_back(s.name);
  }
  return groups;
}

std::string hybrid_folder_name(const std::vector<int>& attention_layers) {
  return fmt::format("attn-{}", fmt::join(attention_layers, "-"));
}

std::string validation_table(const Validation& v) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"selection", "attention layers"};
  for (const std::string& c : v.columns) header.push_back(c);
  header.push_back("commonsense");
  header.push_back("retrieval");
  rows.push_back(header);
  auto row = [&](const std::string& name, const std::string& layers, const ValidatedHybrid& h) {
    std::vector<std::string> r{name, layers};
    for (double value : h.values) r.push_back(fmt::format("{:.4f}", value));
    r.push_back(fmt::format("{:.4f}", h.commonsense));
    r.push_back(fmt::format("{:.4f}", h.retrieval));
    rows.push_back(std::move(r));
  };
  for (const ValidatedHybrid& h : v.hybrids) {
    row(fmt::format("{}", fmt::join(h.names, " = ")), fmt::format("{}", fmt::join(h.attention_layers, ",")), h);
  }
  row("original", "all", v.original);
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out = fmt::format("\nValidation (k = {} of {} layers; every other layer converted):\n", v.k, v.num_layers);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      out += i < 2 ? fmt::format("{:<{}}", r[i], width[i]) : fmt::format("{:>{}}", r[i], width[i]);
      out += i + 1 < r.size() ? " | " : "\n";
    }
  }
  return out;
}

}  // namespace halo::select
