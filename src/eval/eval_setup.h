// What `halo eval` and `halo sweep` both derive from a model directory before evaluating: the
// tokenizer-backed codec and the lm-eval settings that come from the tokenizer and the generation
// config (EOS string and ids, the prefix token for empty contexts, a max_new_tokens budget); a
// generation config HF would not decode greedily with is an error (eval/generation_config.h).
#pragma once

#include <filesystem>
#include <memory>

#include "eval/runner.h"
#include "eval/tokenizer_codec.h"
#include "io/model_config.h"
#include "text/tokenizer.h"

namespace halo::eval {

struct EvalSetup {
  std::unique_ptr<text::Tokenizer> tokenizer;
  std::unique_ptr<TokenizerCodec> codec;
  RunOptions options;  // data_dir/limit/precision left for the caller
};

// Reads the tokenizer and generation config of `model_dir`; errors name the file.
EvalSetup make_eval_setup(const std::filesystem::path& model_dir, const io::ModelConfig& config);

}  // namespace halo::eval
