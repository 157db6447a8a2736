// The report's "Validation" section: the hybrids of HALO's and the alternative selections, when
// `halo validate` left validation.json in the sweep root. Its own file, like every report section.
#pragma once

#include <string>

#include "select/ranking.h"

namespace halo::select {

// The section's HTML, or "" when the ranking has no validation results.
std::string validation_section_html(const Ranking& ranking);

}  // namespace halo::select
