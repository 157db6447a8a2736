// `halo rank --score`: a sweep-based importance (HALO or Jet-Nemotron, select/mode.h) or one of the
// proxy scores `halo probe` measures (eval/probe_record.h), which need no sweep.
#pragma once

#include <optional>
#include <string>

#include "select/mode.h"

namespace halo::select {

struct ScoreChoice {
  std::optional<Mode> mode;  // a sweep score
  std::string proxy;         // or a probe proxy: "kl-text", "kl-retrieval", "nll", "bi"
};

// "halo", "jet-nemotron" (any letter case) or a proxy name; anything else is a halo::Error that
// lists the choices.
ScoreChoice parse_score(const std::string& text);

}  // namespace halo::select
