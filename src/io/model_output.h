// Where `halo convert` writes a model directory, and what it leaves there. Writing a converted model
// over its own source, or over another model, loses what the user had; stale shards of an earlier
// sharded model beside a new model.safetensors would be read by tools that follow the index.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string_view>

namespace halo::io {

// An input directory of the conversion, named by its flag ("--model", "--rnn").
struct ModelInput {
  std::string_view flag;
  std::filesystem::path dir;
};

// Refuses an output directory that is an input, lies inside one, or already holds a model
// (config.json, a *.safetensors file or model.safetensors.index.json), unless `force`; and one that
// cannot be written (base/output_path.h) in any case. Nothing is created.
void check_model_output_dir(const std::filesystem::path& out, std::initializer_list<ModelInput> inputs, bool force);

// Called after model.safetensors and config.json were written to `out`: removes the
// model.safetensors.index.json and model-NNNNN-of-NNNNN.safetensors shards an earlier model left
// there. The caller never calls it when `out` is an input directory.
void remove_stale_shards(const std::filesystem::path& out);

}  // namespace halo::io
