// Log-likelihood precision, tie breaking, acc_norm lengths, mean and stderr (docs/lm-eval-rules.md §0.3, §1, §7.1).
#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "eval/metrics.h"

namespace halo::eval {
namespace {

runtime::ContinuationScore score_of(std::vector<float> fp32, std::vector<float> bf16) {
  runtime::ContinuationScore s;
  s.token_logprobs = std::move(fp32);
  s.token_logprobs_bf16 = std::move(bf16);
  return s;
}

TEST(Loglikelihood, Bf16RoundsEachTokenAndTheSum) {
  // bf16 tokens -10.0625 and -10.0 sum to -20.0625 in fp32, halfway between the bf16 neighbours
  // -20.0 and -20.125 (spacing 0.125 in [16, 32)): round-to-even gives -20.0. fp32 mode sums the
  // unrounded log-probs.
  auto s = score_of({-10.06f, -10.01f}, {-10.0625f, -10.0f});
  EXPECT_EQ(loglikelihood(s, Precision::bf16), -20.0);
  EXPECT_NEAR(loglikelihood(s, Precision::fp32), -20.07, 1e-5);
  auto t = score_of({-20.3f}, {-20.3f});  // an unrounded value is rounded before summing
  EXPECT_EQ(loglikelihood(t, Precision::bf16), -20.25);
}

TEST(MultipleChoice, Bf16TiesBreakToTheLowestIndex) {
  Doc doc;
  doc.choices = {"aaaa", "bbbb"};
  doc.gold = 1;
  // fp32 prefers choice 1; in bf16 both are -20.0 and choice 0 wins the tie.
  std::vector<runtime::ContinuationScore> scores{score_of({-20.01f}, {-20.0f}), score_of({-20.0f}, {-20.0f})};
  auto bf16 = score_multiple_choice(doc, scores, Precision::bf16);
  EXPECT_EQ(bf16.prediction, 0u);
  EXPECT_EQ(bf16.acc, 0.0);
  auto fp32 = score_multiple_choice(doc, scores, Precision::fp32);
  EXPECT_EQ(fp32.prediction, 1u);
  EXPECT_EQ(fp32.acc, 1.0);
}

TEST(MultipleChoice, AccNormDividesByCodePoints) {
  Doc doc;
  doc.choices = {"ééé", "abcdef"};  // 3 code points (6 bytes) vs 6 code points
  doc.gold = 1;
  std::vector<runtime::ContinuationScore> scores{score_of({-7}, {-7}), score_of({-7}, {-7})};
  auto out = score_multiple_choice(doc, scores, Precision::bf16);
  EXPECT_EQ(out.prediction, 0u);       // tie in raw log-likelihood
  EXPECT_EQ(out.prediction_norm, 1u);  // -7/6 > -7/3; by bytes it would tie and pick 0
  EXPECT_EQ(out.acc, 0.0);
  EXPECT_EQ(out.acc_norm, 1.0);
  std::vector<runtime::ContinuationScore> one{score_of({-1}, {-1})};
  EXPECT_THROW(score_multiple_choice(doc, one, Precision::bf16), Error);
}

TEST(Argmax, FirstMaximumOrFirstNan) {
  std::vector<double> v{-2, -1, -1, -3};
  EXPECT_EQ(argmax(v), 1u);
  std::vector<double> n{-2, NAN, -1, NAN};
  EXPECT_EQ(argmax(n), 1u);
}

std::vector<double> ones_of(size_t ones, size_t n) {
  std::vector<double> v(n, 0.0);
  for (size_t i = 0; i < ones; ++i) v[i] = 1.0;
  return v;
}

TEST(Aggregate, MeanAndSampleStderr) {
  // Spec §7.1 checks: hellaswag acc_norm 0.6044 over 10042 docs → 0.0049; arc_challenge 0.4317 over
  // 1172 docs → 0.0145 (sqrt(p(1-p)/(n-1)) for 0/1 data).
  auto hs = aggregate_mean(ones_of(6069, 10042), true);
  EXPECT_NEAR(hs.value, 0.60436, 1e-5);
  ASSERT_TRUE(hs.stderr_value);
  EXPECT_NEAR(*hs.stderr_value, std::sqrt(hs.value * (1 - hs.value) / 10041), 1e-12);
  EXPECT_NEAR(*hs.stderr_value, 0.0049, 0.00005);
  auto arc = aggregate_mean(ones_of(506, 1172), true);
  EXPECT_NEAR(*arc.stderr_value, 0.0145, 0.00005);
  // [0, 0, 1]: mean 1/3, sample variance 1/3, stderr sqrt(1/3)/sqrt(3) = 1/3.
  auto small = aggregate_mean(std::vector<double>{0, 0, 1}, true);
  EXPECT_NEAR(*small.stderr_value, 1.0 / 3.0, 1e-15);
}

TEST(Aggregate, StderrNotAvailable) {
  EXPECT_FALSE(aggregate_mean(std::vector<double>{1.0}, true).stderr_value);  // a single item
  auto mean = aggregate_mean(std::vector<double>{1.0, 0.5, 0.0}, false);       // numpy mean / custom
  EXPECT_EQ(mean.value, 0.5);
  EXPECT_FALSE(mean.stderr_value);
  EXPECT_THROW(aggregate_mean(std::vector<double>{}, true), Error);
}

TEST(Aggregate, RulerLengthSkipsPlaceholders) {
  // aggregate_metrics: the -1 of documents of another length are dropped; none left gives the
  // integer -1; never a stderr.
  auto kept = aggregate(std::vector<double>{-1, 0.5, -1, 1.0}, Aggregation::ruler_length);
  EXPECT_EQ(kept.value, 0.75);
  EXPECT_FALSE(kept.stderr_value);
  EXPECT_FALSE(kept.integer);
  auto none = aggregate(std::vector<double>{-1, -1}, Aggregation::ruler_length);
  EXPECT_EQ(none.value, -1);
  EXPECT_TRUE(none.integer);
  EXPECT_EQ(aggregate(std::vector<double>{-1, 1}, Aggregation::mean).value, 0);  // mean keeps them
  EXPECT_TRUE(aggregate(std::vector<double>{0, 1}, Aggregation::mean).stderr_value);
  EXPECT_FALSE(aggregate(std::vector<double>{0, 1}, Aggregation::numpy_mean).stderr_value);
}

TEST(Aggregate, DocumentsAsLmEvalTaskOutputs) {
  // ruler_qa_squad at lengths 1024 and 4096: process_results reports "4096" for every document
  // (-1 for the 1024 ones) and "1024" for the 1024 ones only. "1024" is not in the task's
  // metric_list: lm-eval's fallback mean, with its stderr and no higher_is_better entry.
  Task task;
  task.metrics = {{"4096", Aggregation::ruler_length}, {"8192", Aggregation::ruler_length}};
  std::vector<DocOutcome> docs(4);
  docs[0].metrics = {{"4096", -1}, {"1024", 1.0}};
  docs[1].metrics = {{"4096", -1}, {"1024", 0.5}};
  docs[2].metrics = {{"4096", 1.0}};
  docs[3].metrics = {{"4096", 0.0}};
  auto metrics = aggregate_documents(task, docs);
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[0].name, "1024");  // sorted, as the table lists them
  EXPECT_EQ(metrics[0].value, 0.75);
  ASSERT_TRUE(metrics[0].stderr_value);
  EXPECT_DOUBLE_EQ(*metrics[0].stderr_value, 0.25);  // sample std sqrt(0.125) / sqrt(2)
  EXPECT_FALSE(metrics[0].direction_known);
  EXPECT_EQ(metrics[1].name, "4096");
  EXPECT_EQ(metrics[1].value, 0.5);
  EXPECT_FALSE(metrics[1].stderr_value);
  EXPECT_TRUE(metrics[1].direction_known);
  EXPECT_FALSE(metrics[1].integer_value);
  // Only 1024 documents (--limit inside the first length): "4096" is the integer -1.
  docs.resize(2);
  metrics = aggregate_documents(task, docs);
  EXPECT_EQ(metrics[1].value, -1);
  EXPECT_TRUE(metrics[1].integer_value);
}

}  // namespace
}  // namespace halo::eval
