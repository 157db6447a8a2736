// CPU backend ops against straightforward double-precision formulas.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "base/bf16.h"
#include "base/error.h"

namespace halo::backend {
namespace {

std::vector<float> random_values(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(CpuBackend, LinearMatchesDefinition) {
  CpuBackend b;
  auto xs = random_values(3 * 5, 1), ws = random_values(4 * 5, 2);
  Tensor x = b.upload(xs, 3, 5), w = b.upload(ws, 4, 5), y = b.alloc(3, 4);
  b.linear(x, w, y);
  auto out = b.download(y);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) {
      double ref = 0;
      for (int k = 0; k < 5; ++k) ref += double(xs[size_t(i * 5 + k)]) * ws[size_t(j * 5 + k)];
      EXPECT_NEAR(out[size_t(i * 4 + j)], ref, 1e-5);
    }
}

TEST(CpuBackend, RmsNormPerGroup) {
  CpuBackend b;
  auto xs = random_values(2 * 8, 3), ws = random_values(4, 4);
  Tensor x = b.upload(xs, 2, 8), w = b.upload(ws, 1, 4), y = b.alloc(2, 8);
  b.rms_norm(x, w, 1e-6f, y);
  auto out = b.download(y);
  for (int g = 0; g < 4; ++g) {
    double ss = 0;
    for (int i = 0; i < 4; ++i) ss += double(xs[size_t(g * 4 + i)]) * xs[size_t(g * 4 + i)];
    double inv = 1.0 / std::sqrt(ss / 4 + 1e-6);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(out[size_t(g * 4 + i)], ws[size_t(i)] * xs[size_t(g * 4 + i)] * inv, 1e-5);
  }
}

TEST(CpuBackend, RopeRotatesHalves) {
  CpuBackend b;
  // One head of dim 4 at position 3: pairs (0,2) and (1,3) rotate by pos*inv_freq.
  std::vector<float> xs = {1, 2, 3, 4};
  Tensor x = b.upload(xs, 1, 4);
  std::vector<float> inv = {1.0f, 0.01f};
  std::vector<int64_t> pos = {3};
  b.rope(x, 4, pos, inv);
  auto out = b.download(x);
  EXPECT_NEAR(out[0], 1 * std::cos(3.0) - 3 * std::sin(3.0), 1e-5);
  EXPECT_NEAR(out[2], 3 * std::cos(3.0) + 1 * std::sin(3.0), 1e-5);
  EXPECT_NEAR(out[1], 2 * std::cos(0.03) - 4 * std::sin(0.03), 1e-5);
  EXPECT_NEAR(out[3], 4 * std::cos(0.03) + 2 * std::sin(0.03), 1e-5);
}

TEST(CpuBackend, CausalAttentionWithGroupedHeads) {
  CpuBackend b;
  const int T = 5, heads = 4, kv_heads = 2, d = 3;
  auto qs = random_values(T * heads * d, 5), ks = random_values(T * kv_heads * d, 6),
       vs = random_values(T * kv_heads * d, 7);
  Tensor q = b.upload(qs, T, heads * d), k = b.upload(ks, T, kv_heads * d),
         v = b.upload(vs, T, kv_heads * d), o = b.alloc(T, heads * d);
  b.attention(q, k, v, 0, {heads, kv_heads, d}, o);
  auto out = b.download(o);
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < heads; ++h) {
      int kvh = h / 2;
      std::vector<double> w(size_t(t + 1));
      double mx = -1e300, total = 0;
      for (int s = 0; s <= t; ++s) {
        double dot = 0;
        for (int i = 0; i < d; ++i) dot += double(qs[size_t(t * heads * d + h * d + i)]) * ks[size_t(s * kv_heads * d + kvh * d + i)];
        w[size_t(s)] = dot / std::sqrt(double(d));
        mx = std::max(mx, w[size_t(s)]);
      }
      for (auto& x : w) total += (x = std::exp(x - mx));
      for (int i = 0; i < d; ++i) {
        double ref = 0;
        for (int s = 0; s <= t; ++s) ref += w[size_t(s)] / total * vs[size_t(s * kv_heads * d + kvh * d + i)];
        EXPECT_NEAR(out[size_t(t * heads * d + h * d + i)], ref, 1e-5);
      }
    }
}

// Attention of a later step against a cache must equal the same rows of a full pass.
TEST(CpuBackend, AttentionAgainstCachedPrefix) {
  CpuBackend b;
  const int T = 6, heads = 2, d = 4;
  auto qs = random_values(T * heads * d, 8), ks = random_values(T * heads * d, 9), vs = random_values(T * heads * d, 10);
  Tensor q = b.upload(qs, T, heads * d), k = b.upload(ks, T, heads * d), v = b.upload(vs, T, heads * d);
  Tensor full = b.alloc(T, heads * d);
  b.attention(q, k, v, 0, {heads, heads, d}, full);
  Tensor tail = b.alloc(2, heads * d);
  b.attention(q.rows_view(4, 2), k, v, 4, {heads, heads, d}, tail);
  auto a = b.download(full), c = b.download(tail);
  for (int i = 0; i < 2 * heads * d; ++i) EXPECT_NEAR(c[size_t(i)], a[size_t(4 * heads * d + i)], 1e-6);
}

struct LightningCase {
  int T, heads, kv_heads, d, chunk;
};

class Lightning : public ::testing::TestWithParam<LightningCase> {};

// The chunked form equals the recurrence (outputs and final state), and both equal the closed
// form o_t = scale Σ_{s≤t} exp(g (t-s)) (q_t·k_s) v_s computed in double.
TEST_P(Lightning, ChunkedEqualsRecurrentEqualsClosedForm) {
  const auto c = GetParam();
  CpuBackend b;
  auto qs = random_values(size_t(c.T * c.heads * c.d), 11), ks = random_values(size_t(c.T * c.kv_heads * c.d), 12),
       vs = random_values(size_t(c.T * c.kv_heads * c.d), 13);
  std::vector<float> slopes;
  for (int h = 0; h < c.heads; ++h) slopes.push_back(0.05f * float(h + 1));
  const float scale = 1.0f / std::sqrt(float(c.d));
  HeadShape shape{c.heads, c.kv_heads, c.d};
  Tensor q = b.upload(qs, c.T, c.heads * c.d), k = b.upload(ks, c.T, c.kv_heads * c.d), v = b.upload(vs, c.T, c.kv_heads * c.d);
  Tensor s1 = b.alloc(c.heads, c.d * c.d), s2 = b.alloc(c.heads, c.d * c.d);
  Tensor o1 = b.alloc(c.T, c.heads * c.d), o2 = b.alloc(c.T, c.heads * c.d);
  lightning_recurrent(q, k, v, s1, shape, slopes, scale, o1);
  lightning_chunked(q, k, v, s2, shape, slopes, scale, o2, c.chunk);
  auto r = b.download(o1), ch = b.download(o2);
  const int group = c.heads / c.kv_heads;
  for (int t = 0; t < c.T; ++t)
    for (int h = 0; h < c.heads; ++h)
      for (int j = 0; j < c.d; ++j) {
        double ref = 0;
        for (int s = 0; s <= t; ++s) {
          double dot = 0;
          for (int i = 0; i < c.d; ++i)
            dot += double(qs[size_t((t * c.heads + h) * c.d + i)]) * ks[size_t((s * c.kv_heads + h / group) * c.d + i)];
          ref += std::exp(-double(slopes[size_t(h)]) * (t - s)) * dot * vs[size_t((s * c.kv_heads + h / group) * c.d + j)];
        }
        ref *= scale;
        size_t idx = size_t((t * c.heads + h) * c.d + j);
        EXPECT_NEAR(r[idx], ref, 2e-4 * (1 + std::abs(ref)));
        EXPECT_NEAR(ch[idx], ref, 2e-4 * (1 + std::abs(ref)));
      }
  auto st1 = b.download(s1), st2 = b.download(s2);
  for (size_t i = 0; i < st1.size(); ++i) EXPECT_NEAR(st1[i], st2[i], 1e-4 * (1 + std::abs(st1[i])));
}

INSTANTIATE_TEST_SUITE_P(Shapes, Lightning,
                         ::testing::Values(LightningCase{1, 2, 2, 4, 4}, LightningCase{7, 4, 2, 4, 4},
                                           LightningCase{8, 4, 2, 4, 4}, LightningCase{9, 3, 3, 5, 4},
                                           LightningCase{65, 6, 2, 8, 64}, LightningCase{130, 2, 1, 8, 64}));

// Splitting the input at any point (carrying the state) gives the same outputs.
TEST(CpuBackendLightning, StateCarriesAcrossCalls) {
  CpuBackend b;
  const int T = 70, heads = 2, d = 4;
  auto qs = random_values(T * heads * d, 21), ks = random_values(T * heads * d, 22), vs = random_values(T * heads * d, 23);
  std::vector<float> slopes = {0.5f, 0.25f};
  HeadShape shape{heads, heads, d};
  Tensor q = b.upload(qs, T, heads * d), k = b.upload(ks, T, heads * d), v = b.upload(vs, T, heads * d);
  Tensor s_full = b.alloc(heads, d * d), o_full = b.alloc(T, heads * d);
  b.lightning(q, k, v, s_full, shape, slopes, 1.0f, o_full);
  Tensor s = b.alloc(heads, d * d), o = b.alloc(T, heads * d);
  for (int start = 0; start < T;) {
    int n = start < 60 ? 30 : 1;  // two chunked calls, then one-token decoding steps
    Tensor oo = o.rows_view(start, n);
    b.lightning(q.rows_view(start, n), k.rows_view(start, n), v.rows_view(start, n), s, shape, slopes, 1.0f, oo);
    start += n;
  }
  auto a = b.download(o_full), c = b.download(o);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], c[i], 1e-4 * (1 + std::abs(a[i])));
}

