// halo info: what a model directory (and a Stage-1 run) holds, read from the configs and the
// safetensors headers alone, so it is instant even for large checkpoints. The headers are checked
// against the configs as loading the model would check them (io/model_shapes.h); --check-weights
// also reads every value, looking for NaN and infinity.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "apps/halo/commands.h"
#include "base/error.h"
#include "io/checkpoint.h"
#include "io/model_shapes.h"
#include "io/weight_check.h"

namespace halo::cli {

namespace {

int64_t total_parameters(const io::TensorStore& store) {
  int64_t total = 0;
  for (const auto& name : store.names()) total += store.get(name).numel();
  return total;
}

std::string lightning_summary(const io::ModelConfig& c) {
  const io::LightningConfig& l = c.lightning;
  const char* scale = l.scale == io::LightningScale::inv_sqrt_d ? "1/sqrt(d)"
                      : l.scale == io::LightningScale::inv_d   ? "1/d"
                                                               : "1";
  return fmt::format(
      "lightning: heads {} kv_heads {} head_dim {} scale {} qk_norm {} output_norm {} output_gate {} "
      "rope {} short_conv {} expand_kv_proj {}",
      l.num_heads, l.num_kv_heads, l.head_dim, scale, l.use_qk_norm, l.use_output_norm,
      l.use_output_gate, l.use_rope, l.use_short_conv, c.expand_kv_proj);
}

// Scans every tensor of a checkpoint's files; the first non-finite one is a one-line error.
int64_t check_weights(const io::TensorStore& store) {
  io::WeightScan scan = io::scan_weights(store);
  if (const auto& bad = scan.first_bad) {
    fail("{}: tensor '{}' holds {} non-finite value(s), the first ({}) at element {}", bad->file.string(),
         io::printable(bad->key), bad->count, bad->first_value, bad->first_index);
  }
  return scan.tensors;
}

}  // namespace

void add_info_command(CLI::App& app) {
  struct Args {
    std::string model_dir, rnn_dir;
    std::optional<int> rnn_step;
    bool check_weights = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("info", "Show layers, shapes, mixer flags and parameter counts");
  cmd->add_option("--model", args->model_dir, "HF model directory")->required();
  cmd->add_option("--rnn", args->rnn_dir, "HALO Stage-1 run directory");
  cmd->add_option("--rnn-step", args->rnn_step, "checkpoint step (default: the highest)");
  cmd->add_flag("--check-weights", args->check_weights,
                "read every tensor of the model (and the Stage-1 run): an error names the first one "
                "holding a NaN or an infinity");
  cmd->callback([args] {
    io::HfModel model = io::open_hf_model(args->model_dir);
    const io::ModelConfig& c = model.config;
    io::check_model_tensors(model.tensors, c);
    std::optional<io::Stage1Run> run;
    if (!args->rnn_dir.empty()) {
      run = io::open_stage1_run(args->rnn_dir, args->rnn_step);
      // The lightning layers the run holds (a run may train only some layers).
      for (int i = 0; i < run->config.num_layers; ++i) {
        if (run->tensors.find(fmt::format("model.layers.{}.self_attn.q_proj.weight", i)) != nullptr) {
          io::check_decoder_layer(run->tensors, run->config, i, io::MixerKind::lightning);
        }
      }
    } else if (args->rnn_step) {
      fail("--rnn-step needs --rnn");
    }
    std::printf("model: %s (%s)\n", args->model_dir.c_str(), c.model_type.c_str());
    std::printf("layers %d, hidden %d, intermediate %d, vocab %d, tied embeddings %s\n", c.num_layers,
                c.hidden_size, c.intermediate_size, c.vocab_size, c.tie_word_embeddings ? "yes" : "no");
    std::printf("attention: heads %d kv_heads %d head_dim %d rope_theta %g rms_norm_eps %g rope %s "
                "output_gate %s\n",
                c.num_heads, c.num_kv_heads, c.head_dim, c.rope_theta, c.rms_norm_eps,
                c.attn_use_rope ? "yes" : "no", c.attn_use_output_gate ? "yes" : "no");
    std::string mixers;
    for (int i = 0; i < c.num_layers; ++i) {
      mixers += fmt::format("{}{}:{}", i ? " " : "", i, io::mixer_kind_name(c.mixer_types[size_t(i)]));
    }
    std::printf("mixers: %s\n", mixers.c_str());
    std::printf("parameters: %s\n", fmt::format("{:L}", total_parameters(model.tensors)).c_str());
    if (run) {
      std::printf("stage-1 run: %s step %d\n", args->rnn_dir.c_str(), run->step);
      std::printf("%s\n", lightning_summary(run->config).c_str());
      std::printf("stage-1 parameters: %s\n", fmt::format("{:L}", total_parameters(run->tensors)).c_str());
    }
    if (args->check_weights) {
      std::fflush(stdout);  // the report comes before a possible error line
      int64_t tensors = check_weights(model.tensors);
      if (run) tensors += check_weights(run->tensors);
      std::printf("weights: all %s tensors finite\n", fmt::format("{:L}", tensors).c_str());
    }
  });
}

}  // namespace halo::cli
