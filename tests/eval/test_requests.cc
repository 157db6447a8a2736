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
