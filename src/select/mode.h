// The importance formula a ranking uses, and which of the sweep's suites it needs.
#pragma once

#include <string>

namespace halo::select {

enum class Mode { halo, jet_nemotron };
Mode parse_mode(const std::string& text);  // "halo" / "jet-nemotron", any letter case
const char* mode_name(Mode mode);          // "HALO" / "jet-nemotron", as the reference spells them

// HALO's score divides retrieval drops by commonsense drops, so it needs both suites; the
// Jet-Nemotron score is a retrieval drop and needs only the retrieval suite.
bool needs_commonsense(Mode mode);

// What the mode needs, for messages: "HALO mode needs the commonsense and retrieval results of every
// variant; --mode jet-nemotron needs only retrieval" / "jet-nemotron mode needs the retrieval results
// of every variant".
std::string mode_needs(Mode mode);

}  // namespace halo::select
