// The HypeNet config of the chosen hybrid: the run's config with `mixer_types` set to "attn" at
// the kept layers and "lightning-attn" (the RNN mixer) everywhere else.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace halo::select {

inline constexpr const char* kAttentionMixer = "attn";
inline constexpr const char* kRnnMixer = "lightning-attn";

// `base`: a HF Qwen3 config.json, a HypeNet config, or a Stage-1 run's orig_config.json; every
// field is kept in its order and only mixer_types is replaced. Its num_hidden_layers must equal
// `num_layers` (the swept layers). Without a base the config holds just num_hidden_layers and
// mixer_types. Returns the JSON text (2-space indent, final newline).
std::string hypenet_config_text(const std::optional<std::filesystem::path>& base, int num_layers,
                                const std::vector<int>& attention_layers);

}  // namespace halo::select
