#include "mutator.h"

#include <algorithm>
#include <string_view>

namespace halo::fuzz {

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

size_t Rng::below(size_t n) { return static_cast<size_t>(next() % n); }

namespace {

constexpr size_t kMaxInput = size_t(1) << 20;

const char kInterestingBytes[] = {'\0', '\x01', '\x7f', '\x80', '\xbf', '\xc0', '\xff', '"', '\\', '{', '}', '[',
                                  ']',  ',',    ':',    ' ',    '\n',   '\t',   '|',    '-', '.', '0', '9', 'e'};

// Numbers that sit on the edges parsers get wrong: sign, zero, int32/int64/uint64 limits, doubles
// that overflow or underflow, fractions where integers are expected, and exponents.
const char* const kInterestingNumbers[] = {
    "0",   "-0", "-1", "1", "2", "7", "255", "256", "65535", "65536", "2147483647", "2147483648", "-2147483649",
    "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551615",
    "18446744073709551616", "99999999999999999999999", "1e308", "1e309", "-1e309", "1e-400", "0.5", "-0.5",
    "1.0", "3.4028235e38", "4.9e-324", "1e19", "123456789012", "0.0001", "1E2", "00", "01"};

// Strings for string values: empty, a path out of a folder, control and invalid UTF-8 bytes, names
// of things the formats use, and a long one.
const char* const kInterestingStrings[] = {"\"\"",
                                           "\"../../x\"",
                                           "\"/abs\"",
                                           "\"a\\u0000b\"",
                                           "\"\\n\"",
                                           "\"\\ud800\"",
                                           "\"\xff\xfe\"",
                                           "\"F32\"",
                                           "\"BF16\"",
                                           "\"F16\"",
                                           "\"I64\"",
                                           "\"nan\"",
                                           "\"NaN\"",
                                           "\"layer 0\"",
                                           "\"original\"",
                                           "\"acc_norm\"",
                                           "\"lightning-attn\"",
                                           "\"attn\"",
                                           "\"BPE\"",
                                           "\"ByteLevel\""};

const char* const kOtherValues[] = {"null", "true", "false", "{}", "[]", "[null]", "{\"\":0}", "[[]]", "NaN",
                                    "Infinity", "-Infinity", "[1,2,3]", "\"x\"", "[\"a\",\"b\"]"};

struct Token {
  size_t begin, end;
  enum Kind { string, number, literal, punct } kind;
};

// A forgiving JSON lexer: any text gives tokens (bytes it does not know are skipped).
std::vector<Token> json_tokens(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, s.size());
      out.push_back({i, j, Token::string});
      i = j;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i + 1;
      while (j < s.size() && (std::string_view("0123456789.eE+-").find(s[j]) != std::string_view::npos)) ++j;
      out.push_back({i, j, Token::number});
      i = j;
    } else if (c >= 'a' && c <= 'z') {
      size_t j = i + 1;
      while (j < s.size() && s[j] >= 'a' && s[j] <= 'z') ++j;
      out.push_back({i, j, Token::literal});
      i = j;
    } else if (std::string_view("{}[]:,").find(c) != std::string_view::npos) {
      out.push_back({i, i + 1, Token::punct});
      ++i;
    } else {
      ++i;
    }
  }
  return out;
}

const Token* pick(const std::vector<Token>& tokens, Rng& rng, bool (*want)(const Token&)) {
  std::vector<const Token*> fit;
  for (const Token& t : tokens) {
    if (want(t)) fit.push_back(&t);
  }
  return fit.empty() ? nullptr : fit[rng.below(fit.size())];
}

std::string deep_nesting(Rng& rng) {
  const size_t depth = rng.one_in(2) ? 100 + rng.below(400) : 5000 + rng.below(100000);
  std::string s;
  if (rng.one_in(2)) {
    s.assign(depth, '[');
    s += '0';
    s.append(depth, ']');
  } else {
    for (size_t i = 0; i < depth; ++i) s += "{\"a\":";
    s += '0';
    s.append(depth, '}');
  }
  return s;
}

std::vector<std::pair<size_t, size_t>> lines_of(std::string_view s) {
  std::vector<std::pair<size_t, size_t>> lines;  // [begin, end) including the newline
  size_t begin = 0;
  while (begin < s.size()) {
    size_t nl = s.find('\n', begin);
    size_t end = nl == std::string_view::npos ? s.size() : nl + 1;
    lines.emplace_back(begin, end);
    begin = end;
  }
  return lines;
}

}  // namespace

std::string Mutator::input(uint64_t run_seed, uint64_t iteration) const {
  Rng rng(run_seed * 0x100000001b3ull ^ (iteration + 1) * 0x9e3779b97f4a7c15ull);
  std::string data = seeds_[rng.below(seeds_.size())];
  const size_t rounds = 1 + rng.below(rng.one_in(4) ? 8 : 3);
  for (size_t r = 0; r < rounds; ++r) mutate_once(data, rng);
  if (data.size() > kMaxInput) data.resize(kMaxInput);
  return data;
}

