// The parts of report.html that come from `halo probe` (docs/rank.md): the agreement section (per
// proxy Spearman's ρ and top-k overlap with the sweep's score, and a scatter plot of proxy score
// against sweep score per proxy), and the page's header and table when a proxy ranks without a
// sweep. Kept apart from report.cc, which draws the sweep's charts.
#pragma once

#include <string>

#include "select/agreement.h"
#include "select/ranking.h"

namespace halo::select {

std::string agreement_section_html(const Agreement& agreement, const Selection& selection);

// Ranked from probe.json alone: the line under the title, and the per-layer table (no drops).
std::string probe_only_meta_html(const Ranking& ranking);
std::string probe_only_table_html(const Ranking& ranking);

}  // namespace halo::select
