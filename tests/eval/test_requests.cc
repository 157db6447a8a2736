// Request building and generation stop rules (docs/lm-eval-rules.md §0.3, §0.4) on a byte codec.
#include <gtest/gtest.h>

#include "base/error.h"
#include "eval/requests.h"
#include "fakes.h"

namespace halo::eval {
namespace {

using testing::ByteCodec;

std::vector<int32_t> bytes(std::string_view s) {
  std::vector<int32_t> out;
  for (unsigned char c : s) out.push_back(c);
  return out;
}

TEST(ScoreRequest, ContinuationIsTheTailOfTheWholeEncoding) {
  ByteCodec codec;
  std::vector<std::string> continuations{" Because."};
  auto built = build_score_request(codec, "Question: Why?\nAnswer:", continuations, std::nullopt);
  EXPECT_EQ(built.request.context, bytes("Question: Why?\nAnswer:"));
  EXPECT_EQ(built.request.continuations, (std::vector<std::vector<int32_t>>{bytes(" Because.")}));
}

TEST(ScoreRequest, MergeAcrossTheBoundaryIsNotRepaired) {
  // With ": " one token, tok("Q: yes") = [Q, ": ", y, e, s] while tok("Q:") = [Q, :]; lm-eval takes
  // whole[len(ctx):] = [y, e, s]: the merged ": " token belongs to neither side.
  ByteCodec codec({": "});
  std::vector<std::string> continuations{" yes", "!"};
  auto built = build_score_request(codec, "Q:", continuations, std::nullopt);
  EXPECT_EQ(built.request.context, bytes("Q:"));
  EXPECT_EQ(built.request.continuations[0], bytes("yes"));
  EXPECT_EQ(built.request.continuations[1], bytes("!"));
}

TEST(ScoreRequest, TrailingWhitespaceMovesToEveryContinuation) {
  ByteCodec codec;
  std::vector<std::string> continuations{"a", "b"};
  auto built = build_score_request(codec, "Answer: \u00a0", continuations, std::nullopt);
  EXPECT_EQ(built.context, "Answer:");
  EXPECT_EQ(built.continuations, (std::vector<std::string>{" \u00a0a", " \u00a0b"}));
  EXPECT_EQ(built.request.context, bytes("Answer:"));
  EXPECT_EQ(built.request.continuations[0], bytes(" \u00a0a"));
}

TEST(ScoreRequest, EmptyContextUsesThePrefixToken) {
  ByteCodec codec;
  std::vector<std::string> continuations{"hi"};
  auto built = build_score_request(codec, "  ", continuations, 7);
  EXPECT_EQ(built.request.context, (std::vector<int32_t>{7}));
  EXPECT_EQ(built.request.continuations[0], bytes("  hi"));
  EXPECT_THROW(build_score_request(codec, "", continuations, std::nullopt), Error);
}

// lm-eval 0.4.9.1 (HFLM._loglikelihood_tokens, causal): the model input is
// (context + continuation)[-(max_length + 1):][:-1]; the continuation keeps all its tokens.
TEST(ScoreRequest, TooLongPairsLoseContextFromTheLeftAsLmEvalDoes) {
  ByteCodec codec;
  std::vector<std::string> continuations{" ab", " abcdef"};
  auto fits = build_score_request(codec, "0123456789", continuations, std::nullopt, /*max_length=*/16);
  EXPECT_TRUE(fits.truncated.empty()) << "10 + 7 = 17 = max_length + 1 tokens still fit";
  ASSERT_EQ(fits.model_requests().size(), 1u);
  EXPECT_EQ(fits.model_requests()[0].context, bytes("0123456789"));

  auto cut = build_score_request(codec, "0123456789", continuations, std::nullopt, /*max_length=*/12);
  EXPECT_EQ(cut.request.context, bytes("0123456789")) << "the encoded request is kept whole";
  ASSERT_EQ(cut.truncated.size(), 2u);
  // " ab": 10 + 3 = 13 = 12 + 1, nothing to cut; " abcdef": 10 + 7 = 17, 4 tokens go.
  EXPECT_EQ(cut.truncated[0].context, bytes("0123456789"));
  EXPECT_EQ(cut.truncated[0].continuations, (std::vector<std::vector<int32_t>>{bytes(" ab")}));
  EXPECT_EQ(cut.truncated[1].context, bytes("456789"));
  EXPECT_EQ(cut.truncated[1].continuations, (std::vector<std::vector<int32_t>>{bytes(" abcdef")}));
  for (const auto& r : cut.model_requests()) {
    EXPECT_LE(r.context.size() + r.continuations[0].size() - 1, 12u) << "positions run stay below max_length";
  }
  // lm-eval asserts len(continuation) <= max_length.
  EXPECT_THROW(build_score_request(codec, "0123456789", continuations, std::nullopt, 6), Error);
}

TEST(GenerationPrompt, KeepsTheLastMaxLengthMinusMaxGenToksTokens) {
  EXPECT_EQ(left_truncate_prompt(bytes("0123456789"), 64, 48), bytes("0123456789"));
  EXPECT_EQ(left_truncate_prompt(bytes("0123456789"), 52, 48), bytes("6789"));
  EXPECT_EQ(left_truncate_prompt(bytes("0123"), 52, 48), bytes("0123"));
  EXPECT_THROW(left_truncate_prompt(bytes("0123"), 48, 48), Error);  // lm-eval asserts max_ctx_len > 0
}

TEST(StopStrings, EosStringAppendedOnce) {
  ByteCodec codec;
  std::vector<std::string> until{"\n"};
  StopStrings stops(codec, until, "<|im_end|>");
  EXPECT_EQ(stops.strings(), (std::vector<std::string>{"\n", "<|im_end|>"}));
  std::vector<std::string> with_eos{"<|im_end|>", "\n"};
  EXPECT_EQ(StopStrings(codec, with_eos, "<|im_end|>").strings(), with_eos);
  EXPECT_EQ(StopStrings(codec, {}, "<|im_end|>").strings(), (std::vector<std::string>{"<|im_end|>"}));
}

TEST(StopStrings, LooksAtTheLastLenPlusTwoTokens) {
  ByteCodec codec;
  std::vector<std::string> until{"\n", "STOP"};
  StopStrings stops(codec, until, "<|im_end|>");
  EXPECT_FALSE(stops.should_stop(bytes("ab")));
  EXPECT_TRUE(stops.should_stop(bytes("ab\n")));
  EXPECT_TRUE(stops.should_stop(bytes("a\nb")));
  EXPECT_TRUE(stops.should_stop(bytes("a\nbc")));
  EXPECT_FALSE(stops.should_stop(bytes("a\nbcd")));  // "\n" (1 token) is looked for in 3 tokens only
  EXPECT_TRUE(stops.should_stop(bytes("xxxSTOP")));  // "STOP": 4 + 2 tokens
  std::vector<int32_t> eos = bytes("ok");
  eos.push_back(ByteCodec::kImEnd);  // decoded with special tokens kept
  EXPECT_TRUE(stops.should_stop(eos));
}

TEST(StopStrings, OutputIsCutAtEachStopStringInOrder) {
  ByteCodec codec;
  std::vector<std::string> until{"\n", "", "ST"};
  StopStrings stops(codec, until, "<|im_end|>");
  std::vector<int32_t> ids = bytes(" Paris ST\nLondon");
  ids.push_back(ByteCodec::kImEnd);
  EXPECT_EQ(stops.output_text(ids), " Paris ");
  // Special tokens are skipped when decoding the output, so nothing of the EOS string remains.
  std::vector<int32_t> eos = bytes(" Rome");
  eos.push_back(ByteCodec::kImEnd);
  EXPECT_EQ(StopStrings(codec, {}, "<|im_end|>").output_text(eos), " Rome");
}

}  // namespace
}  // namespace halo::eval
