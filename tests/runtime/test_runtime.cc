// Runtime invariants on random tiny checkpoints: incremental decoding equals recomputation,
// shared-context scoring equals scoring the whole sequence, greedy decoding picks the argmax.
#include <gtest/gtest.h>

#include <random>

#include "backend/cpu/cpu_backend.h"
#include "base/bf16.h"
#include "runtime/decoder.h"
#include "runtime/model_runner.h"
#include "tiny_checkpoint.h"

namespace halo::runtime {
namespace {

class Runtime : public ::testing::TestWithParam<std::vector<int>> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(testing::fresh_temp_dir("runtime"));
    testing::TinySpec spec;
    testing::write_tiny_model(*dir_ / "model", spec);
    testing::write_tiny_run(*dir_ / "run", spec, 5);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    model_ = std::make_unique<model::Model>(
        model::Model::load(backend_, *dir_ / "model", {*dir_ / "run", std::nullopt, {0, 1, 2}}));
  }
  ModelRunner runner() { return ModelRunner(backend_, *model_, model::Variant::converting(3, GetParam())); }

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
std::filesystem::path* Runtime::dir_ = nullptr;

TEST_P(Runtime, SharedContextScoringEqualsWholeSequence) {
  ModelRunner r = runner();
  ScoreRequest request{random_tokens(70, 1), {random_tokens(5, 2), random_tokens(1, 3), random_tokens(9, 4)}};
  auto scores = r.score(std::span(&request, 1))[0];
  ASSERT_EQ(scores.size(), 3u);
  for (size_t c = 0; c < 3; ++c) {
    std::vector<int32_t> whole = request.context;
    whole.insert(whole.end(), request.continuations[c].begin(), request.continuations[c].end());
    auto full = r.sequence_logprobs(whole);
    const auto& cont = scores[c].token_logprobs;
    ASSERT_EQ(cont.size(), request.continuations[c].size());
    bool greedy = true;
    for (size_t i = 0; i < cont.size(); ++i) {
      const auto& ref = full[request.context.size() - 1 + i];
      EXPECT_NEAR(cont[i], ref.logprob, 1e-4);
      EXPECT_NEAR(scores[c].token_logprobs_bf16[i], ref.logprob_bf16, 0.07);
      greedy = greedy && ref.is_argmax;
    }
    EXPECT_EQ(scores[c].is_greedy, greedy);
  }
}

// Greedy decoding runs token by token (KV cache / lightning state); every token it emits must be
// the argmax of a full recomputation over the prompt plus what came before.
void expect_generation_is_greedy(ModelRunner& r, std::vector<int32_t> prompt, int max_new_tokens) {
  GenerateRequest request;
  request.prompt = std::move(prompt);
  request.max_new_tokens = max_new_tokens;
  auto generated = r.generate(std::span(&request, 1))[0];
  ASSERT_EQ(generated.size(), size_t(max_new_tokens));
  std::vector<int32_t> all = request.prompt;
  all.insert(all.end(), generated.begin(), generated.end());
  auto full = r.sequence_logprobs(all);
  for (size_t i = 0; i < generated.size(); ++i) {
    ASSERT_TRUE(full[request.prompt.size() - 1 + i].is_argmax) << "token " << i;
  }
}

TEST_P(Runtime, IncrementalDecodingEqualsRecomputation) {
  ModelRunner r = runner();
  expect_generation_is_greedy(r, random_tokens(66, 9), 12);
}

// A budget past the state's initial room (a generation_config max_new_tokens) grows the KV cache
// mid-generation; the tokens stay the argmax of a full recomputation.
TEST_P(Runtime, LongBudgetGrowsTheState) {
  ModelRunner r = runner();
  expect_generation_is_greedy(r, random_tokens(10, 13), 300);
}

TEST_P(Runtime, GenerationStops) {
  ModelRunner r = runner();
  GenerateRequest request;
  request.prompt = random_tokens(10, 11);
  request.max_new_tokens = 20;
  int calls = 0;
  request.should_stop = [&](std::span<const int32_t> g) { return ++calls, g.size() == 3; };
  auto generated = r.generate(std::span(&request, 1))[0];
  EXPECT_EQ(generated.size(), 3u);
  EXPECT_EQ(calls, 3);
  request.should_stop = nullptr;
  request.stop_token_ids = {generated[0]};
  EXPECT_EQ(r.generate(std::span(&request, 1))[0].size(), 1u);
}

// In bf16 mode every generated token is the lowest id whose bf16-rounded logit equals the rounded
// maximum (HF's generate() on a bf16 model), in fp32 mode the first true maximum; on these flat
// random logits the two rules part somewhere in a few hundred tokens. The two modes run side by
// side in one batch.
TEST_P(Runtime, Bf16GenerationTakesTheLowestIdOfABf16Tie) {
  ModelRunner r = runner();
  std::vector<GenerateRequest> requests(32);
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].prompt = random_tokens(8, 500 + uint32_t(i / 2));  // each prompt in both modes
    requests[i].max_new_tokens = 30;
    if (i % 2) requests[i].rounding = backend::LogitRounding::bf16;
  }
  auto generated = r.generate(requests);
  int parted = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    ASSERT_EQ(generated[i].size(), 30u);
    std::vector<int32_t> all = requests[i].prompt;
    all.insert(all.end(), generated[i].begin(), generated[i].end() - 1);
    SequenceState state(backend_, *model_, r.variant(), int64_t(all.size()));
    Decoder decoder(backend_, *model_);
    std::vector<float> logits = backend_.download(decoder.logits(decoder.forward(state, all)));
    const size_t vocab = 64;
    for (size_t t = 0; t < generated[i].size(); ++t) {
      const float* row = logits.data() + (requests[i].prompt.size() - 1 + t) * vocab;
      const size_t fp32 = size_t(std::max_element(row, row + vocab) - row);
      size_t bf16 = 0;
      for (size_t v = 0; v < vocab; ++v) {
        if (round_to_bf16(row[v]) > round_to_bf16(row[bf16])) bf16 = v;
      }
      ASSERT_EQ(size_t(generated[i][t]), i % 2 ? bf16 : fp32) << "request " << i << " token " << t;
      parted += i % 2 && bf16 != fp32;  // a bf16 request whose token the fp32 rule would not pick
    }
  }
  std::printf("bf16-mode tokens that the fp32 rule would not pick: %d\n", parted);
  EXPECT_GT(parted, 0) << "no bf16 tie in these generations: the test shows nothing";
}

