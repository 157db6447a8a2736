// What HF transformers' generate() takes from a model's generation config when lm-eval 0.4.9.1
// (`--model hf`) runs a generate_until request. lm-eval calls
//   model.generate(input_ids=context, max_length=len(context) + max_gen_toks, stopping_criteria=...,
//                  pad_token_id=..., use_cache=True, do_sample=False)
// and passes no generation_config, so transformers starts from the model's generation_config.json
// (config.json's generation fields when that file is missing) and lets the call's arguments
// override it. Two consequences reach greedy decoding (docs/eval.md, readings 2 and 3):
//   - `max_new_tokens` in the file takes precedence over lm-eval's max_length
//     (GenerationMixin._prepare_generated_length), so it becomes every request's token budget;
//   - fields that add a logits processor (_get_logits_processor) or change the decoding mode still
//     act with do_sample=False. halo implements none of them and refuses such a file.
// Sampling-only fields (do_sample, temperature, top_k, top_p, typical_p, min_p, ...) do nothing
// under greedy decoding and are accepted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace halo::eval {

struct GenerationConfig {
  // eos_token_id (an int or a list); nullopt when absent or null.
  std::optional<std::vector<int32_t>> eos_token_ids;
  // max_new_tokens: replaces every generation task's max_gen_toks; nullopt when absent or null.
  std::optional<int> max_new_tokens;
};

// Interprets a parsed generation config. `source` names the file in errors, which are one line:
// "SOURCE: KEY VALUE is not supported (why; see docs/eval.md)".
GenerationConfig parse_generation_config(const nlohmann::json& config, const std::string& source);

// Reads and interprets `path` (a generation_config.json, or a config.json standing in for it).
GenerationConfig read_generation_config(const std::filesystem::path& path);

}  // namespace halo::eval
