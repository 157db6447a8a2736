// What `halo eval` and `halo sweep` both derive from a model directory before evaluating: the
// tokenizer-backed codec and the lm-eval settings that come from the tokenizer, the config and the
// generation config (EOS string and ids, the prefix token for empty contexts, the maximum length,
// a max_new_tokens budget); a
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

// Reads the tokenizer (tokenizer.json and tokenizer_config.json in `tokenizer_dir`, or in
// `model_dir` when it is empty) and the generation config of `model_dir`; the model's maximum
// length comes from `config` (max_position_embeddings). Errors name the file.
EvalSetup make_eval_setup(const std::filesystem::path& model_dir, const std::filesystem::path& tokenizer_dir,
                          const io::ModelConfig& config);

}  // namespace halo::eval
