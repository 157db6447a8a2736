// A small sweep whose layers rank: the trained golden model (4 layers, tests/data/golden_trained)
// with the tiny tokenizer, and 12 documents of every task written for a model trained on Python
// source (answers like "self", "return", "(", whose hits differ from variant to variant). Shared
// by the end-to-end tests of `halo rank --bootstrap` and `halo validate`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace halo::testing {

struct TrainedSweep {
  std::filesystem::path model;  // a copy of the golden model with the tiny tokenizer
  std::filesystem::path run;    // the golden Stage-1 run
  std::filesystem::path data;   // every task's data, 12 documents each
  static constexpr const char* kModelName = "g";
  static constexpr int kLayers = 4;

  // Writes the model copy and the data under `dir`.
  explicit TrainedSweep(const std::filesystem::path& dir);

  // The model flags shared by sweep and validate: --model, --rnn, --data, --limit 12, --precision fp32.
  std::vector<std::string> model_args() const;
};

}  // namespace halo::testing
