// halo score: natural-log probability of every token given the ones before it.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

#include "apps/halo/commands.h"
#include "apps/halo/model_options.h"
#include "apps/halo/token_input.h"
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
