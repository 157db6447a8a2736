#include "text/decoder.h"

#include <string_view>
#include <utility>

#include "text/byte_level.h"
#include "text/utf8.h"

namespace halo::text {

Decoder::Decoder(std::vector<std::string> token_bytes, std::vector<bool> special, std::vector<bool> present,
                 bool clean_up_spaces)
    : token_bytes_(std::move(token_bytes)),
      special_(std::move(special)),
      present_(std::move(present)),
      clean_up_spaces_(clean_up_spaces) {}

std::string Decoder::token_to_bytes(const std::string& token) {
  std::optional<std::string> bytes = byte_level_to_bytes(token);
  return bytes ? *std::move(bytes) : token;
}

std::string Decoder::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  // Bytes of all tokens are joined first and made UTF-8 once, so a character split across tokens
  // decodes whole; only truly ill-formed sequences become U+FFFD.
  std::string bytes;
  for (int32_t id : ids) {
    if (id < 0 || size_t(id) >= token_bytes_.size() || !present_[id]) continue;
    if (skip_special_tokens && special_[id]) continue;
    bytes += token_bytes_[id];
  }
  std::string text;
  append_utf8_lossy(bytes, text);
  return clean_up_spaces_ ? clean_up_tokenization(std::move(text)) : text;
}

std::string clean_up_tokenization(std::string text) {
  // Same replacements, same order as transformers' PreTrainedTokenizerBase.clean_up_tokenization.
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},   {" ?", "?"},   {" !", "!"},     {" ,", ","},   {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
  };
  for (const auto& [from, to] : kRules) {
    std::string out;
    out.reserve(text.size());
    size_t start = 0;
    for (size_t hit; (hit = text.find(from, start)) != std::string::npos; start = hit + from.size()) {
      out.append(text, start, hit - start);
      out += to;
    }
    out.append(text, start);
    text = std::move(out);
  }
  return text;
}

}  // namespace halo::text