TEST(RuntimeNonFinite, NanWeightGivesNanScoresAndAGenerationError) {
  const auto dir = testing::fresh_temp_dir("runtime_nan");
  testing::TinySpec spec;
  spec.bad_tensor = "model.layers.1.mlp.down_proj.weight";
  spec.bad_value = NAN;
  testing::write_tiny_model(dir / "model", spec);
  backend::CpuBackend cpu;
  model::Model model = model::Model::load(cpu, dir / "model", {});
  ModelRunner r(cpu, model, model::Variant::original(3));
  ScoreRequest request{{1, 2, 3}, {{4, 5}}};
  auto scores = r.score(std::span(&request, 1));
  ASSERT_EQ(scores[0][0].token_logprobs.size(), 2u);
  for (float lp : scores[0][0].token_logprobs) EXPECT_TRUE(std::isnan(lp));
  std::vector<GenerateRequest> prompts(3);
  for (auto& p : prompts) {
    p.prompt = {1, 2, 3};
    p.max_new_tokens = 4;
  }
  prompts[0].max_new_tokens = 0;  // generates nothing, so never fails
  try {
    r.generate(prompts);
    ADD_FAILURE() << "no NonFiniteLogits";
  } catch (const NonFiniteLogits& e) {
    EXPECT_EQ(e.request, 1u);
    EXPECT_NE(std::string(e.what()).find("original"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

// A batch is packed into shared forward passes; each answer must equal the request run alone.
TEST_P(Runtime, BatchesEqualSingleRequests) {
  ModelRunner r = runner();
  std::vector<ScoreRequest> requests;
  for (uint32_t i = 0; i < 5; ++i) {
    requests.push_back({random_tokens(3 + 20 * i, 100 + i), {random_tokens(1 + i, 200 + i), random_tokens(4, 300 + i), {}}});
  }
  auto batched = r.score(requests);
  for (size_t i = 0; i < requests.size(); ++i) {
    auto alone = r.score(std::span(&requests[i], 1))[0];
    ASSERT_EQ(batched[i].size(), 3u);
    EXPECT_TRUE(batched[i][2].token_logprobs.empty());
    for (size_t c = 0; c < 2; ++c) {
      ASSERT_EQ(batched[i][c].token_logprobs.size(), alone[c].token_logprobs.size());
      for (size_t t = 0; t < alone[c].token_logprobs.size(); ++t) {
        EXPECT_NEAR(batched[i][c].token_logprobs[t], alone[c].token_logprobs[t], 1e-5);
      }
      EXPECT_EQ(batched[i][c].is_greedy, alone[c].is_greedy);
    }
  }
  std::vector<GenerateRequest> prompts(4);
  for (uint32_t i = 0; i < 4; ++i) {
    prompts[i].prompt = random_tokens(5 + 7 * i, 400 + i);
    prompts[i].max_new_tokens = int(3 + 2 * i);
  }
  auto together = r.generate(prompts);
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(together[i], r.generate(std::span(&prompts[i], 1))[0]) << i;
    EXPECT_EQ(together[i].size(), size_t(prompts[i].max_new_tokens));
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, Runtime,
                         ::testing::Values(std::vector<int>{}, std::vector<int>{1}, std::vector<int>{0, 2},
                                           std::vector<int>{0, 1, 2}));

}  // namespace
}  // namespace halo::runtime
