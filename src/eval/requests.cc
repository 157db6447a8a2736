#include "eval/requests.h"

#include <algorithm>

#include "base/error.h"
#include "eval/py_string.h"

namespace halo::eval {

std::span<const runtime::ScoreRequest> BuiltScoreRequest::model_requests() const {
  if (!truncated.empty()) return truncated;
  return std::span<const runtime::ScoreRequest>(&request, 1);
}

BuiltScoreRequest build_score_request(const Codec& codec, std::string_view context,
                                      std::span<const std::string> continuations,
                                      std::optional<int32_t> prefix_token, std::optional<int64_t> max_length) {
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
  } else {
    built.request.context = codec.encode(built.context, false);
    size_t context_length = built.request.context.size();
    for (const auto& continuation : built.continuations) {
      std::vector<int32_t> whole = codec.encode(built.context + continuation, false);
      size_t split = std::min(context_length, whole.size());
      built.request.continuations.emplace_back(whole.begin() + std::ptrdiff_t(split), whole.end());
    }
  }
  if (max_length) built.truncated = left_truncate_score_request(built.request, *max_length);
  return built;
}

std::vector<runtime::ScoreRequest> left_truncate_score_request(const runtime::ScoreRequest& request,
                                                               int64_t max_length) {
  const int64_t context = int64_t(request.context.size());
  bool too_long = false;
  for (const auto& continuation : request.continuations) {
    HALO_CHECK(int64_t(continuation.size()) <= max_length,
               "a continuation of {} tokens is longer than the model's maximum length {} "
               "(max_position_embeddings)", continuation.size(), max_length);
    too_long = too_long || context + int64_t(continuation.size()) > max_length + 1;
  }
  if (!too_long) return {};
  std::vector<runtime::ScoreRequest> out;
  for (const auto& continuation : request.continuations) {
    // The model runs context + continuation[:-1]: at most max_length positions. An empty
    // continuation (a BPE merge across the boundary) scores nothing but still runs the context.
    const int64_t keep = std::min(context, max_length + 1 - std::max<int64_t>(1, int64_t(continuation.size())));
    runtime::ScoreRequest& r = out.emplace_back();
    r.context.assign(request.context.end() - keep, request.context.end());
    r.continuations.push_back(continuation);
  }
  return out;
}

std::vector<int32_t> left_truncate_prompt(std::vector<int32_t> prompt, int64_t max_length, int max_gen_toks) {
  const int64_t keep = max_length - max_gen_toks;
  HALO_CHECK(keep > 0,
             "the task generates up to {} tokens, which leaves no room for a prompt within the model's maximum "
             "length {} (max_position_embeddings)", max_gen_toks, max_length);
  if (int64_t(prompt.size()) > keep) prompt.erase(prompt.begin(), prompt.end() - keep);
  return prompt;
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
