#include "model/model.h"

#include <fmt/format.h>

#include <cmath>

#include "base/error.h"
#include "io/model_shapes.h"
#include "model/position_tables.h"

namespace halo::model {

namespace {

Layer make_layer(backend::Backend& backend, const io::TensorStore& store,
                 const io::ModelConfig& config, int index, io::MixerKind kind) {
  Layer layer;
  layer.weights = load_decoder_layer(backend, store, config, index, kind);
  layer.rms_norm_eps = float(config.rms_norm_eps);
  if (kind == io::MixerKind::attention) {
    layer.shape = {config.num_heads, config.num_kv_heads, config.head_dim};
    layer.use_rope = config.attn_use_rope;
    layer.logits_scaling = config.attn_logits_scaling;
  } else {
    const io::LightningConfig& lc = config.lightning;
    int kv_heads = config.expand_kv_proj ? lc.num_heads : lc.num_kv_heads;
    if (kv_heads <= 0 || lc.num_heads % kv_heads != 0) {
      fail("layer {}: lightning_nh {} is not a multiple of lightning_nkv {}", index, lc.num_heads,
           kv_heads);
    }
    layer.shape = {lc.num_heads, kv_heads, lc.head_dim};
    layer.use_rope = lc.use_rope;
    layer.slopes = alibi_slopes(lc.num_heads);
    switch (lc.scale) {
      case io::LightningScale::inv_sqrt_d: layer.lightning_scale = 1.0f / std::sqrt(float(lc.head_dim)); break;
      case io::LightningScale::inv_d: layer.lightning_scale = 1.0f / float(lc.head_dim); break;
      case io::LightningScale::one: layer.lightning_scale = 1.0f; break;
    }
  }
  if (layer.use_rope) layer.inv_freq = rope_inverse_frequencies(config.rope_theta, layer.shape.head_dim);
  return layer;
}

// The run must describe the same network as the model, or its layers cannot be swapped in.
void check_run_matches(const io::ModelConfig& model, const io::ModelConfig& run,
                       const std::filesystem::path& run_dir) {
  auto same = [&](const char* key, int64_t a, int64_t b) {
    if (a != b) {
      fail("{}: {} is {} but the model's config.json has {}", (run_dir / "orig_config.json").string(),
           key, b, a);
    }
  };
  same("hidden_size", model.hidden_size, run.hidden_size);
  same("num_hidden_layers", model.num_layers, run.num_layers);
  same("intermediate_size", model.intermediate_size, run.intermediate_size);
  same("vocab_size", model.vocab_size, run.vocab_size);
}

int64_t count(const backend::Tensor& t) { return t.empty() ? 0 : t.numel(); }

int64_t count_layer(const Layer& layer) {
  const DecoderLayerWeights& w = layer.weights;
  int64_t n = count(w.mlp.input_norm) + count(w.mlp.post_norm) + count(w.mlp.gate) +
              count(w.mlp.up) + count(w.mlp.down);
  if (w.kind == io::MixerKind::attention) {
    const AttentionWeights& a = w.attention;
    return n + count(a.q) + count(a.k) + count(a.v) + count(a.o) + count(a.q_norm) +
           count(a.k_norm) + count(a.o_gate);
  }
  const LightningWeights& l = w.lightning;
  return n + count(l.q) + count(l.k) + count(l.v) + count(l.o) + count(l.q_norm) + count(l.k_norm) +
         count(l.o_norm) + count(l.z);
}

}  // namespace

Model Model::load(backend::Backend& backend, const std::filesystem::path& model_dir,
                  const LoadOptions& options) {
  Model m;
  io::HfModel hf = io::open_hf_model(model_dir);
  m.config_ = hf.config;
  m.model_dir_ = model_dir;
  const io::ModelConfig& c = m.config_;
  // Every shape is checked against the configs from the headers before any weight is uploaded, so
  // a bad layer 27 fails in milliseconds, not after 26 layers were read.
  io::check_model_tensors(hf.tensors, c);
  std::optional<io::Stage1Run> run;
  if (options.rnn_dir) {
    run = io::open_stage1_run(*options.rnn_dir, options.rnn_step);
    check_run_matches(c, run->config, *options.rnn_dir);
    for (int i : options.rnn_layers) {
      if (i < 0 || i >= c.num_layers) {
        fail("--convert: index {} out of range (the model has {} layers: 0-{})", i, c.num_layers,
             c.num_layers - 1);
      }
      io::check_decoder_layer(run->tensors, run->config, i, io::MixerKind::lightning);
    }
  } else if (!options.rnn_layers.empty()) {
    fail("--convert needs --rnn (the Stage-1 run that holds the lightning layers)");
  }
  m.embedding_ = load_tensor(backend, hf.tensors, "model.embed_tokens.weight", c.vocab_size, c.hidden_size);
  m.final_norm_ = load_tensor(backend, hf.tensors, "model.norm.weight", 0, c.hidden_size);
  m.parameter_count_ = count(m.embedding_) + count(m.final_norm_);
  if (c.tie_word_embeddings) {
    m.lm_head_ = m.embedding_;
  } else {
    m.lm_head_ = load_tensor(backend, hf.tensors, "lm_head.weight", c.vocab_size, c.hidden_size);
    m.parameter_count_ += count(m.lm_head_);
  }
  for (int i = 0; i < c.num_layers; ++i) {
    m.own_layers_.push_back(make_layer(backend, hf.tensors, c, i, c.mixer_types[size_t(i)]));
    m.parameter_count_ += count_layer(m.own_layers_.back());
  }

  m.rnn_layers_.resize(size_t(c.num_layers));
  if (run) {
    m.rnn_config_ = run->config;
    m.rnn_dir_ = options.rnn_dir;
    m.rnn_step_ = run->step;
    for (int i : options.rnn_layers) {
      m.rnn_layers_[size_t(i)] = make_layer(backend, run->tensors, run->config, i, io::MixerKind::lightning);
    }
  }
  return m;
}

const Layer* Model::rnn_layer(int index) const {
  const auto& layer = rnn_layers_.at(size_t(index));
  return layer ? &*layer : nullptr;
}

void Model::check_variant(const Variant& variant) const {
  if (int(variant.converted.size()) != num_layers()) {
    fail("internal: variant has {} layers, the model {}", variant.converted.size(), num_layers());
  }
  for (int i = 0; i < num_layers(); ++i) {
    if (variant.converted[size_t(i)] && !rnn_layer(i)) {
      if (!rnn_dir_) fail("layer {} is to be converted but no --rnn run was given", i);
      fail("layer {} is to be converted but its Stage-1 layer was not loaded", i);
    }
  }
}

const Layer& Model::layer(int index, const Variant& variant) const {
  if (variant.converted[size_t(index)]) return *rnn_layer(index);
  return own_layers_[size_t(index)];
}

}  // namespace halo::model
