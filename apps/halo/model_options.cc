#include "apps/halo/model_options.h"

#include "base/error.h"
#include "base/index_list.h"
#include "io/model_config.h"

namespace halo::cli {

void ModelOptions::add_to(CLI::App& command, bool offer_convert) {
  command.add_option("--model", model_dir, "HF model directory (config.json + safetensors)")->required();
  command.add_option("--rnn", rnn_dir, "HALO Stage-1 run directory (orig_config.json, ckpt_N/)");
  command.add_option("--rnn-step", rnn_step, "checkpoint step N of ckpt_N (default: the highest)");
  CLI::Option* option = command.add_option("--convert", convert, "layers that use their Stage-1 RNN mixer, e.g. 3,5-7");
  if (!offer_convert) option->group("");  // an empty group hides the flag from --help
  command.add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
}

LoadedVariant load_variant(const ModelOptions& options) {
  LoadedVariant loaded;
  loaded.backend = backend::make_backend(backend::parse_device(options.device));
  model::LoadOptions load;
  std::vector<int> layers;
  if (!options.convert.empty()) {
    if (options.rnn_dir.empty()) fail("--convert needs --rnn (the Stage-1 run that holds the lightning layers)");
    // The layer count is needed to check the list before any weight is read.
    int num_layers = io::load_model_config(std::filesystem::path(options.model_dir) / "config.json").num_layers;
    layers = parse_index_list(options.convert, num_layers, "--convert");
  }
  if (!options.rnn_dir.empty()) {
    load.rnn_dir = options.rnn_dir;
    load.rnn_step = options.rnn_step;
    load.rnn_layers = layers;
  } else if (options.rnn_step) {
    fail("--rnn-step needs --rnn");
  }
  loaded.model = std::make_unique<model::Model>(model::Model::load(*loaded.backend, options.model_dir, load));
  loaded.variant = model::Variant::converting(loaded.model->num_layers(), layers);
  return loaded;
}

}  // namespace halo::cli
