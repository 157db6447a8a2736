// Token input shared by score and generate: either --tokens 1,2,3 (no tokenizer needed) or a
// text flag encoded with the model directory's tokenizer.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace halo::cli {

struct TokenInput {
  std::string tokens;
  std::string text;
  bool text_given = false;

  void add_to(CLI::App& command, const std::string& text_flag, const std::string& text_help);
  // Exactly one of the two must be given; the ids are checked against nothing here (the model
  // rejects ids outside its vocabulary).
  std::vector<int32_t> resolve(const std::string& model_dir) const;
};

}  // namespace halo::cli
