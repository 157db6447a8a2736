// What `halo eval` and `halo sweep` both derive from a model directory before evaluating: the
// tokenizer-backed codec and the lm-eval settings that come from the tokenizer, the config and the
// generation config (EOS string and ids, the prefix token for empty contexts, the maximum length,
// a max_new_tokens budget); a
// generation config HF would not decode greedily with is an error (eval/generation_config.h).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "eval/lm_eval_output.h"
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

// --ruler-lengths "1024,4096": lm-eval's --metadata max_seq_lengths, in the order given; each a
// positive integer, none repeated.
std::vector<size_t> parse_ruler_lengths(const std::string& text);

// What lm-eval's results file records about the run, the tokenizer and the model besides the tasks
// (eval/lm_eval_output.h). `batch_size` as the report's header line shows it: "16" was passed to
// lm-eval as --batch_size 16, "1" is its default.
LmEvalRunInfo lm_eval_run_info(const EvalSetup& setup, const io::ModelConfig& config, const std::string& model_args,
                               const std::string& batch_size, const std::string& environment);

}  // namespace halo::eval