TEST(CpuBackend, ScoreTargetsLogSoftmaxAndBf16) {
  CpuBackend b;
  std::vector<float> logits = {1.0f, 3.0f, 3.0f, -2.0f, 0.5f, 0.25f, 0.125f, 4.0f};
  Tensor t = b.upload(logits, 2, 4);
  std::vector<int32_t> targets = {2, 3};
  auto s = b.score_targets(t, targets);
  double lse0 = std::log(std::exp(1.0) + 2 * std::exp(3.0) + std::exp(-2.0));
  EXPECT_NEAR(s[0].logprob, 3.0 - lse0, 1e-6);
  EXPECT_FALSE(s[0].is_argmax);  // the first maximum is index 1
  EXPECT_TRUE(s[1].is_argmax);
  EXPECT_EQ(s[0].logprob_bf16, round_to_bf16(s[0].logprob_bf16));
  EXPECT_NEAR(s[0].logprob_bf16, s[0].logprob, 0.01);
  EXPECT_EQ(b.argmax(t, LogitRounding::none), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(b.argmax(t, LogitRounding::bf16), (std::vector<int32_t>{1, 3}));
}

// Float64 log-softmax of one row at `target`, with lm-eval's bf16 variant, for reference.
struct Reference {
  double logprob;
  float logprob_bf16;
  int32_t first_max;
};
Reference reference_score(const float* x, int64_t vocab, int32_t target) {
  double max = x[0], max_bf16 = round_to_bf16(x[0]);
  int32_t first_max = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    if (x[i] > max) first_max = int32_t(i);
    max = std::max(max, double(x[i]));
    max_bf16 = std::max(max_bf16, double(round_to_bf16(x[i])));
  }
  double sum = 0, sum_bf16 = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    sum += std::exp(double(x[i]) - max);
    sum_bf16 += std::exp(double(round_to_bf16(x[i])) - max_bf16);
  }
  float bf16 = round_to_bf16(round_to_bf16(x[target]) - float(max_bf16) - float(std::log(sum_bf16)));
  return {double(x[target]) - max - std::log(sum), bf16, first_max};
}

