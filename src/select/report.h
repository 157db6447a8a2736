// The human-readable report of a rank run: report.html (self-contained: inline CSS and SVG, no
// scripts, nothing fetched) and the importance plot on its own as importance.svg.
#pragma once

#include <string>

#include "select/ranking.h"

namespace halo::select {

// Importance by layer: a line with a marker per layer, the chosen attention layers highlighted
// and labelled. A standalone SVG document (also embedded in the report).
std::string importance_svg(const Ranking& ranking);

// The report page: selection summary, the importance plot, each layer's commonsense and retrieval
// drop against the original model (chart and table), chosen layers highlighted throughout.
std::string report_html(const Ranking& ranking);

}  // namespace halo::select
