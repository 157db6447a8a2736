// halo tokenize: encode text (or decode ids) with a tokenizer.json, for checking token counts and
// context/continuation splits by hand.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "apps/halo/commands.h"
#include "base/error.h"
#include "base/index_list.h"
#include "text/tokenizer.h"

namespace halo::cli {

namespace {

// JSON string literal for valid UTF-8 `s` (vocabulary strings always are).
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open file", path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail("{}: read error", path);
  return text;
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  struct Args {
    std::string tokenizer, text, file, decode;
    bool ids_only = false, add_special_tokens = false, skip_special_tokens = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Encode text to token ids, or decode ids to text");
  cmd->add_option("--tokenizer", args->tokenizer, "directory with tokenizer.json, or the file itself")->required();
  auto* text = cmd->add_option("--text", args->text, "text to encode");
  auto* file = cmd->add_option("--file", args->file, "file whose bytes are encoded");
  auto* decode = cmd->add_option("--decode", args->decode, "comma-separated ids to decode, e.g. 1,2,3");
  text->excludes(file)->excludes(decode);
  file->excludes(decode);
  cmd->add_flag("--ids-only", args->ids_only, "print only the ids, comma-separated");
  cmd->add_flag("--add-special-tokens", args->add_special_tokens,
                "add what the post_processor adds (Qwen3: nothing); default off, as lm-eval");
  cmd->add_flag("--skip-special-tokens", args->skip_special_tokens, "with --decode: drop special tokens");
  cmd->callback([args, text, file, decode] {
    if (text->count() + file->count() + decode->count() != 1) fail("tokenize: give one of --text, --file, --decode");
    const text::Tokenizer tokenizer = text::Tokenizer::load(args->tokenizer);
    if (decode->count()) {
      const std::vector<int> list = parse_int_list(args->decode, "--decode");
      const std::vector<int32_t> ids(list.begin(), list.end());
      const std::string out = tokenizer.decode(ids, args->skip_special_tokens);
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fputc('\n', stdout);
      return;
    }
    const std::string input = file->count() ? read_file(args->file) : args->text;
    const std::vector<int32_t> ids = tokenizer.encode(input, args->add_special_tokens);
    std::string out;
    if (args->ids_only) {
      for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    } else {
      out = "{\"ids\":[";
      for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
      out += "],\"tokens\":[";
      for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + json_string(tokenizer.id_to_token(ids[i]));
      out += "]}";
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace halo::cli