// The fused LM head (score_head) and score_targets against float64 over shapes that exercise every
// edge of the blocked loops: row counts off the 4-row tiles, vocabularies off the 16-lane vectors,
// 32-column tiles and 512-column chunks, hidden sizes that change the block width, the maximum in
// a late chunk, targets at the maximum and at a repeated maximum.
TEST(CpuBackend, ScoreHeadAndScoreTargetsMatchFloat64) {
  CpuBackend b;
  struct Shape {
    int64_t rows, vocab, hidden;
  };
  for (Shape s : {Shape{1, 7, 3}, Shape{5, 100, 8}, Shape{7, 1537, 33}, Shape{4, 2048, 32}, Shape{9, 3001, 600},
                  Shape{2, 151936, 32}}) {
    std::vector<float> xs = random_values(size_t(s.rows * s.hidden), 3, 1.0f);
    std::vector<float> ws = random_values(size_t(s.vocab * s.hidden), 4, 0.5f);
    // A column late in the vocabulary that wins row 0 by far (row 0's target).
    const int64_t winner = s.vocab - 1 - s.vocab / 7;
    for (int64_t k = 0; k < s.hidden; ++k) ws[size_t(winner * s.hidden + k)] = 4.0f * xs[size_t(k)];
    Tensor x = b.upload(xs, s.rows, s.hidden), w = b.upload(ws, s.vocab, s.hidden);
    Tensor logits = b.alloc(s.rows, s.vocab);
    b.linear(x, w, logits);
    std::vector<float> l = b.download(logits);
    std::vector<int32_t> targets(static_cast<size_t>(s.rows));
    for (int64_t r = 0; r < s.rows; ++r) targets[size_t(r)] = int32_t(r == 0 ? winner : (r * 7919 + 11) % s.vocab);
    auto fused = b.score_head(x, w, targets);
    auto plain = b.score_targets(logits, targets);
    ASSERT_EQ(fused.size(), size_t(s.rows));
    for (int64_t r = 0; r < s.rows; ++r) {
      const float* row = l.data() + r * s.vocab;
      Reference ref = reference_score(row, s.vocab, targets[size_t(r)]);
      const std::string where = fmt::format("rows {} vocab {} hidden {} row {}", s.rows, s.vocab, s.hidden, r);
      for (const TokenScore& got : {fused[size_t(r)], plain[size_t(r)]}) {
        EXPECT_NEAR(got.logprob, ref.logprob, 2e-5 * (1 + std::abs(ref.logprob))) << where;
        // bf16 results may differ by one bf16 step where fp32 rounding lands on a boundary.
        EXPECT_NEAR(got.logprob_bf16, ref.logprob_bf16, std::ldexp(std::abs(ref.logprob_bf16), -7)) << where;
        EXPECT_EQ(got.logprob_bf16, round_to_bf16(got.logprob_bf16)) << where;
        EXPECT_EQ(got.is_argmax, ref.first_max == targets[size_t(r)]) << where;
      }
    }
    EXPECT_TRUE(plain[0].is_argmax);
  }
}

