// runtime::LayerProbe (the sums behind `halo probe`) against a direct computation: every variant
// run alone over each whole sequence through the plain decoder path (no packing, no prefix reuse),
// its logits downloaded and log-softmaxed, KL, NLL and the block-influence cosines computed in
// double here. On the trained golden model (tests/data/golden_trained), fp32, CPU backend.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <random>

#include "backend/cpu/cpu_backend.h"
#include "runtime/decoder.h"
#include "runtime/layer_probe.h"
#include "runtime/sequence_state.h"

namespace halo::runtime {
namespace {

const std::filesystem::path kTrained = std::filesystem::path(HALO_TEST_DATA) / "golden_trained";

// Deterministic byte-like token sequences (the golden model's vocabulary is bytes + a few extra);
// printable ASCII mostly, so the trained model sees something close to its training text.
std::vector<int32_t> tokens_of(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  const std::string text =
      "def forward(self, x):\n    return self.linear(x) + x\n\nclass Module(object):\n    pass\n";
  std::vector<int32_t> out;
  size_t at = rng() % text.size();
  for (size_t i = 0; i < n; ++i) {
    out.push_back(rng() % 7 == 0 ? int32_t(rng() % 256) : int32_t(uint8_t(text[at])));
    at = (at + 1) % text.size();
  }
  return out;
}

// What the probe must equal, from one variant run alone over one sequence.
struct Direct {
  std::vector<std::vector<double>> log_probs;  // per row: log-softmax over the vocabulary
  std::vector<std::vector<float>> residuals;   // per layer input l (and the final residual at l = N)
};

class LayerProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model::LoadOptions options;
    options.rnn_dir = kTrained / "runs/stage1_bytes_trained";
    options.rnn_layers = {0, 1, 2, 3};
    model_.emplace(model::Model::load(backend_, kTrained / "models/qwen3_bytes_trained", options));
    n_ = model_->num_layers();
  }

  Direct direct(const model::Variant& variant, const std::vector<int32_t>& tokens) {
    Decoder decoder(backend_, *model_);
    const int64_t rows = int64_t(tokens.size()) - 1;
    SequenceState state(backend_, *model_, variant, rows);
    SequenceState* states[] = {&state};
    const int64_t counts[] = {rows};
    const std::span<const int32_t> input[] = {std::span(tokens).first(size_t(rows))};
    Direct d;
    backend::Tensor x = decoder.embed(input);
    decoder.run_layers(states, counts, 0, n_, x,
                       [&](int, const backend::Tensor& at) { d.residuals.push_back(backend_.download(at)); });
    d.residuals.push_back(backend_.download(x));
    const std::vector<float> logits = backend_.download(decoder.logits(x));
    const size_t vocab = logits.size() / size_t(rows);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = logits.data() + size_t(r) * vocab;
      double max_value = row[0];
      for (size_t v = 1; v < vocab; ++v) max_value = std::max(max_value, double(row[v]));
      double total = 0;
      for (size_t v = 0; v < vocab; ++v) total += std::exp(double(row[v]) - max_value);
      std::vector<double> lp(vocab);
      for (size_t v = 0; v < vocab; ++v) lp[v] = double(row[v]) - max_value - std::log(total);
      d.log_probs.push_back(std::move(lp));
    }
    return d;
  }

  // The expected sums of LayerProbe::run over `batch`, from direct runs.
  ProbeSums expected(const std::vector<model::Variant>& variants, const std::vector<ProbeSequence>& batch) {
    ProbeSums want;
    want.kl.assign(variants.size(), 0.0);
    want.nll.assign(variants.size(), 0.0);
    want.cosine.assign(size_t(n_), 0.0);
    for (const ProbeSequence& s : batch) {
      const Direct original = direct(model::Variant::original(n_), s.tokens);
      const int64_t rows = int64_t(s.tokens.size()) - 1;
      const size_t hidden = original.residuals[0].size() / size_t(rows);
      for (int l = 0; l < n_; ++l) {
        for (int64_t r = 0; r < rows; ++r) {
          double dot = 0, aa = 0, bb = 0;
          for (size_t c = 0; c < hidden; ++c) {
            const double a = original.residuals[size_t(l)][size_t(r) * hidden + c];
            const double b = original.residuals[size_t(l + 1)][size_t(r) * hidden + c];
            dot += a * b, aa += a * a, bb += b * b;
          }
          want.cosine[size_t(l)] += dot / std::sqrt(aa * bb);
        }
      }
      want.rows += rows;
      for (int64_t t = s.first_compared; t < rows; ++t) {
        want.nll_original -= original.log_probs[size_t(t)][size_t(s.tokens[size_t(t + 1)])];
        ++want.compared;
      }
      for (size_t k = 0; k < variants.size(); ++k) {
        const Direct v = direct(variants[k], s.tokens);
        for (int64_t t = s.first_compared; t < rows; ++t) {
          const auto& p = original.log_probs[size_t(t)];
          const auto& q = v.log_probs[size_t(t)];
          for (size_t i = 0; i < p.size(); ++i) want.kl[k] += std::exp(p[i]) * (p[i] - q[i]);
          want.nll[k] -= q[size_t(s.tokens[size_t(t + 1)])];
        }
      }
    }
    return want;
  }

  std::vector<model::Variant> variants() {
    std::vector<model::Variant> out{model::Variant::original(n_)};
    for (int l = 0; l < n_; ++l) out.push_back(model::Variant::converting(n_, {l}));
    out.push_back(model::Variant::converting(n_, {1, 3}));  // several converted layers, starting at 1
    return out;
  }

  std::vector<ProbeSequence> batch() {
    return {{tokens_of(1, 48), 0}, {tokens_of(2, 97), 60}, {tokens_of(3, 3), 1}, {tokens_of(4, 130), 5}};
  }

  backend::CpuBackend backend_;
  std::optional<model::Model> model_;
  int n_ = 0;
};

