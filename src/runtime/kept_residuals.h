// The residual stream of one pass kept at the input of the layers some variant starts from
// (layer-prefix reuse): a tap for Decoder::run_layers copies it there, and each variant takes a
// private copy to run its own layers on in place.
#pragma once

#include <map>
#include <span>

#include "backend/backend.h"
#include "runtime/decoder.h"

namespace halo::runtime {

class KeptResiduals {
 public:
  KeptResiduals(backend::Backend& backend, std::span<const int> layers) : backend_(backend) {
    for (int layer : layers) kept_[layer];
  }
  // For Decoder::run_layers: copies x at every wanted layer's input.
  LayerInputTap tap() {
    return [this](int layer, const backend::Tensor& x) {
      auto it = kept_.find(layer);
      if (it != kept_.end()) it->second = copy_of(x);
    };
  }
  // The pass stopped before `layer`: x is the residual at its input (or the final residual when
  // `layer` is the number of layers). Taken over, not copied.
  void keep_end(int layer, backend::Tensor x) {
    auto it = kept_.find(layer);
    if (it != kept_.end()) it->second = std::move(x);
  }
  const backend::Tensor& at(int layer) const { return kept_.at(layer); }
  // A private copy for a variant's own pass, which works in place.
  backend::Tensor copy_at(int layer) const { return copy_of(kept_.at(layer)); }

 private:
  backend::Tensor copy_of(const backend::Tensor& x) const {
    backend::Tensor t = backend_.alloc(x.rows(), x.cols());
    backend_.copy(x, t);
    return t;
  }
  backend::Backend& backend_;
  std::map<int, backend::Tensor> kept_;
};

}  // namespace halo::runtime
