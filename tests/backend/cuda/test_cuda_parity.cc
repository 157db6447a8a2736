// GPU parity (needs a CUDA device; label "gpu", run by tools/cuda/parity.sh, never by CI). The op
// table of every backend op is test_backend_ops (op_cases.h), which runs on each GPU it finds;
// this test holds what only the CUDA backend has:
//  1. lazily zeroed memory reads as zeros;
//  2. lightning attention: chunked against recurrent on the GPU;
//  3. whole models on both golden fixture sets (random, trained): log-probs and argmax against the
//     CPU path;
//  4. incremental decoding against recomputing the whole sequence.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>

#include "backend/cpu/cpu_backend.h"
#include "backend/cuda/cuda_backend.h"
#include "base/atomic_file.h"
#include "base/bf16.h"
#include "model/model.h"
#include "runtime/decoder.h"
#include "runtime/model_runner.h"
#include "runtime/sequence_state.h"
#include "op_cases.h"

namespace halo::backend {
namespace {

using testing::compare;
using testing::input;
using testing::poisoned;

// alloc() promises zeros; the CUDA backend pays them lazily (cuda_lazy_zero.h). Whatever is read
// and was never written must still be zero, also after a partial write and through a view.
TEST(CudaMemory, AllocatedTensorsReadAsZeros) {
  CudaBackend b(0);
  // Freed blocks of random values go back to the pool, which hands them out again below.
  for (int i = 0; i < 4; ++i) input(b, 6, 40, 70 + uint32_t(i));
  Tensor whole = b.alloc(6, 40);
  for (float v : b.download(whole)) ASSERT_EQ(v, 0.0f);
  Tensor partly = b.alloc(6, 40);
  Tensor src = input(b, 2, 40, 60);
  Tensor rows = partly.rows_view(2, 2);
  b.copy(src, rows);
  std::vector<float> got = b.download(partly), want = b.download(src);
  for (size_t i = 0; i < got.size(); ++i) {
    const size_t row = i / 40;
    ASSERT_EQ(got[i], row == 2 || row == 3 ? want[i - 80] : 0.0f) << i;
  }
  Tensor view_first = b.alloc(4, 16);
  Tensor x = b.alloc(4, 16);
  b.add(x, view_first.rows_view(0, 4));  // reads both through the op path
  for (float v : b.download(x)) ASSERT_EQ(v, 0.0f);
  Tensor state = b.alloc_state(3, 9);
  for (float v : b.download(state)) ASSERT_EQ(v, 0.0f);
  // One allocation written in several separate places (a KV-cache slab, one region a layer), read
  // first in part and then whole: only the written rows hold values.
  Tensor slab = b.alloc(12, 40);
  Tensor fill = input(b, 1, 40, 61);
  for (int64_t r : {1, 4, 5, 9}) {
    Tensor row = slab.rows_view(r, 1);
    b.copy(fill, row);
  }
  const std::vector<float> one = b.download(fill);
  auto expect_rows = [&](const Tensor& t, int64_t first_row) {
    std::vector<float> values = b.download(t);
    for (size_t i = 0; i < values.size(); ++i) {
      const int64_t row = first_row + int64_t(i / 40);
      const bool written = row == 1 || row == 4 || row == 5 || row == 9;
      ASSERT_EQ(values[i], written ? one[i % 40] : 0.0f) << "row " << row;
    }
  };
  expect_rows(slab.rows_view(3, 4), 3);
  expect_rows(slab, 0);
}

TEST(LightningForms, ChunkedEqualsRecurrentOnGpu) {
  CudaBackend b(0);
  for (auto [rows, heads, kv, d] : std::vector<std::array<int, 4>>{{300, 4, 2, 16}, {129, 16, 8, 128}, {65, 6, 3, 8}}) {
    std::vector<float> slopes(static_cast<size_t>(heads));
    for (int h = 0; h < heads; ++h) slopes[size_t(h)] = std::pow(0.5f, float(h + 1));
    Tensor q = input(b, rows, heads * d, 50, 0.3f), k = input(b, rows, kv * d, 51, 0.3f);
    Tensor v = input(b, rows, kv * d, 52);
    Tensor s1 = b.alloc_state(heads, int64_t(d) * d), s2 = b.alloc_state(heads, int64_t(d) * d);
    Tensor o1 = poisoned(b, rows, heads * d), o2 = poisoned(b, rows, heads * d);
    const float scale = 1.0f / float(d);
    b.lightning_recurrent(q, k, v, s1, {heads, kv, d}, slopes, scale, o1);
    b.lightning_chunked(q, k, v, s2, {heads, kv, d}, slopes, scale, o2);
    for (auto [x, y, tol] : {std::tuple{&o1, &o2, 1e-2}, std::tuple{&s1, &s2, 1e-4}}) {
      auto [rel, nan] = compare(b.download(*x), b.download(*y));
      ASSERT_EQ(nan, 0u);
      EXPECT_LE(rel, tol) << rows << " rows, d " << d;
      std::printf("[lightning] T=%d h=%d d=%d chunked vs recurrent rel %.2e\n", rows, heads, d, rel);
    }
  }
}

}  // namespace
}  // namespace halo::backend

