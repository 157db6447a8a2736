// Unit tests of the tokenizer on the tiny hand-made fixture tests/data/tokenizer/tiny (byte-level
// BPE with Qwen3's normaliser, split regex and added-token flags). Expected ids were produced by
// HF tokenizers 0.23.2 on the same files; tests/text/differential covers the real Qwen3 tokenizer.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "text/byte_level.h"
#include "text/pre_tokenizer.h"
#include "text/regex.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

namespace halo::text {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<int32_t>;

const fs::path kTiny = fs::path(HALO_TEST_DATA) / "tokenizer" / "tiny";

nlohmann::json tiny_json() {
  std::ifstream in(kTiny / "tokenizer.json");
  return nlohmann::json::parse(in);
}

// A scratch directory per test holding a variant of the fixture.
class Variant {
 public:
  explicit Variant(const std::string& name) : dir_(fs::temp_directory_path() / ("halo_text_" + name)) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Variant() { fs::remove_all(dir_); }
  fs::path write(const std::string& text, const std::string& file = "tokenizer.json") const {
    std::ofstream(dir_ / file, std::ios::binary) << text;
    return dir_;
  }
  fs::path write_json(const nlohmann::json& j) const { return write(j.dump()); }

 private:
  fs::path dir_;
};

// The error message of loading `path`, or "" when it loads.
std::string load_error(const fs::path& path) {
  try {
    Tokenizer::load(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class Tiny : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { tok_ = new Tokenizer(Tokenizer::load(kTiny)); }
  static void TearDownTestSuite() { delete tok_; }
  static Tokenizer* tok_;
};
Tokenizer* Tiny::tok_ = nullptr;

TEST_F(Tiny, MergesApplyByRank) {
  EXPECT_EQ(tok_->encode("hello"), (Ids{259}));
  EXPECT_EQ(tok_->encode(" hello"), (Ids{261}));  // "Ġ h" ranks below "h e": Ġhello, not Ġh+ello
  EXPECT_EQ(tok_->encode("abc"), (Ids{97, 262}));  // "b c" outranks "a b"
  EXPECT_EQ(tok_->encode("ab"), (Ids{263}));
  EXPECT_EQ(tok_->encode("hello  hello"), (Ids{259, 32, 261}));
  EXPECT_EQ(tok_->encode("a\n\nb"), (Ids{97, 268, 98}));
  EXPECT_EQ(tok_->encode("12"), (Ids{49, 50}));  // digits are split one by one before BPE
  EXPECT_EQ(tok_->encode("it's"), (Ids{105, 116, 267}));
}

TEST_F(Tiny, BytesMapToTheirByteLevelTokens) {
  EXPECT_EQ(tok_->encode("\xC3\xA9"), (Ids{264}));       // é: merged "Ã©"
  EXPECT_EQ(tok_->encode("a\xC3\xBF"), (Ids{97, 195, 191}));  // ÿ: bytes C3 BF
  EXPECT_EQ(tok_->encode("\xE2\x80\xA8"), (Ids{226, 128, 168}));  // U+2028
  EXPECT_EQ(tok_->id_to_token(32), "\xC4\xA0");  // the space byte is spelt "Ġ"
  EXPECT_EQ(tok_->token_to_id("\xC4\xA0\xC4\xA0"), 265);
  EXPECT_EQ(byte_to_char(0x20), U'\u0120');
  EXPECT_EQ(byte_to_char('A'), U'A');
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, char(b));
    EXPECT_EQ(byte_level_to_bytes(bytes_to_byte_level(one)), one);
  }
  EXPECT_EQ(byte_level_to_bytes("a b"), std::nullopt);  // a plain space is not in the alphabet
}

TEST_F(Tiny, NormalisesToNfc) {
  EXPECT_EQ(tok_->encode("e\xCC\x81"), (Ids{264}));  // e + U+0301 → é
  EXPECT_EQ(tok_->decode(tok_->encode("e\xCC\x81")), "\xC3\xA9");
}

TEST_F(Tiny, AddedTokensMatchLiterallyLongestFirst) {
  EXPECT_EQ(tok_->encode("x<|end|>y"), (Ids{120, 269, 121}));
  EXPECT_EQ(tok_->encode("<|end|>long!"), (Ids{270, 33}));
  EXPECT_EQ(tok_->encode("<|end|>lon"), (Ids{269, 108, 111, 110}));
  EXPECT_EQ(tok_->encode("<|end|><|end|>"), (Ids{269, 269}));
  EXPECT_EQ(tok_->encode("a<sep>b"), (Ids{97, 271, 98}));
  // add_special_tokens does not change matching; the ByteLevel post-processor adds nothing.
  EXPECT_EQ(tok_->encode("x<|end|>y", true), (Ids{120, 269, 121}));
}

TEST_F(Tiny, AddedTokenFlags) {
  EXPECT_EQ(tok_->encode("a  [MASK]  b"), (Ids{97, 272, 98}));  // lstrip + rstrip swallow spaces
  EXPECT_EQ(tok_->encode("word"), (Ids{273}));                    // single_word
  EXPECT_EQ(tok_->encode("a word b"), (Ids{97, 32, 273, 32, 98}));
  EXPECT_EQ(tok_->encode("swordfish"), (Ids{115, 119, 111, 114, 100, 102, 105, 115, 104}));
  EXPECT_EQ(tok_->encode("word_x"), (Ids{119, 111, 114, 100, 95, 120}));
  EXPECT_EQ(tok_->encode("\xC3\xA9word"), (Ids{264, 119, 111, 114, 100}));
  // normalized=true: matched in NFC text, so the decomposed spelling matches too.
  EXPECT_EQ(tok_->encode("caf\xC3\xA9"), (Ids{274}));
  EXPECT_EQ(tok_->encode("cafe\xCC\x81s"), (Ids{274, 115}));
}

TEST_F(Tiny, DecodesWithAndWithoutSpecialTokens) {
  const Ids ids{104, 269, 270, 272, 195};
  EXPECT_EQ(tok_->decode(ids), "h<|end|><|end|>long[MASK]\xEF\xBF\xBD");
  EXPECT_EQ(tok_->decode(ids, /*skip_special_tokens=*/true), "h<|end|>long\xEF\xBF\xBD");
  EXPECT_EQ(tok_->decode(Ids{99999, -1, 104}), "h");  // unknown ids are skipped, as in HF
}

TEST_F(Tiny, DecodeReplacesIllFormedUtf8LikeFromUtf8Lossy) {
  // E2 82 is a truncated 3-byte sequence: one U+FFFD, then 'A', then a whole emoji across 4 tokens.
  EXPECT_EQ(tok_->decode(Ids{0xE2, 0x82, 0x41, 0xF0, 0x9F, 0x98, 0x80}), "\xEF\xBF\xBD" "A\xF0\x9F\x98\x80");
  std::string out;
  append_utf8_lossy("a\xC0\xAF" "b\xED\xA0\x80" "c\xF4\x90\x80\x80", out);  // overlong, surrogate, > U+10FFFF
  EXPECT_EQ(out, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "c"
                 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(valid_utf8_prefix("ok \xE2\x82\xAC then \xFF"), 12u);
}

TEST_F(Tiny, EncodeRepairsIllFormedInputFirst) {
  // Encoding bytes is encoding their lossy UTF-8 text: FF becomes U+FFFD (EF BF BD).
  EXPECT_EQ(tok_->encode("a\xFF"), tok_->encode("a\xEF\xBF\xBD"));
  EXPECT_EQ(tok_->decode(tok_->encode("a\xFF")), "a\xEF\xBF\xBD");
}

TEST_F(Tiny, VocabularyAndConfig) {
  EXPECT_EQ(tok_->vocab_size(), 275u);
  EXPECT_EQ(tok_->bos_id(), std::nullopt);  // bos_token: null
  EXPECT_EQ(tok_->eos_id(), 269);           // eos_token: "<|end|>"
  EXPECT_EQ(tok_->token_to_id("<sep>"), 271);
  EXPECT_EQ(tok_->token_to_id("nope"), std::nullopt);
  EXPECT_EQ(tok_->id_to_token(274), "caf\xC3\xA9");
  EXPECT_THROW(tok_->id_to_token(275), Error);
}

TEST_F(Tiny, LongRunsStayLinear) {
  const std::string spaces(200000, ' ');
  const Ids ids = tok_->encode("x" + spaces + "y");
  EXPECT_EQ(tok_->decode(ids), "x" + spaces + "y");
  const std::string word(100000, 'l');  // one huge piece: 50000 "ll" merges
  EXPECT_EQ(tok_->encode(word), Ids(50000, 257));
}

TEST_F(Tiny, ConcurrentEncodesAgree) {
  // Threads share the BPE cache and each has its own regex scratch.
  const std::string text = "hello abc caf\xC3\xA9 it's <|end|> a  [MASK] b\n\n";
  const Ids want = tok_->encode(text);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (tok_->encode(std::to_string(t * i) + text).size() < want.size()) ++bad;
        if (tok_->encode(text) != want) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(PreTokenizer, WhitespaceIsUnicodeWhiteSpaceAsInOniguruma) {
  // HF (Oniguruma) does not count U+180E as whitespace; PCRE2's \s would, so \s is rewritten.
  const nlohmann::json j = tiny_json();
  PreTokenizerStep split;
  split.split.pattern = j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"];
  PreTokenizer pre({split}, "test");
  std::vector<std::string> pieces;
  pre.run("a\xE1\xA0\x8E\xE1\xA0\x8E" "b x\xC2\x85\xC2\x85" "b", [&](std::string_view p) { pieces.emplace_back(p); });
  EXPECT_EQ(pieces, (std::vector<std::string>{"a", "\xE1\xA0\x8E\xE1\xA0\x8E", "b", " x", "\xC2\x85", "\xC2\x85" "b"}));
  EXPECT_EQ(translate_whitespace_escapes(R"(\s+(?!\S)|[^\s\p{L}])", "test"),
            R"([\t\n\x0B\f\r\x{85}\p{Z}]+(?![^\t\n\x0B\f\r\x{85}\p{Z}])|[^\t\n\x0B\f\r\x{85}\p{Z}\p{L}])");
  EXPECT_EQ(translate_whitespace_escapes(R"([]\s]\\s)", "test"), R"([]\t\n\x0B\f\r\x{85}\p{Z}]\\s)");
  EXPECT_THROW(translate_whitespace_escapes(R"([\S])", "test"), Error);
}

TEST(Variants, MergesAsStrings) {
  nlohmann::json j = tiny_json();
  for (auto& m : j["model"]["merges"]) m = m[0].get<std::string>() + " " + m[1].get<std::string>();
  Variant v("merge_strings");
  EXPECT_EQ(Tokenizer::load(v.write_json(j)).encode(" hello abc"), (Ids{261, 32, 97, 262}));
}

TEST(Variants, RepeatedMergeTakesItsLastRank) {
  nlohmann::json j = tiny_json();
  j["model"]["merges"].push_back({"b", "c"});  // now ranks after "a b"
  Variant v("repeated_merge");
  EXPECT_EQ(Tokenizer::load(v.write_json(j)).encode("abc"), (Ids{263, 99}));
}

TEST(Variants, Gpt2ByteLevelWithPrefixSpace) {
  nlohmann::json j = tiny_json();
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  Variant v("gpt2");
  const Tokenizer tok = Tokenizer::load(v.write_json(j));
  EXPECT_EQ(tok.encode("hello"), (Ids{261}));
  EXPECT_EQ(tok.encode(""), (Ids{}));
  EXPECT_EQ(tok.encode("a<sep>b"), (Ids{32, 97, 271, 32, 98}));  // each section gets its prefix space
  EXPECT_EQ(tok.encode("<sep> b"), (Ids{271, 32, 98}));
  EXPECT_EQ(tok.encode("hello hello's  \xE1\xA0\x8E" "ab"), (Ids{261, 261, 267, 32, 32, 225, 160, 142, 263}));
}

TEST(Variants, TemplatePostProcessorAddsTokensOnlyWhenAsked) {
  nlohmann::json j = tiny_json();
  j["post_processor"] = nlohmann::json::parse(R"({"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<sep>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
               {"SpecialToken": {"id": "<|end|>", "type_id": 0}}],
    "pair": [], "special_tokens": {"<|end|>": {"id": "<|end|>", "ids": [269], "tokens": ["<|end|>"]},
                                   "<sep>": {"id": "<sep>", "ids": [271], "tokens": ["<sep>"]}}})");
  Variant v("template");
  const Tokenizer tok = Tokenizer::load(v.write_json(j));
  EXPECT_EQ(tok.encode("ab", true), (Ids{271, 263, 269}));
  EXPECT_EQ(tok.encode("ab", false), (Ids{263}));
}

TEST(Variants, IgnoreMergesTakesWholeVocabularyTokens) {
  nlohmann::json j = tiny_json();
  j["model"]["vocab"]["xyz"] = 275;  // a token no merge produces (the next free id)
  Variant v("ignore_merges");
  EXPECT_EQ(Tokenizer::load(v.write_json(j)).encode("xyz hello"), (Ids{120, 121, 122, 261}));
  j["model"]["ignore_merges"] = true;
  EXPECT_EQ(Tokenizer::load(v.write_json(j)).encode("xyz hello"), (Ids{275, 261}));
}

TEST(Variants, SplitOnLiteralStringRemoved) {
  nlohmann::json j = tiny_json();
  j["pre_tokenizer"]["pretokenizers"][0] = {
      {"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "Removed"}, {"invert", false}};
  Variant v("removed");
  EXPECT_EQ(Tokenizer::load(v.write_json(j)).encode("a b  c"), (Ids{97, 98, 99}));
}

TEST(BadInput, MissingOrCorruptFilesNameTheFile) {
  Variant v("bad_files");
  const fs::path empty_dir = v.write("", "unrelated.txt");
  EXPECT_NE(load_error(empty_dir).find((empty_dir / "tokenizer.json").string()), std::string::npos);
  EXPECT_NE(load_error(empty_dir / "nope.json").find("nope.json"), std::string::npos);
  v.write("{\"model\": [1, 2");
  const std::string corrupt = load_error(empty_dir);
  EXPECT_NE(corrupt.find("tokenizer.json: invalid JSON"), std::string::npos) << corrupt;
  fs::remove(empty_dir / "tokenizer.json");
  v.write("\x08\x01", "tokenizer.model");
  EXPECT_NE(load_error(empty_dir).find("SentencePiece"), std::string::npos);
}

TEST(BadInput, UnsupportedModelsAndSteps) {
  Variant v("bad_model");
  nlohmann::json j = tiny_json();
  j["model"] = {{"type", "Unigram"}, {"vocab", nlohmann::json::array()}};
  std::string e = load_error(v.write_json(j));
  EXPECT_NE(e.find("tokenizer.json: model.type: unsupported model 'Unigram'"), std::string::npos) << e;
  j["model"]["type"] = "WordPiece";
  EXPECT_NE(load_error(v.write_json(j)).find("'WordPiece'"), std::string::npos);
  j = tiny_json();
  j["normalizer"] = {{"type", "NFKC"}};
  EXPECT_NE(load_error(v.write_json(j)).find("normalizer.type"), std::string::npos);
  j = tiny_json();
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "_"}};
  EXPECT_NE(load_error(v.write_json(j)).find("unsupported pre_tokenizer 'Metaspace'"), std::string::npos);
  j = tiny_json();
  j["model"]["dropout"] = 0.1;
  EXPECT_NE(load_error(v.write_json(j)).find("model.dropout"), std::string::npos);
  j = tiny_json();
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  EXPECT_NE(load_error(v.write_json(j)).find("bad regex"), std::string::npos);
}

TEST(BadInput, MergesMustReferToVocabularyTokens) {
  Variant v("bad_merges");
  nlohmann::json j = tiny_json();
  j["model"]["merges"][2] = {"he", "zz"};
  std::string e = load_error(v.write_json(j));
  EXPECT_NE(e.find("tokenizer.json: model.merges[2]: token 'zz' is not in model.vocab"), std::string::npos) << e;
  j["model"]["merges"][2] = {"he", "l"};  // both parts known, but "hel" is not a token
  e = load_error(v.write_json(j));
  EXPECT_NE(e.find("model.merges[2]: token 'hel' is not in model.vocab"), std::string::npos) << e;
  j = tiny_json();
  const int a_id = j["model"]["vocab"]["A"];
  j["model"]["vocab"].erase("A");
  j["model"]["vocab"]["not-a-byte"] = a_id;  // ids stay dense
  e = load_error(v.write_json(j));
  EXPECT_NE(e.find("byte 0x41"), std::string::npos) << e;
}

// Tables are indexed by id: an id far beyond the number of tokens would ask for gigabytes (2^31 - 1
// used to end in "vector::_M_default_append", 10^8 took 6.4 GB). Ids are bounded by the entries.
TEST(BadInput, IdsAreBoundedByTheNumberOfTokens) {
  Variant v("huge_ids");
  nlohmann::json j = tiny_json();
  j["model"]["vocab"]["xyz"] = 2147483647;
  std::string e = load_error(v.write_json(j));
  EXPECT_NE(e.find("tokenizer.json: model.vocab[\"xyz\"]: id 2147483647 is out of range: the file holds 276 tokens"),
            std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  j = tiny_json();
  j["added_tokens"][0]["id"] = 100000000;
  e = load_error(v.write_json(j));
  EXPECT_NE(e.find("added_tokens[0] (\"" + j["added_tokens"][0]["content"].get<std::string>() + "\"): id 100000000"),
            std::string::npos) << e;
  // A control character in a token stays on the error's one line.
  j = tiny_json();
  j["model"]["vocab"]["a\nb"] = 1000;
  e = load_error(v.write_json(j));
  EXPECT_NE(e.find("model.vocab[\"a\\nb\"]"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST(BadInput, ConfigTokensMustExist) {
  Variant v("bad_config");
  v.write_json(tiny_json());
  const fs::path dir = v.write(R"({"eos_token": {"content": "<|nope|>", "__type": "AddedToken"}})",
                               "tokenizer_config.json");
  const std::string e = load_error(dir);
  EXPECT_NE(e.find("tokenizer_config.json: eos_token: '<|nope|>' is not in the vocabulary"), std::string::npos) << e;
}

TEST(TokenizeCli, EncodesAndDecodes) {
  const std::string halo = HALO_BINARY;
  const fs::path out = fs::temp_directory_path() / "halo_text_cli.txt";
  auto run = [&](const std::string& args) {
    const int rc = std::system((halo + " tokenize --tokenizer " + kTiny.string() + " " + args + " > " +
                                out.string() + " 2>&1").c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::make_pair(rc, text);
  };
  EXPECT_EQ(run("--text ' hello<sep>'"), std::make_pair(0, std::string("{\"ids\":[261,271],\"tokens\":[\"\xC4\xA0hello\",\"<sep>\"]}\n")));
  EXPECT_EQ(run("--text ' hello<sep>' --ids-only"), std::make_pair(0, std::string("261,271\n")));
  EXPECT_EQ(run("--decode 259,269,32 --skip-special-tokens"), std::make_pair(0, std::string("hello \n")));
  const auto [rc, text] = run("--decode 1,x");
  EXPECT_NE(rc, 0);
  EXPECT_NE(text.find("halo: error: --decode"), std::string::npos) << text;
  fs::remove(out);
}

}  // namespace
}  // namespace halo::text
