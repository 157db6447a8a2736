#include "text/pre_tokenizer.h"

#include <fmt/format.h>

namespace halo::text {

namespace {

// The regex HF's ByteLevel pre-tokenizer uses when use_regex is true (GPT-2's, fixed in HF's code
// rather than stored in tokenizer.json).
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace

PreTokenizer::PreTokenizer(const std::vector<PreTokenizerStep>& steps, std::string_view where) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string key = fmt::format("{}: pre_tokenizer step {}", where, i);
    if (!steps[i].is_byte_level) {
      const SplitSpec& split = steps[i].split;
      Step step;
      step.regex.emplace(split.pattern, !split.is_regex, key);
      step.removed = split.behavior == SplitBehavior::kRemoved;
      steps_.push_back(std::move(step));
    } else {
      const ByteLevelSpec& bl = steps[i].byte_level;
      Step step;
      if (bl.use_regex) step.regex.emplace(kGpt2Pattern, false, key);
      step.add_prefix_space = bl.add_prefix_space;
      steps_.push_back(std::move(step));
    }
  }
}

}  // namespace halo::text
