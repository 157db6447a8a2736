#include "apps/halo/token_input.h"

#include "base/error.h"
#include "base/index_list.h"
#include "text/tokenizer.h"

namespace halo::cli {

void TokenInput::add_to(CLI::App& command, const std::string& text_flag, const std::string& text_help) {
  command.add_option("--tokens", tokens, "comma-separated token ids, e.g. 1,2,3");
  command.add_option_function<std::string>(
      text_flag,
      [this](const std::string& value) {
        text = value;
        text_given = true;
      },
      text_help);
}

std::vector<int32_t> TokenInput::resolve(const std::string& model_dir) const {
  if (tokens.empty() == !text_given) fail("give exactly one of --tokens and the text flag");
  if (!text_given) {
    std::vector<int> ids = parse_int_list(tokens, "--tokens");
    return std::vector<int32_t>(ids.begin(), ids.end());
  }
  text::Tokenizer tokenizer = text::Tokenizer::load(model_dir);
  std::vector<int32_t> ids = tokenizer.encode(text, /*add_special_tokens=*/false);
  if (ids.empty()) fail("the text encodes to no tokens");
  return ids;
}

}  // namespace halo::cli
