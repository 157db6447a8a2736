// Layer-prefix reuse: a VariantSetRunner answering for many variants at once must give, for each
// variant, exactly what that variant gives alone (ModelRunner): bit for bit on the CPU backend,
// since the shared layers run on the same packed rows.
#include <gtest/gtest.h>

#include <random>

#include "backend/cpu/cpu_backend.h"
#include "base/error.h"
#include "runtime/model_runner.h"
#include "runtime/sequence_state.h"
#include "runtime/variant_set_runner.h"
#include "tiny_checkpoint.h"

namespace halo::runtime {
namespace {

constexpr int kLayers = 4;

class VariantSet : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(testing::fresh_temp_dir("variant_set"));
    testing::TinySpec spec;
    spec.layers = kLayers;
    testing::write_tiny_model(*dir_ / "model", spec);
    testing::write_tiny_run(*dir_ / "run", spec, 3);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    model_ = std::make_unique<model::Model>(
        model::Model::load(backend_, *dir_ / "model", {*dir_ / "run", std::nullopt, {0, 1, 2, 3}}));
  }

  // The original, every single-layer hybrid, two hybrids sharing a first converted layer, and the
  // original again: duplicates and equal starts must not disturb each other.
  static std::vector<model::Variant> variants() {
    std::vector<model::Variant> v{model::Variant::original(kLayers)};
    for (int l = 0; l < kLayers; ++l) v.push_back(model::Variant::converting(kLayers, {l}));
    v.push_back(model::Variant::converting(kLayers, {1, 3}));
    v.push_back(model::Variant::converting(kLayers, {1, 2}));
    v.push_back(model::Variant::original(kLayers));
    return v;
  }

  static std::vector<int32_t> random_tokens(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> t(n);
    for (auto& x : t) x = int32_t(rng() % 64);
    return t;
  }

  static std::filesystem::path* dir_;
  backend::CpuBackend backend_;
  std::unique_ptr<model::Model> model_;
};
std::filesystem::path* VariantSet::dir_ = nullptr;

void expect_same(const ContinuationScore& a, const ContinuationScore& b) {
  EXPECT_EQ(a.token_logprobs, b.token_logprobs);
  EXPECT_EQ(a.token_logprobs_bf16, b.token_logprobs_bf16);
  EXPECT_EQ(a.is_greedy, b.is_greedy);
}