void Mutator::mutate_once(std::string& data, Rng& rng) const {
  const std::string& other = seeds_[rng.below(seeds_.size())];
  const size_t op = rng.below(15);
  if (data.empty() && op < 12) {
    data = other.substr(0, rng.below(other.size() + 1));
    return;
  }
  switch (op) {
    case 0: {  // bit flip
      data[rng.below(data.size())] ^= static_cast<char>(1u << rng.below(8));
      break;
    }
    case 1: {  // interesting byte
      data[rng.below(data.size())] = kInterestingBytes[rng.below(sizeof kInterestingBytes)];
      break;
    }
    case 2: {  // insert bytes
      std::string bytes;
      const size_t n = 1 + rng.below(8);
      for (size_t i = 0; i < n; ++i) {
        bytes += rng.one_in(2) ? kInterestingBytes[rng.below(sizeof kInterestingBytes)]
                               : static_cast<char>(rng.below(256));
      }
      data.insert(rng.below(data.size() + 1), bytes);
      break;
    }
    case 3: {  // delete a range
      const size_t at = rng.below(data.size());
      data.erase(at, 1 + rng.below(std::min<size_t>(data.size() - at, rng.one_in(4) ? 256 : 8)));
      break;
    }
    case 4: {  // truncate
      data.resize(rng.below(data.size()));
      break;
    }
    case 5: {  // duplicate a range elsewhere
      const size_t at = rng.below(data.size());
      const std::string chunk = data.substr(at, 1 + rng.below(std::min<size_t>(data.size() - at, 64)));
      data.insert(rng.below(data.size() + 1), chunk);
      break;
    }
    case 6: {  // splice: a prefix of this input, a suffix of another seed
      if (other.empty()) break;
      data = data.substr(0, rng.below(data.size() + 1)) + other.substr(rng.below(other.size()));
      break;
    }
    case 7: {  // a number (JSON, or digits in a table) becomes an interesting one
      auto tokens = json_tokens(data);
      const Token* t = pick(tokens, rng, [](const Token& k) { return k.kind == Token::number; });
      if (!t) break;
      data.replace(t->begin, t->end - t->begin,
                   kInterestingNumbers[rng.below(sizeof kInterestingNumbers / sizeof *kInterestingNumbers)]);
      break;
    }
    case 8: {  // a string becomes another string of this input, another seed, or an interesting one
      auto tokens = json_tokens(data);
      const Token* t = pick(tokens, rng, [](const Token& k) { return k.kind == Token::string; });
      if (!t) break;
      std::string replacement;
      if (rng.one_in(3)) {
        replacement = kInterestingStrings[rng.below(sizeof kInterestingStrings / sizeof *kInterestingStrings)];
      } else if (rng.one_in(8)) {
        replacement = "\"" + std::string(1000 + rng.below(100000), 'a') + "\"";
      } else {
        const std::string& source = rng.one_in(2) ? data : other;
        auto source_tokens = json_tokens(source);
        const Token* s = pick(source_tokens, rng, [](const Token& k) { return k.kind == Token::string; });
        if (!s) break;
        replacement = source.substr(s->begin, s->end - s->begin);
      }
      data.replace(t->begin, t->end - t->begin, replacement);
      break;
    }
    case 9: {  // swap two tokens
      auto tokens = json_tokens(data);
      if (tokens.size() < 2) break;
      Token a = tokens[rng.below(tokens.size())], b = tokens[rng.below(tokens.size())];
      if (a.begin > b.begin) std::swap(a, b);
      if (a.end > b.begin) break;
      const std::string ta = data.substr(a.begin, a.end - a.begin), tb = data.substr(b.begin, b.end - b.begin);
      data.replace(b.begin, b.end - b.begin, ta);
      data.replace(a.begin, a.end - a.begin, tb);
      break;
    }
    case 10: {  // a scalar becomes a value of another type, or deep nesting
      auto tokens = json_tokens(data);
      const Token* t = pick(tokens, rng, [](const Token& k) { return k.kind != Token::punct; });
      if (!t) break;
      const std::string value = rng.one_in(5) ? deep_nesting(rng)
                                              : kOtherValues[rng.below(sizeof kOtherValues / sizeof *kOtherValues)];
      data.replace(t->begin, t->end - t->begin, value);
      break;
    }
    case 11: {  // line operations: delete, duplicate, swap, or take one from another seed
      auto lines = lines_of(data);
      if (lines.empty()) break;
      const auto [b, e] = lines[rng.below(lines.size())];
      const std::string line = data.substr(b, e - b);
      switch (rng.below(4)) {
        case 0: data.erase(b, e - b); break;
        case 1: data.insert(b, line); break;
        case 2: {
          const auto [b2, e2] = lines[rng.below(lines.size())];
          if (b2 <= b) break;
          const std::string line2 = data.substr(b2, e2 - b2);
          data.replace(b2, e2 - b2, line);
          data.replace(b, e - b, line2);
          break;
        }
        default: {
          auto other_lines = lines_of(other);
          if (other_lines.empty()) break;
          const auto [ob, oe] = other_lines[rng.below(other_lines.size())];
          data.insert(b, other.substr(ob, oe - ob));
        }
      }
      break;
    }
    case 12: {  // a chunk repeated many times (size blow-up)
      if (data.empty()) break;
      const size_t at = rng.below(data.size());
      const std::string chunk = data.substr(at, 1 + rng.below(std::min<size_t>(data.size() - at, 16)));
      std::string repeated;
      const size_t times = 16 + rng.below(4096);
      for (size_t i = 0; i < times; ++i) repeated += chunk;
      data.insert(at, repeated);
      break;
    }
    case 13: {  // the same byte range of another seed pasted over (structure-preserving crossover)
      if (other.empty()) break;
      const size_t at = rng.below(other.size());
      const std::string chunk = other.substr(at, 1 + rng.below(std::min<size_t>(other.size() - at, 128)));
      data.insert(rng.below(data.size() + 1), chunk);
      break;
    }
    default: {  // a seed unchanged but for one round of the above: keeps some inputs near valid
      data = other;
      break;
    }
  }
}

}  // namespace halo::fuzz
