#include "eval/requests.h"

#include <algorithm>

#include "base/error.h"
#include "eval/py_string.h"

namespace halo::eval {

BuiltScoreRequest build_score_request(const Codec& codec, std::string_view context,
                                      std::span<const std::string> continuations,
                                      std::optional<int32_t> prefix_token) {
  BuiltScoreRequest built;
  size_t moved = py::trailing_space_bytes(context);
  built.context = std::string(context.substr(0, context.size() - moved));
  std::string_view whitespace = context.substr(context.size() - moved);
  for (const auto& continuation : continuations) {
    built.continuations.push_back(std::string(whitespace) + continuation);
  }

  if (built.context.empty()) {
    HALO_CHECK(prefix_token.has_value(),
               "empty context and the tokenizer has neither a BOS nor an EOS token to stand for it");
    built.request.context = {*prefix_token};
    for (const auto& continuation : built.continuations) {
      built.request.continuations.push_back(codec.encode(continuation, false));
    }
    return built;
  }

  built.request.context = codec.encode(built.context, false);
  size_t context_length = built.request.context.size();
  for (const auto& continuation : built.continuations) {
    std::vector<int32_t> whole = codec.encode(built.context + continuation, false);
    size_t split = std::min(context_length, whole.size());
    built.request.continuations.emplace_back(whole.begin() + std::ptrdiff_t(split), whole.end());
  }
  return built;
}

StopStrings::StopStrings(const Codec& codec, std::span<const std::string> until,
                         const std::string& eos_string)
    : codec_(&codec), strings_(until.begin(), until.end()) {
  if (std::find(strings_.begin(), strings_.end(), eos_string) == strings_.end()) {
    strings_.push_back(eos_string);
  }
  for (const auto& s : strings_) windows_.push_back(codec.encode(s, false).size() + 2);
}

bool StopStrings::should_stop(std::span<const int32_t> generated) const {
  for (size_t i = 0; i < strings_.size(); ++i) {
    size_t window = std::min(windows_[i], generated.size());
    std::string tail = codec_->decode(generated.subspan(generated.size() - window), false);
    if (tail.find(strings_[i]) != std::string::npos) return true;
  }
  return false;
}

std::string StopStrings::output_text(std::span<const int32_t> generated) const {
  std::string text = codec_->decode(generated, true);
  for (const auto& s : strings_) {
    if (s.empty()) continue;
    size_t hit = text.find(s);
    if (hit != std::string::npos) text.resize(hit);
  }
  return text;
}

}  // namespace halo::eval