TEST_F(VariantSet, ScoresEqualEachVariantAlone) {
  std::vector<ScoreRequest> requests;
  for (uint32_t i = 0; i < 6; ++i) {
    requests.push_back({random_tokens(2 + 11 * i, 10 + i), {random_tokens(1 + i, 20 + i), random_tokens(3, 30 + i), {}}});
  }
  VariantSetRunner set(backend_, *model_, variants());
  EXPECT_EQ(set.start_layer(0), kLayers);
  EXPECT_EQ(set.start_layer(3), 2);
  EXPECT_EQ(set.start_layer(5), 1);
  // All of them at once, and a subset in another order (the sweep asks only for unfinished ones).
  std::vector<size_t> all{0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<size_t> some{6, 2, 7};
  for (const auto& which : {all, some}) {
    auto together = set.score(which, requests);
    ASSERT_EQ(together.size(), which.size());
    for (size_t k = 0; k < which.size(); ++k) {
      ModelRunner alone(backend_, *model_, set.variant(which[k]));
      auto expected = alone.score(requests);
      for (size_t r = 0; r < requests.size(); ++r) {
        ASSERT_EQ(together[k][r].size(), expected[r].size());
        for (size_t c = 0; c < expected[r].size(); ++c) expect_same(together[k][r][c], expected[r][c]);
      }
    }
  }
}

// Counts the LM-head calls: one per scoring pass and variant.
class HeadCounter final : public backend::OpObserver {
 public:
  void op_begin(const char* op, int64_t) override { heads += std::string_view(op) == "score_head"; }
  void op_end(const char*) override {}
  int heads = 0;
};

TEST_F(VariantSet, AScoringMemoryCapCutsMorePassesWithTheSameScores) {
  std::vector<ScoreRequest> requests;
  for (uint32_t i = 0; i < 6; ++i) {
    requests.push_back({random_tokens(2 + 11 * i, 40 + i), {random_tokens(1 + i, 50 + i), random_tokens(3, 60 + i)}});
  }
  const std::vector<size_t> which{0, 2, 5};  // starts 4 (the original), 1 and 1: two distinct + the end
  int64_t largest = 0;
  for (const auto& r : requests) largest = std::max(largest, scoring_bytes(model_->config(), 4, r, 3));
  // A request's own count: the context's cache, one copy a continuation, and three residual rows a token.
  const auto& c = model_->config();
  const int64_t kv = int64_t(c.num_layers) * 2 * c.num_kv_heads * c.head_dim;
  EXPECT_EQ(scoring_bytes(c, 4, requests[1], 3), 4 * ((13 + 15 + 16) * kv + (13 + 2 + 3) * 3 * int64_t(c.hidden_size)));

  HeadCounter counter;
  backend_.set_observer(&counter);
  VariantSetRunner uncapped(backend_, *model_, variants());
  auto expected = uncapped.score(which, requests);
  EXPECT_EQ(counter.heads, 3);  // one pass, three variants
  counter.heads = 0;
  VariantSetRunner capped(backend_, *model_, variants());
  capped.set_scoring_memory(largest);  // the largest request alone; smaller ones two or three a pass
  auto got = capped.score(which, requests);
  EXPECT_GT(counter.heads, 3);
  EXPECT_LT(counter.heads, 3 * 6);
  counter.heads = 0;
  capped.set_scoring_memory(1);  // below one request: still one request a pass
  auto one = capped.score(which, requests);
  EXPECT_EQ(counter.heads, 3 * 6);
  backend_.set_observer(nullptr);
  // Other passes give the products other row counts, so fp32 sums may round differently in the
  // last bits; the scores are the same to that.
  auto expect_close = [](const ContinuationScore& a, const ContinuationScore& b) {
    ASSERT_EQ(a.token_logprobs.size(), b.token_logprobs.size());
    for (size_t t = 0; t < a.token_logprobs.size(); ++t) EXPECT_NEAR(a.token_logprobs[t], b.token_logprobs[t], 1e-5);
    EXPECT_EQ(a.is_greedy, b.is_greedy);
  };
  for (size_t k = 0; k < which.size(); ++k) {
    for (size_t r = 0; r < requests.size(); ++r) {
      ASSERT_EQ(got[k][r].size(), expected[k][r].size());
      for (size_t i = 0; i < expected[k][r].size(); ++i) {
        expect_close(got[k][r][i], expected[k][r][i]);
        expect_close(one[k][r][i], expected[k][r][i]);
      }
    }
  }
}

TEST_F(VariantSet, GenerationsEqualEachVariantAlone) {
  std::vector<GenerateRequest> prompts(4);
  for (uint32_t i = 0; i < 4; ++i) {
    prompts[i].prompt = random_tokens(4 + 9 * i, 50 + i);
    prompts[i].max_new_tokens = int(2 + 3 * i);
  }
  prompts[1].max_new_tokens = 0;  // asks for nothing: stays empty, takes no part in the passes
  VariantSetRunner set(backend_, *model_, variants());
  std::vector<size_t> all{0, 1, 2, 3, 4, 5, 6, 7};
  auto together = set.generate(all, prompts);
  for (size_t k = 0; k < all.size(); ++k) {
    ModelRunner alone(backend_, *model_, set.variant(k));
    auto expected = alone.generate(prompts);
    EXPECT_EQ(together[k], expected) << set.variant(k).describe();
    EXPECT_TRUE(together[k][1].empty());
    EXPECT_EQ(together[k][3].size(), 11u);
  }
}

// Generation borrows the base pass's caches: a subset out of order and without the original (the
// base pass never reaches the top layers, whose caches the variants use as their own), one long
// generation (300 new tokens), and two variants starting at the same layer, the second over caches
// the first has written.
TEST_F(VariantSet, GenerationsBorrowingTheBaseCachesEqualEachVariantAlone) {
  std::vector<GenerateRequest> prompts(3);
  for (uint32_t i = 0; i < 3; ++i) {
    prompts[i].prompt = random_tokens(5 + 7 * i, 70 + i);
    prompts[i].max_new_tokens = 6;
  }
  prompts[2].max_new_tokens = 300;
  VariantSetRunner set(backend_, *model_, variants());
  std::vector<size_t> which{6, 4, 2, 5};  // first converted layers 1, 3, 1, 1
  auto together = set.generate(which, prompts);
  for (size_t k = 0; k < which.size(); ++k) {
    ModelRunner alone(backend_, *model_, set.variant(which[k]));
    EXPECT_EQ(together[k], alone.generate(prompts)) << set.variant(which[k]).describe();
    EXPECT_EQ(together[k][2].size(), 300u);
  }
}

TEST_F(VariantSet, ABorrowingStateSharesTheLendersCachesAndOwnsItsLightningStates) {
  const model::Variant original = model::Variant::original(kLayers);
  SequenceState lender(backend_, *model_, original, 12);
  const model::Variant hybrid = model::Variant::converting(kLayers, {2});
  SequenceState borrower = SequenceState::borrowing(lender, hybrid);
  EXPECT_EQ(borrower.length(), 0);
  EXPECT_TRUE(borrower.holds(0, kLayers));
  for (int i = 0; i < kLayers; ++i) {
    if (i == 2) {
      EXPECT_TRUE(borrower.layer(i).k_cache.empty());
      EXPECT_FALSE(borrower.layer(i).lightning.empty());
    } else {
      EXPECT_EQ(borrower.layer(i).k_cache.data(), lender.layer(i).k_cache.data()) << i;
      EXPECT_EQ(borrower.layer(i).v_cache.data(), lender.layer(i).v_cache.data()) << i;
    }
  }
  // Only a lender holding every layer, at length 0, can lend.
  SequenceState partial(backend_, *model_, original, 12, 0, 2);
  EXPECT_THROW(SequenceState::borrowing(partial, hybrid), Error);
  SequenceState advanced(backend_, *model_, original, 12);
  advanced.advance(3);
  EXPECT_THROW(SequenceState::borrowing(advanced, hybrid), Error);
}

// A lender with a lightning layer of its own (a hybrid checkpoint as the base model): the borrower
// continues from a copy of that state — what the base pass put there — not from zeros, and the
// lender's stays its own.
TEST_F(VariantSet, ABorrowingStateCopiesTheLendersLightningStates) {
  const model::Variant lender_kind = model::Variant::converting(kLayers, {0});
  SequenceState lender(backend_, *model_, lender_kind, 12);
  backend::Tensor& lent = lender.layer(0).lightning;
  std::vector<float> values(size_t(lent.rows() * lent.cols()));
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.01f * float(i % 97) - 0.3f;
  backend::Tensor filled = backend_.upload(values, lent.rows(), lent.cols());
  backend_.copy(filled, lent);
  SequenceState borrower = SequenceState::borrowing(lender, model::Variant::converting(kLayers, {0, 2}));
  EXPECT_NE(borrower.layer(0).lightning.data(), lent.data());
  EXPECT_EQ(backend_.download(borrower.layer(0).lightning), values);
  EXPECT_EQ(backend_.download(borrower.layer(2).lightning), std::vector<float>(values.size(), 0.0f));
}

// Only converted variants: the base pass stops at the largest first converted layer.
TEST_F(VariantSet, WithoutTheOriginal) {
  std::vector<ScoreRequest> requests{{random_tokens(9, 1), {random_tokens(4, 2), random_tokens(2, 3)}}};
  VariantSetRunner set(backend_, *model_, {model::Variant::converting(kLayers, {0}), model::Variant::converting(kLayers, {2, 3})});
  std::vector<size_t> which{1, 0};
  auto together = set.score(which, requests);
  for (size_t k = 0; k < which.size(); ++k) {
    ModelRunner alone(backend_, *model_, set.variant(which[k]));
    auto expected = alone.score(requests);
    for (size_t c = 0; c < 2; ++c) expect_same(together[k][0][c], expected[0][c]);
  }
}

}  // namespace
}  // namespace halo::runtime
