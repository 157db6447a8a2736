#include "apps/halo/eval_setup.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "base/atomic_file.h"
#include "base/error.h"

namespace halo::cli {

namespace {

// The ids HF's generate() stops on: generation_config.json's eos_token_id (int or list) when the
// file exists, else config.json's; lm-eval passes nothing else to generate().
std::vector<int32_t> generation_eos_ids(const std::filesystem::path& model_dir, const io::ModelConfig& config) {
  auto path = model_dir / "generation_config.json";
  if (!std::filesystem::exists(path)) return config.eos_token_ids;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    fail("{}: invalid JSON: {}", path.string(), e.what());
  }
  std::vector<int32_t> ids;
  if (!j.contains("eos_token_id") || j["eos_token_id"].is_null()) return config.eos_token_ids;
  const auto& eos = j["eos_token_id"];
  if (eos.is_number_integer()) return {eos.get<int32_t>()};
  HALO_CHECK(eos.is_array(), "{}: eos_token_id must be an integer or a list of integers", path.string());
  for (const auto& id : eos) {
    HALO_CHECK(id.is_number_integer(), "{}: eos_token_id must be an integer or a list of integers", path.string());
    ids.push_back(id.get<int32_t>());
  }
  return ids;
}

}  // namespace

EvalSetup make_eval_setup(const std::filesystem::path& model_dir, const io::ModelConfig& config) {
  EvalSetup setup;
  setup.tokenizer = std::make_unique<text::Tokenizer>(text::Tokenizer::load(model_dir));
  std::optional<int32_t> eos = setup.tokenizer->eos_id();
  HALO_CHECK(eos.has_value(), "{}: the tokenizer has no EOS token, which lm-eval always uses as a stop string",
             model_dir.string());
  setup.codec = std::make_unique<eval::TokenizerCodec>(*setup.tokenizer);
  setup.options.eos_string = setup.tokenizer->decode(std::vector<int32_t>{*eos}, false);
  setup.options.prefix_token = setup.tokenizer->bos_id() ? setup.tokenizer->bos_id() : eos;
  setup.options.stop_token_ids = generation_eos_ids(model_dir, config);
  if (std::find(setup.options.stop_token_ids.begin(), setup.options.stop_token_ids.end(), *eos) ==
      setup.options.stop_token_ids.end()) {
    setup.options.stop_token_ids.push_back(*eos);  // its string stops generation anyway (spec §0.4)
  }
  return setup;
}

}  // namespace halo::cli
