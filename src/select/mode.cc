#include "select/mode.h"

#include <cctype>

#include "base/error.h"

namespace halo::select {

Mode parse_mode(const std::string& text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "halo") return Mode::halo;
  if (lower == "jet-nemotron") return Mode::jet_nemotron;
  fail("--mode {}: expected halo or jet-nemotron", text);
}

const char* mode_name(Mode mode) { return mode == Mode::halo ? "HALO" : "jet-nemotron"; }

bool needs_commonsense(Mode mode) { return mode == Mode::halo; }

std::string mode_needs(Mode mode) {
  return mode == Mode::halo ? "HALO mode needs the commonsense and retrieval results of every "
                              "variant; --mode jet-nemotron needs only retrieval"
                            : "jet-nemotron mode needs the retrieval results of every variant";
}

}  // namespace halo::select
