#include "model/variant.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/error.h"

namespace halo::model {

Variant Variant::original(int num_layers) { return Variant{std::vector<bool>(size_t(num_layers))}; }

Variant Variant::converting(int num_layers, const std::vector<int>& layers) {
  Variant v = original(num_layers);
  for (int layer : layers) {
    if (layer < 0 || layer >= num_layers) {
      fail("--convert: index {} out of range (the model has {} layers: 0-{})", layer, num_layers,
           num_layers - 1);
    }
    v.converted[size_t(layer)] = true;
  }
  return v;
}

int Variant::first_converted() const {
  for (size_t i = 0; i < converted.size(); ++i) {
    if (converted[i]) return int(i);
  }
  return int(converted.size());
}

bool Variant::any_converted() const {
  for (bool c : converted) {
    if (c) return true;
  }
  return false;
}

std::vector<int> Variant::converted_layers() const {
  std::vector<int> layers;
  for (size_t i = 0; i < converted.size(); ++i) {
    if (converted[i]) layers.push_back(int(i));
  }
  return layers;
}

std::string Variant::describe() const {
  if (!any_converted()) return "original";
  return fmt::format("lightning at {}", fmt::join(converted_layers(), ","));
}

}  // namespace halo::model
