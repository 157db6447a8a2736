// Deterministic stand-ins for a tokenizer and a model, so the request rules, the runner and the
// metrics are testable without weights or a vocabulary.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/bf16.h"
#include "eval/codec.h"
#include "runtime/language_model.h"

namespace halo::eval::testing {

// One token per byte (id = byte value), except literal special tokens and optional multi-byte
// "merges" matched greedily (longest first), which let tests see merges across a boundary.
class ByteCodec final : public Codec {
 public:
  static constexpr int32_t kImEnd = 1000;      // "<|im_end|>"
  static constexpr int32_t kEndOfText = 1001;  // "<|endoftext|>"
  static constexpr int32_t kBos = 999;         // prepended when add_special_tokens and `bos` is set

  explicit ByteCodec(std::vector<std::string> merges = {}, bool bos = false) : merges_(std::move(merges)), bos_(bos) {
    std::sort(merges_.begin(), merges_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  }

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override {
    std::vector<int32_t> ids;
    if (add_special_tokens && bos_) ids.push_back(kBos);
    size_t i = 0;
    while (i < text.size()) {
      size_t used = 0;
      for (const auto& [piece, id] : specials()) {
        if (text.substr(i, piece.size()) == piece) {
          ids.push_back(id);
          used = piece.size();
          break;
        }
      }
      for (size_t m = 0; used == 0 && m < merges_.size(); ++m) {
        if (text.substr(i, merges_[m].size()) == merges_[m]) {
          ids.push_back(int32_t(2000 + m));
          used = merges_[m].size();
        }
      }
      if (used == 0) {
        ids.push_back(int32_t(static_cast<unsigned char>(text[i])));
        used = 1;
      }
      i += used;
    }
    return ids;
  }

  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const override {
    std::string out;
    for (int32_t id : ids) {
      if (id < 256) {
        out += char(id);
      } else if (id >= 2000) {
        out += merges_.at(size_t(id - 2000));
      } else if (!skip_special_tokens) {
        for (const auto& [piece, special] : specials()) {
          if (special == id) out += piece;
        }
      }
    }
    return out;
  }

 private:
  static const std::map<std::string, int32_t>& specials() {
    static const std::map<std::string, int32_t> s = {{"<|im_end|>", kImEnd}, {"<|endoftext|>", kEndOfText}};
    return s;
  }
  std::vector<std::string> merges_;
  bool bos_;
};

// Scores every continuation token with `logprob` (default -1, so a choice's log-likelihood is minus
// its token count) and "generates" by replaying `reply(prompt text)` token by token under the
// LanguageModel contract: stop after a stop id, when should_stop says so, or at max_new_tokens.
class FakeModel final : public runtime::LanguageModel {
 public:
  FakeModel(const Codec& codec, std::function<std::string(const std::string&)> reply = {})
      : codec_(codec), reply_(std::move(reply)) {}

  std::function<float(const runtime::ScoreRequest&, size_t continuation, size_t position)> logprob =
      [](const runtime::ScoreRequest&, size_t, size_t) { return -1.0f; };
  std::vector<runtime::ScoreRequest> scored;  // every request seen, for assertions
  std::vector<std::vector<size_t>> generate_calls;  // prompt lengths of every generate() call
  std::vector<backend::LogitRounding> roundings;    // the rounding of every generation request
  // Prompts (as text) whose "logits" are not finite: generate() throws NonFiniteLogits for the first.
  std::function<bool(const std::string&)> non_finite = [](const std::string&) { return false; };

  std::vector<std::vector<runtime::ContinuationScore>> score(std::span<const runtime::ScoreRequest> requests) override {
    std::vector<std::vector<runtime::ContinuationScore>> out;
    for (const auto& request : requests) {
      scored.push_back(request);
      auto& doc = out.emplace_back();
      for (size_t c = 0; c < request.continuations.size(); ++c) {
        runtime::ContinuationScore s;
        for (size_t t = 0; t < request.continuations[c].size(); ++t) {
          float lp = logprob(request, c, t);
          s.token_logprobs.push_back(lp);
          s.token_logprobs_bf16.push_back(round_to_bf16(lp));
        }
        doc.push_back(std::move(s));
      }
    }
    return out;
  }

  std::vector<std::vector<int32_t>> generate(std::span<const runtime::GenerateRequest> requests) override {
    std::vector<std::vector<int32_t>> out;
    auto& call = generate_calls.emplace_back();
    for (size_t i = 0; i < requests.size(); ++i) {
      if (non_finite(codec_.decode(requests[i].prompt, false))) throw runtime::NonFiniteLogits("fake: not finite", i);
    }
    for (const auto& request : requests) {
      call.push_back(request.prompt.size());
      roundings.push_back(request.rounding);
      std::vector<int32_t> script = codec_.encode(reply_(codec_.decode(request.prompt, false)), false);
      auto& generated = out.emplace_back();
      for (int32_t id : script) {
        if (int(generated.size()) >= request.max_new_tokens) break;
        generated.push_back(id);
        if (std::find(request.stop_token_ids.begin(), request.stop_token_ids.end(), id) != request.stop_token_ids.end()) break;
        if (request.should_stop && request.should_stop(generated)) break;
      }
    }
    return out;
  }

  std::string describe() const override { return "fake model"; }

 private:
  const Codec& codec_;
  std::function<std::string(const std::string&)> reply_;
};

}  // namespace halo::eval::testing