namespace halo::runtime {
namespace {

// HALO_TEST_DATA in the environment overrides the build's path (a binary built elsewhere).
const std::filesystem::path kData =
    std::getenv("HALO_TEST_DATA") ? std::getenv("HALO_TEST_DATA") : HALO_TEST_DATA;
// golden/: tiny random models covering every format and option, with nearly flat next-token
// distributions; golden_trained/: a small trained model and trained Stage-1 mixers, whose peaked
// distributions are those of a real checkpoint (docs/golden.md).
const std::filesystem::path kRandom = kData / "golden", kTrained = kData / "golden_trained";

nlohmann::json fixture_cases(const std::filesystem::path& set) {
  return nlohmann::json::parse(read_file(set / "cases.json"))["cases"];
}

struct Loaded {
  model::Model model;
  model::Variant variant;
};

Loaded load_case(backend::Backend& b, const std::filesystem::path& set, const nlohmann::json& c) {
  model::LoadOptions options;
  std::vector<int> convert = c["convert"].get<std::vector<int>>();
  if (!c["rnn"].is_null()) {
    options.rnn_dir = set / c["rnn"].get<std::string>();
    if (!c["rnn_step"].is_null()) options.rnn_step = c["rnn_step"].get<int>();
    options.rnn_layers = convert;
  }
  model::Model m = model::Model::load(b, set / c["model"].get<std::string>(), options);
  model::Variant v = model::Variant::converting(m.num_layers(), convert);
  return {std::move(m), std::move(v)};
}

// Logits of every position of `tokens`: all at once, or the first half at once and then one
// token at a time (incremental decoding).
std::vector<float> all_logits(backend::Backend& b, const Loaded& l, const std::vector<int32_t>& tokens,
                              bool incremental) {
  SequenceState state(b, l.model, l.variant, int64_t(tokens.size()));
  Decoder decoder(b, l.model);
  if (!incremental) return b.download(decoder.logits(decoder.forward(state, tokens)));
  size_t head = std::max<size_t>(1, tokens.size() / 2);
  std::vector<float> out = b.download(decoder.logits(decoder.forward(state, std::span(tokens).first(head))));
  for (size_t i = head; i < tokens.size(); ++i) {
    std::vector<float> row = b.download(decoder.logits(decoder.forward(state, std::span(&tokens[i], 1))));
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

std::vector<int32_t> row_argmax(const std::vector<float>& logits, size_t vocab) {
  std::vector<int32_t> result;
  for (size_t r = 0; r * vocab < logits.size(); ++r) {
    const float* x = logits.data() + r * vocab;
    result.push_back(int32_t(std::max_element(x, x + vocab) - x));
  }
  return result;
}

// Rows whose two largest logits are closer than two bf16 steps of the largest (2^-7 relative):
// at bf16 precision these are ties, and which one wins is rounding noise.
std::vector<bool> near_ties(const std::vector<float>& logits, size_t vocab) {
  std::vector<bool> result;
  for (size_t r = 0; r * vocab < logits.size(); ++r) {
    std::vector<float> row(logits.begin() + long(r * vocab), logits.begin() + long((r + 1) * vocab));
    std::partial_sort(row.begin(), row.begin() + 2, row.end(), std::greater<float>());
    result.push_back(row[0] - row[1] < std::ldexp(std::max(std::abs(row[0]), 1.0f), -7));
  }
  return result;
}

struct FixtureParity {
  double mean_error = 0;      // mean |Δ log-prob| of the scored tokens
  double agreement = 0;       // next-token argmax agreement, all positions
  double resolved = 0;        // the same, on positions that are not near ties at bf16 precision
};

// Log-probs and next-token argmax of every case of a fixture set, GPU against CPU.
FixtureParity compare_with_cpu(const std::filesystem::path& set) {
  backend::CpuBackend cpu;
  backend::CudaBackend gpu(0);
  double total_error = 0;
  size_t positions = 0, agree = 0, ties = 0, agree_resolved = 0;
  for (const auto& c : fixture_cases(set)) {
    auto tokens = c["tokens"].get<std::vector<int32_t>>();
    if (tokens.size() < 2) continue;
    Loaded on_cpu = load_case(cpu, set, c), on_gpu = load_case(gpu, set, c);
    auto want = ModelRunner(cpu, on_cpu.model, on_cpu.variant).sequence_logprobs(tokens);
    auto got = ModelRunner(gpu, on_gpu.model, on_gpu.variant).sequence_logprobs(tokens);
    EXPECT_EQ(got.size(), want.size());
    if (got.size() != want.size()) continue;
    const size_t vocab = size_t(on_cpu.model.config().vocab_size);
    std::vector<int32_t> input(tokens.begin(), tokens.end() - 1);
    std::vector<float> logits_cpu = all_logits(cpu, on_cpu, input, false);
    auto argmax_cpu = row_argmax(logits_cpu, vocab);
    auto tie = near_ties(logits_cpu, vocab);
    auto argmax_gpu = row_argmax(all_logits(gpu, on_gpu, input, false), vocab);
    double case_error = 0;
    size_t case_agree = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_FALSE(std::isnan(got[i].logprob)) << c["name"] << " position " << i;
      case_error += std::abs(double(got[i].logprob) - want[i].logprob);
      case_agree += argmax_cpu[i] == argmax_gpu[i];
      ties += tie[i];
      agree_resolved += !tie[i] && argmax_cpu[i] == argmax_gpu[i];
    }
    total_error += case_error;
    agree += case_agree;
    positions += got.size();
    std::printf("[model] %-28s positions %4zu  mean |Δlogprob| %.4f  argmax agree %.1f%%\n",
                c["name"].get<std::string>().c_str(), got.size(), case_error / double(got.size()),
                100.0 * double(case_agree) / double(got.size()));
  }
  FixtureParity result;
  result.mean_error = total_error / double(positions);
  result.agreement = double(agree) / double(positions);
  result.resolved = double(agree_resolved) / double(positions - ties);
  std::printf("[model] %s: %zu positions, mean |Δlogprob| %.4f, argmax agreement %.2f%%; "
              "%zu near ties (top-two logits within 2^-7), agreement on the other positions %.2f%%\n",
              set.filename().c_str(), positions, result.mean_error, 100.0 * result.agreement, ties,
              100.0 * result.resolved);
  return result;
}

TEST(ModelParity, TrainedFixturesMatchCpu) {
  FixtureParity p = compare_with_cpu(kTrained);
  EXPECT_LE(p.mean_error, 0.05);
  EXPECT_GE(p.agreement, 0.99);
}

TEST(ModelParity, RandomFixturesMatchCpu) {
  FixtureParity p = compare_with_cpu(kRandom);
  EXPECT_LE(p.mean_error, 0.05);
  // Flat logits: many positions are ties at bf16 precision, where the winner is rounding noise
  // (PyTorch bf16 agrees with fp32 on 98.5% of them, docs/cuda.md). The 99% goal is held on the
  // positions bf16 can resolve here, and on every position of the trained fixtures above.
  EXPECT_GE(p.resolved, 0.99);
}

TEST(ModelParity, IncrementalDecodeEqualsFullRecompute) {
  backend::CudaBackend gpu(0);
  for (const auto& set : {kRandom, kTrained}) {
    for (const auto& c : fixture_cases(set)) {
      auto tokens = c["tokens"].get<std::vector<int32_t>>();
      if (tokens.size() < 63) continue;
      tokens.resize(std::min<size_t>(tokens.size(), 100));
      Loaded l = load_case(gpu, set, c);
      auto full = all_logits(gpu, l, tokens, false);
      auto step = all_logits(gpu, l, tokens, true);
      ASSERT_EQ(full.size(), step.size());
      auto [rel, nan] = backend::testing::compare(full, step);
      ASSERT_EQ(nan, 0u);
      std::printf("[decode] %-28s incremental vs full rel %.2e\n", c["name"].get<std::string>().c_str(), rel);
      EXPECT_LE(rel, 2e-2) << c["name"];
    }
  }
}

}  // namespace
}  // namespace halo::runtime
