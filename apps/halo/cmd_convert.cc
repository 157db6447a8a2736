// halo convert: write a hybrid as a HF directory (safetensors + HypeNet config.json) that halo,
// and HypeNet's own loader, read back. Only needed to ship a chosen hybrid; sweeps never write
// checkpoints.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "apps/halo/commands.h"
#include "apps/halo/model_options.h"
#include "base/atomic_file.h"
#include "base/error.h"
#include "base/log.h"
#include "base/output_path.h"
#include "io/checkpoint.h"
#include "io/model_output.h"

namespace halo::cli {

namespace {

// Layer index of a "model.layers.{i}.…" key, or -1.
int layer_of(const std::string& key) {
  static const std::string prefix = "model.layers.";
  if (key.rfind(prefix, 0) != 0) return -1;
  size_t end = key.find('.', prefix.size());
  return std::stoi(key.substr(prefix.size(), end - prefix.size()));
}

// The files beside the weights that make the directory usable on its own.
void copy_side_files(const std::filesystem::path& from, const std::filesystem::path& to) {
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "generation_config.json",
                           "special_tokens_map.json", "vocab.json", "merges.txt"}) {
    if (std::filesystem::exists(from / name)) write_file_atomic(to / name, read_file(from / name));
  }
}

}  // namespace

void add_convert_command(CLI::App& app) {
  struct Args {
    ModelOptions model;
    std::string out;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("convert", "Write the hybrid with --convert layers as a HF model directory");
  args->model.add_to(*cmd);
  cmd->add_option("--out", args->out, "output directory (a new one, unless --force)")->required();
  cmd->add_flag("--force", args->force, "write even into a directory that holds a model or is an input");
  cmd->callback([args] {
    if (args->model.rnn_dir.empty() || args->model.convert.empty()) fail("convert needs --rnn and --convert");
    const std::filesystem::path out(args->out);
    io::check_model_output_dir(out, {{"--model", args->model.model_dir}, {"--rnn", args->model.rnn_dir}}, args->force);
    // Loading the variant validates every converted layer (shapes, flags) before anything is written.
    LoadedVariant loaded = load_variant(args->model);
    const std::vector<int> layers = loaded.variant.converted_layers();
    io::HfModel model = io::open_hf_model(args->model.model_dir);
    io::Stage1Run run = io::open_stage1_run(args->model.rnn_dir, args->model.rnn_step);

    std::vector<std::vector<float>> buffers;
    std::vector<io::TensorToWrite> tensors;
    auto take = [&](const io::TensorView& view, const std::string& name) {
      buffers.push_back(view.to_float());
      tensors.push_back({name, view.dtype, view.shape, buffers.back()});
    };
    buffers.reserve(model.tensors.names().size() + run.tensors.names().size());
    for (const std::string& name : model.tensors.names()) {
      int layer = layer_of(name);
      if (layer < 0 || !loaded.variant.converted[size_t(layer)]) take(model.tensors.get(name), name);
    }
    for (const std::string& name : run.tensors.names()) {
      int layer = layer_of(name);
      if (layer >= 0 && loaded.variant.converted[size_t(layer)]) take(run.tensors.get(name), name);
    }

    // The hybrid's config: the model's, with the run's lightning settings and the new mixers.
    io::ModelConfig config = model.config;
    config.lightning = run.config.lightning;
    config.expand_kv_proj = run.config.expand_kv_proj;
    for (int layer : layers) config.mixer_types[size_t(layer)] = io::MixerKind::lightning;

    io::write_safetensors(out / "model.safetensors", tensors, {{"format", "pt"}});
    write_file_atomic(out / "config.json", io::model_config_to_json(config).dump(2) + "\n");
    copy_side_files(args->model.model_dir, out);
    // Only now that the new model is complete: an earlier sharded model's index and shards must not
    // outlive it. Never in an input directory (--force into --model keeps the source's files).
    if (!same_path(out, args->model.model_dir) && !same_path(out, args->model.rnn_dir)) io::remove_stale_shards(out);
    note("wrote {} ({} tensors, lightning at {} layer(s))", out.string(), tensors.size(), layers.size());
  });
}

}  // namespace halo::cli
