// The report's "Ranking stability" section (rank --bootstrap): kept apart from report.cc so each
// section of the page has its own file.
#pragma once

#include <string>

#include "select/ranking.h"

namespace halo::select {

// The section's HTML, or "" when the ranking has no bootstrap results.
std::string stability_section_html(const Ranking& ranking);

}  // namespace halo::select