TEST(CpuBackend, FirstOfRepeatedMaximumIsTheArgmax) {
  CpuBackend b;
  std::vector<float> logits(1000, 0.0f);
  logits[600] = logits[900] = 5.0f;  // in different 512-column chunks
  Tensor t = b.upload(logits, 1, 1000);
  std::vector<int32_t> first = {600}, second = {900};
  EXPECT_TRUE(b.score_targets(t, first)[0].is_argmax);
  EXPECT_FALSE(b.score_targets(t, second)[0].is_argmax);
  EXPECT_EQ(b.argmax(t, LogitRounding::none)[0], 600);
}

// Logits that tie only after rounding to bf16 (a step is 2^-7 at 1.0): in bf16 mode the lowest id
// of the tie wins, as HF's generate() on a bf16 model picks it; in fp32 mode the true maximum.
TEST(CpuBackend, Bf16ArgmaxTakesTheLowestIdOfABf16Tie) {
  CpuBackend b;
  std::vector<float> logits = random_values(2 * 300, 9, 0.1f);
  logits[3] = 1.0f - std::ldexp(1.0f, -10);   // row 0: rounds to 1.0
  logits[250] = 1.0f + std::ldexp(1.0f, -10);  // row 0: the true maximum, rounds to 1.0
  logits[300 + 20] = 2.0f + std::ldexp(1.0f, -9);  // row 1: the true maximum, rounds to 2.0
  logits[300 + 40] = 2.0f;
  Tensor t = b.upload(logits, 2, 300);
  EXPECT_EQ(b.argmax(t, LogitRounding::none), (std::vector<int32_t>{250, 20}));
  EXPECT_EQ(b.argmax(t, LogitRounding::bf16), (std::vector<int32_t>{3, 20}));
}

TEST(CpuBackend, NonFiniteLogitsAreReported) {
  CpuBackend b;
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    std::vector<float> logits = random_values(3 * 40, 5);
    logits[40 + 17] = bad;  // row 1 only
    Tensor t = b.upload(logits, 3, 40);
    std::vector<int32_t> targets = {1, 2, 3};
    auto scores = b.score_targets(t, targets);
    EXPECT_TRUE(std::isfinite(scores[0].logprob) && std::isfinite(scores[2].logprob_bf16));
    EXPECT_TRUE(std::isnan(scores[1].logprob) && std::isnan(scores[1].logprob_bf16)) << bad;
    EXPECT_FALSE(scores[1].is_argmax);
    for (auto rounding : {LogitRounding::none, LogitRounding::bf16}) {
      auto best = b.argmax(t, rounding);
      EXPECT_EQ(best[1], kNonFiniteRow) << bad;
      EXPECT_GE(best[0], 0);
      EXPECT_GE(best[2], 0);
    }
  }
  // Through the fused head: one non-finite weight spoils the rows it reaches.
  std::vector<float> ws = random_values(50 * 4, 6);
  ws[7 * 4 + 2] = NAN;
  Tensor w = b.upload(ws, 50, 4), x = b.upload(random_values(2 * 4, 7), 2, 4);
  std::vector<int32_t> targets = {0, 1};
  for (const TokenScore& s : b.score_head(x, w, targets)) EXPECT_TRUE(std::isnan(s.logprob));
}

TEST(CpuBackend, DeviceParsing) {
  EXPECT_EQ(parse_device("cpu").kind, DeviceKind::cpu);
  EXPECT_EQ(parse_device("cuda:1").index, 1);
  EXPECT_THROW(parse_device("gpu"), Error);
  EXPECT_THROW(parse_device("cuda:x"), Error);
}

}  // namespace
}  // namespace halo::backend
