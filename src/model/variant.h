// A variant says, per layer, whether the layer is the model's own or the Stage-1 RNN layer that
// replaces it ("converted"). All false = the original model. The same loaded weights serve every
// variant, so a sweep never copies or writes a checkpoint.
#pragma once

#include <string>
#include <vector>

namespace halo::model {

struct Variant {
  std::vector<bool> converted;  // one entry per layer

  static Variant original(int num_layers);
  // Layers listed in `layers` converted; indices must be < num_layers.
  static Variant converting(int num_layers, const std::vector<int>& layers);

  bool any_converted() const;
  // The first converted layer; the number of layers for the original. The variant equals the
  // original model below it, which is what layer-prefix reuse builds on.
  int first_converted() const;
  std::vector<int> converted_layers() const;
  // "original" or "lightning at 3,5,6".
  std::string describe() const;
};

}  // namespace halo::model
