// The variants of a layer sweep and where each one's results live, in the reference layout:
//   ROOT/original/                 the unconverted model
//   ROOT/{model_name}/layer{L}/    the model with only layer L converted
// Variants are ordered (original, then layers ascending) and dealt to shards round-robin, so N
// machines writing into one ROOT split the work without talking to each other.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "model/variant.h"

namespace halo::sweep {

struct SweepVariant {
  std::string label;               // "original" or "layer 7"
  std::filesystem::path relative;  // "original" or "{model_name}/layer7"
  model::Variant variant;
};

struct Shard {
  int index = 0;  // 0-based
  int count = 1;
};

// "I/N" with 0 <= I < N, e.g. "0/4".
Shard parse_shard(const std::string& text);

struct PlanOptions {
  int num_layers = 0;
  std::vector<int> layers;  // layers to convert one at a time
  std::string model_name;   // the folder under ROOT that holds layer{L}/
  bool include_original = true;
  Shard shard;
};

// The variants this shard runs, in order.
std::vector<SweepVariant> plan_variants(const PlanOptions& options);

}  // namespace halo::sweep
