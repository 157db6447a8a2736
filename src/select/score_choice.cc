#include "select/score_choice.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>

#include "base/error.h"
#include "eval/probe_record.h"

namespace halo::select {

ScoreChoice parse_score(const std::string& text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "halo") return {Mode::halo, ""};
  if (lower == "jet-nemotron") return {Mode::jet_nemotron, ""};
  for (const std::string& proxy : eval::probe_proxy_names()) {
    if (lower == proxy) return {std::nullopt, proxy};
  }
  fail("--score {}: expected halo, jet-nemotron, {}", text, fmt::join(eval::probe_proxy_names(), ", "));
}

}  // namespace halo::select
