#include "eval/eval_setup.h"

#include <algorithm>
#include <cstdio>

#include "base/error.h"
#include "base/index_list.h"
#include "eval/generation_config.h"

namespace halo::eval {

namespace {

// HF builds generate()'s configuration from generation_config.json, or from config.json's generation
// fields when a model has no such file; lm-eval adds only max_length, do_sample=False and its stop
// strings (eval/generation_config.h).
std::filesystem::path generation_config_source(const std::filesystem::path& model_dir) {
  std::filesystem::path path = model_dir / "generation_config.json";
  return std::filesystem::exists(path) ? path : model_dir / "config.json";
}

}  // namespace

EvalSetup make_eval_setup(const std::filesystem::path& model_dir, const std::filesystem::path& tokenizer_dir,
                          const io::ModelConfig& config) {
  EvalSetup setup;
  if (tokenizer_dir.empty()) {
    std::error_code ec;
    const auto type = std::filesystem::status(model_dir / "tokenizer.json", ec).type();
    HALO_CHECK(type != std::filesystem::file_type::not_found,
               "{}: missing; evaluation needs the model's tokenizer.json (pass --tokenizer DIR if it lives elsewhere)",
               (model_dir / "tokenizer.json").string());
  }
  setup.tokenizer =
      std::make_unique<text::Tokenizer>(text::Tokenizer::load(tokenizer_dir.empty() ? model_dir : tokenizer_dir));
  std::optional<int32_t> eos = setup.tokenizer->eos_id();
  HALO_CHECK(eos.has_value(), "{}: the tokenizer has no EOS token, which lm-eval always uses as a stop string",
             model_dir.string());
  setup.codec = std::make_unique<TokenizerCodec>(*setup.tokenizer);
  setup.options.eos_string = setup.tokenizer->decode(std::vector<int32_t>{*eos}, false);
  setup.options.prefix_token = setup.tokenizer->bos_id() ? setup.tokenizer->bos_id() : eos;
  const std::filesystem::path source = generation_config_source(model_dir);
  const GenerationConfig generation = read_generation_config(source);
  // The ids HF's generate() stops on: generation_config.json's eos_token_id (int or list), else
  // config.json's.
  setup.options.stop_token_ids = source.filename() == "generation_config.json" && generation.eos_token_ids
                                     ? *generation.eos_token_ids
                                     : config.eos_token_ids;
  setup.options.max_new_tokens = generation.max_new_tokens;
  setup.options.max_length = config.max_position_embeddings;
  if (generation.max_new_tokens) {
    std::fprintf(stderr,
                 "halo: note: %s: max_new_tokens %d replaces every generation task's max_gen_toks "
                 "(HF gives it precedence over lm-eval's max_length; see docs/eval.md)\n",
                 source.string().c_str(), *generation.max_new_tokens);
  }
  if (std::find(setup.options.stop_token_ids.begin(), setup.options.stop_token_ids.end(), *eos) ==
      setup.options.stop_token_ids.end()) {
    setup.options.stop_token_ids.push_back(*eos);  // its string stops generation anyway (docs/lm-eval-rules.md §0.4)
  }
  return setup;
}

std::vector<size_t> parse_ruler_lengths(const std::string& text) {
  std::vector<size_t> lengths;
  for (int length : parse_int_list(text, "--ruler-lengths")) {
    HALO_CHECK(length > 0, "--ruler-lengths: {} is not a positive sequence length", length);
    HALO_CHECK(std::find(lengths.begin(), lengths.end(), size_t(length)) == lengths.end(),
               "--ruler-lengths: {} appears twice", length);
    lengths.push_back(size_t(length));
  }
  return lengths;
}

LmEvalRunInfo lm_eval_run_info(const EvalSetup& setup, const io::ModelConfig& config, const std::string& model_args,
                                     const std::string& batch_size, const std::string& environment) {
  LmEvalRunInfo info;
  info.model_args = model_args;
  info.batch_size = lm_eval_batch_size(batch_size);
  info.eos_id = setup.tokenizer->eos_id();
  if (info.eos_id) info.eos_token = setup.tokenizer->id_to_token(*info.eos_id);
  info.bos_id = setup.tokenizer->bos_id();
  if (info.bos_id) info.bos_token = setup.tokenizer->id_to_token(*info.bos_id);
  info.max_length = config.max_position_embeddings;  // HFLM.max_length: the model config's length
  info.environment = environment;
  return info;
}

}  // namespace halo::eval
