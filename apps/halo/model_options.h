// The flags every model-running command shares (--model, --rnn, --rnn-step, --convert, --device)
// and the one way to turn them into a loaded model variant.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "backend/backend.h"
#include "model/model.h"
#include "model/variant.h"

namespace halo::cli {

struct ModelOptions {
  std::string model_dir;
  std::string rnn_dir;
  std::optional<int> rnn_step;
  std::string convert;  // "3,5-7"
  std::string device = "cpu";

  // Adds the flags to `command`; --model is required. Without `offer_convert`, --convert is kept
  // out of --help (a command that converts layers its own way rejects it with a pointer to how).
  void add_to(CLI::App& command, bool offer_convert = true);
};

// A backend, the model loaded on it, and the variant the flags ask for.
struct LoadedVariant {
  std::unique_ptr<backend::Backend> backend;
  std::unique_ptr<model::Model> model;
  model::Variant variant;
};

// Loads only the Stage-1 layers that --convert names.
LoadedVariant load_variant(const ModelOptions& options);

}  // namespace halo::cli