// Relative tolerance for sums of fp32 quantities computed in a different order (packed vs alone).
void expect_close(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 2e-5 * std::max(1.0, std::abs(want))) << what;
}

TEST_F(LayerProbeTest, EqualsEachVariantRunAlone) {
  const auto vs = variants();
  const auto b = batch();
  LayerProbe probe(backend_, *model_, vs);
  const ProbeSums got = probe.run(b, /*block_influence=*/true);
  const ProbeSums want = expected(vs, b);
  ASSERT_EQ(got.kl.size(), vs.size());
  ASSERT_EQ(got.cosine.size(), size_t(n_));
  EXPECT_EQ(got.compared, want.compared);
  EXPECT_EQ(got.rows, want.rows);
  expect_close(got.nll_original, want.nll_original, "nll original");
  for (size_t k = 0; k < vs.size(); ++k) {
    expect_close(got.kl[k], want.kl[k], "kl " + vs[k].describe());
    expect_close(got.nll[k], want.nll[k], "nll " + vs[k].describe());
  }
  for (int l = 0; l < n_; ++l) expect_close(got.cosine[size_t(l)], want.cosine[size_t(l)], "cos " + std::to_string(l));
  // The original compared with itself: no divergence, its own NLL.
  EXPECT_NEAR(got.kl[0], 0.0, 1e-9);
  EXPECT_EQ(got.nll[0], got.nll_original);
  // A converted layer changes the distribution: the test can tell variants apart.
  for (size_t k = 1; k < vs.size(); ++k) EXPECT_GT(want.kl[k], 1e-3) << vs[k].describe();
}

TEST_F(LayerProbeTest, BatchesAddUpAndBlockInfluenceIsOptional) {
  const auto vs = variants();
  const auto b = batch();
  LayerProbe probe(backend_, *model_, vs);
  const ProbeSums whole = probe.run(b, true);
  ProbeSums parts;
  parts.add(probe.run(std::span(b).first(2), true));
  parts.add(probe.run(std::span(b).subspan(2), true));
  EXPECT_EQ(parts.compared, whole.compared);
  EXPECT_EQ(parts.rows, whole.rows);
  for (size_t k = 0; k < vs.size(); ++k) expect_close(parts.kl[k], whole.kl[k], "kl");
  for (int l = 0; l < n_; ++l) expect_close(parts.cosine[size_t(l)], whole.cosine[size_t(l)], "cos");

  const ProbeSums no_bi = probe.run(b, false);
  EXPECT_EQ(no_bi.rows, 0);
  for (double c : no_bi.cosine) EXPECT_EQ(c, 0.0);
  for (size_t k = 0; k < vs.size(); ++k) EXPECT_DOUBLE_EQ(no_bi.kl[k], whole.kl[k]);
}

}  // namespace
}  // namespace halo::runtime
