// A loaded model: the original checkpoint's layers plus, when a Stage-1 run is given, that run's
// lightning layers, all uploaded once. A Variant picks per layer which of the two is used, so every
// hybrid of a sweep is served from the same weights.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "backend/backend.h"
#include "io/checkpoint.h"
#include "model/layer_weights.h"
#include "model/variant.h"

namespace halo::model {

// Everything the runtime needs to run one layer: weights plus the settings from its config.
struct Layer {
  DecoderLayerWeights weights;
  backend::HeadShape shape;
  float rms_norm_eps = 1e-6f;
  bool use_rope = true;
  std::vector<float> inv_freq;  // RoPE inverse frequencies for this head dim
  // Attention only.
  io::LogitsScaling logits_scaling;
  // Lightning only.
  std::vector<float> slopes;
  float lightning_scale = 1.0f;
};

struct LoadOptions {
  std::optional<std::filesystem::path> rnn_dir;  // a Stage-1 run
  std::optional<int> rnn_step;                   // default: the highest ckpt_N
  // Which Stage-1 layers to upload (a sweep passes every layer; scoring only the converted ones).
  std::vector<int> rnn_layers;
};

class Model {
 public:
  static Model load(backend::Backend& backend, const std::filesystem::path& model_dir,
                    const LoadOptions& options = {});

  const io::ModelConfig& config() const { return config_; }
  const std::optional<io::ModelConfig>& rnn_config() const { return rnn_config_; }
  const std::filesystem::path& model_dir() const { return model_dir_; }
  const std::optional<std::filesystem::path>& rnn_dir() const { return rnn_dir_; }
  int rnn_step() const { return rnn_step_; }
  int num_layers() const { return config_.num_layers; }
  int64_t parameter_count() const { return parameter_count_; }

  // Throws when the variant converts a layer for which no Stage-1 layer was loaded.
  void check_variant(const Variant& variant) const;
  const Layer& layer(int index, const Variant& variant) const;
  // The model's own layer / the Stage-1 layer (null when not loaded).
  const Layer& own_layer(int index) const { return own_layers_[size_t(index)]; }
  const Layer* rnn_layer(int index) const;

  const backend::Tensor& embedding() const { return embedding_; }
  const backend::Tensor& final_norm() const { return final_norm_; }
  const backend::Tensor& lm_head() const { return lm_head_; }

 private:
  io::ModelConfig config_;
  std::optional<io::ModelConfig> rnn_config_;
  std::filesystem::path model_dir_;
  std::optional<std::filesystem::path> rnn_dir_;
  int rnn_step_ = 0;
  int64_t parameter_count_ = 0;
  backend::Tensor embedding_, final_norm_, lm_head_;
  std::vector<Layer> own_layers_;
  std::vector<std::optional<Layer>> rnn_layers_;
};

}  // namespace halo::model
