#include "select/report_stability.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace halo::select {

std::string stability_section_html(const Ranking& r) {
  if (!r.stability) return "";
  const Stability& s = *r.stability;
  const std::vector<int>& chosen = r.selection.attention_layers;
  std::string tasks;
  for (const ResampledTask& t : s.tasks) {
    tasks += fmt::format("{}{} ({})", tasks.empty() ? "" : ", ", t.task, t.documents);
  }
  std::string h = "<h2 id=\"stability\">Ranking stability (bootstrap)</h2>\n";
  h += fmt::format(
      "<p class=\"meta\">{} replicates, seed {}: each task's documents resampled with replacement, "
      "the same documents for every variant (paired); tables, averages, scores and the top {} "
      "recomputed as above. Documents per task: {}.{}</p>\n",
      s.replicates, s.seed, s.k, tasks,
      s.ranked < s.replicates
          ? fmt::format(" {} replicate(s) could not rank the layers and are left out.", s.replicates - s.ranked)
          : std::string());
  if (s.ranked == 0) return h + "<p class=\"warn\">No replicate could rank the layers.</p>\n";
  h += fmt::format(
      "<p class=\"selection\" id=\"stability-selection\" data-selection-reproduced=\"{:.6f}\">The "
      "chosen set is reproduced in <b>{:.1f}%</b> of replicates.</p>\n",
      s.p_selection, 100 * s.p_selection);
  h += fmt::format(
      "<table id=\"stability-table\">\n<tr><th>layer</th><th>score</th><th>score 95% interval</th>"
      "<th>P(top {})</th><th style=\"text-align:left;width:40%\"></th></tr>\n",
      s.k);
  for (std::size_t l = 0; l < s.p_top_k.size(); ++l) {
    const bool kept = std::find(chosen.begin(), chosen.end(), static_cast<int>(l)) != chosen.end();
    h += fmt::format(
        "<tr{}><td>{}</td><td>{:.4f}</td><td>[{:.4f}, {:.4f}]</td><td data-p=\"{:.6f}\">{:.3f}</td>"
        "<td style=\"text-align:left\"><div style=\"background:{};height:10px;width:{:.1f}%\"></div>"
        "</td></tr>\n",
        kept ? " class=\"kept\"" : "", l, r.score[l], s.score_low[l], s.score_high[l], s.p_top_k[l],
        s.p_top_k[l], kept ? "#d9480f" : "#3b6ea8", 100 * s.p_top_k[l]);
  }
  return h + "</table>\n";
}

}  // namespace halo::select
