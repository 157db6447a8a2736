// halo score: natural-log probability of every token given the ones before it.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "apps/halo/commands.h"
#include "apps/halo/model_options.h"
#include "apps/halo/token_input.h"
#include "base/error.h"
#include "io/model_config.h"
#include "runtime/model_runner.h"

namespace halo::cli {

void add_score_command(CLI::App& app) {
  struct Args {
    ModelOptions model;
    TokenInput input;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "score", "Print {\"tokens\":[...],\"logprobs\":[...]}: logprobs[i] = ln p(tokens[i+1] | tokens[..i])");
  args->model.add_to(*cmd);
  args->input.add_to(*cmd, "--text", "text to tokenize with the model directory's tokenizer");
  cmd->callback([args] {
    std::vector<int32_t> tokens = args->input.resolve(args->model.model_dir);
    // Positions past the model's length are never run (RoPE and attention were not trained there).
    // The last token is only scored, not run: max_length + 1 tokens fit, as in lm-eval's window.
    const std::filesystem::path config = std::filesystem::path(args->model.model_dir) / "config.json";
    const int64_t max_length = io::load_model_config(config).max_position_embeddings;
    HALO_CHECK(int64_t(tokens.size()) <= max_length + 1,
               "{}: max_position_embeddings is {}, so at most {} tokens can be scored (all but the last are run), "
               "not {}", config.string(), max_length, max_length + 1, tokens.size());
    LoadedVariant loaded = load_variant(args->model);
    runtime::ModelRunner runner(*loaded.backend, *loaded.model, loaded.variant);
    // Ordered: tokens, then logprobs, as --help and the README show it.
    nlohmann::ordered_json out;
    out["tokens"] = tokens;
    out["logprobs"] = nlohmann::ordered_json::array();
    for (const auto& s : runner.sequence_logprobs(tokens)) out["logprobs"].push_back(s.logprob);
    std::printf("%s\n", out.dump().c_str());
  });
}

}  // namespace halo::cli
