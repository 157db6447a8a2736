// halo generate: greedy decoding, like the reference's "My name is" sanity check.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "apps/halo/commands.h"
#include "apps/halo/model_options.h"
#include "apps/halo/token_input.h"
#include "base/error.h"
#include "io/model_config.h"
#include "runtime/model_runner.h"
#include "text/tokenizer.h"

namespace halo::cli {

void add_generate_command(CLI::App& app) {
  struct Args {
    ModelOptions model;
    TokenInput input;
    int max_new_tokens = 30;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("generate", "Greedy decoding from a prompt; prints the new tokens (and text)");
  args->model.add_to(*cmd);
  args->input.add_to(*cmd, "--prompt", "prompt text, encoded with the model directory's tokenizer");
  cmd->add_option("--max-new-tokens", args->max_new_tokens, "tokens to generate at most")->capture_default_str();
  cmd->callback([args] {
    if (args->max_new_tokens < 0) fail("--max-new-tokens must be >= 0");
    std::vector<int32_t> prompt = args->input.resolve(args->model.model_dir);
    // Prompt and output stay within the model's length (positions past it are never run).
    const std::filesystem::path config = std::filesystem::path(args->model.model_dir) / "config.json";
    const int64_t max_length = io::load_model_config(config).max_position_embeddings;
    HALO_CHECK(int64_t(prompt.size()) + args->max_new_tokens <= max_length,
               "{}: max_position_embeddings is {}, fewer than the prompt's {} tokens + --max-new-tokens {}",
               config.string(), max_length, prompt.size(), args->max_new_tokens);
    LoadedVariant loaded = load_variant(args->model);
    runtime::ModelRunner runner(*loaded.backend, *loaded.model, loaded.variant);
    runtime::GenerateRequest request;
    request.prompt = prompt;
    request.max_new_tokens = args->max_new_tokens;
    request.stop_token_ids = loaded.model->config().eos_token_ids;
    std::vector<int32_t> generated = runner.generate(std::span(&request, 1))[0];

    nlohmann::json out;
    out["prompt_tokens"] = prompt;
    out["generated_tokens"] = generated;
    // Text is shown when the model directory has a tokenizer (always with --prompt).
    if (std::filesystem::exists(std::filesystem::path(args->model.model_dir) / "tokenizer.json")) {
      text::Tokenizer tokenizer = text::Tokenizer::load(args->model.model_dir);
      std::vector<int32_t> all = prompt;
      all.insert(all.end(), generated.begin(), generated.end());
      out["text"] = tokenizer.decode(all, /*skip_special_tokens=*/true);
    }
    // Decoded text may hold invalid UTF-8 (a cut multi-byte character): replace, never throw.
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  });
}

}  // namespace halo::cli
