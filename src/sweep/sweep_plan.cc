#include "sweep/sweep_plan.h"

#include <fmt/format.h>

#include <charconv>

#include "base/error.h"
#include "eval/sweep_layout.h"

namespace halo::sweep {

Shard parse_shard(const std::string& text) {
  size_t slash = text.find('/');
  Shard shard;
  auto number = [&](std::string_view s, int& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
  };
  std::string_view all(text);
  if (slash == std::string::npos || !number(all.substr(0, slash), shard.index) ||
      !number(all.substr(slash + 1), shard.count) || shard.count < 1 || shard.index < 0 ||
      shard.index >= shard.count) {
    fail("--shard: '{}' is not I/N with 0 <= I < N (e.g. 0/4)", text);
  }
  return shard;
}

std::vector<SweepVariant> plan_variants(const PlanOptions& options) {
  std::vector<SweepVariant> all;
  if (options.include_original) {
    const std::string original(eval::kOriginalFolder);
    all.push_back({original, original, model::Variant::original(options.num_layers)});
  }
  for (int layer : options.layers) {
    all.push_back({fmt::format("layer {}", layer),
                   std::filesystem::path(options.model_name) / eval::layer_folder(layer),
                   model::Variant::converting(options.num_layers, {layer})});
  }
  std::vector<SweepVariant> mine;
  for (size_t i = 0; i < all.size(); ++i) {
    if (int(i % size_t(options.shard.count)) == options.shard.index) mine.push_back(all[i]);
  }
  return mine;
}

}  // namespace halo::sweep
