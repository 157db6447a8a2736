// CPU engine speed on a small shape (4 layers, hidden 256, 4 q / 2 kv heads of 64, MLP 768,
// vocab 4096): prefill tokens/s and decode ms/token, for the original model and for a hybrid
// with every layer converted to lightning attention. Rates use wall time (the work is threaded).
#include <benchmark/benchmark.h>

#include <memory>
#include <random>

#include "backend/cpu/cpu_backend.h"
#include "runtime/decoder.h"
#include "runtime/model_runner.h"
#include "tiny_checkpoint.h"

namespace {

using namespace halo;

struct Fixture {
  std::filesystem::path dir = testing::fresh_temp_dir("bench_engine");
  backend::CpuBackend backend;
  std::unique_ptr<model::Model> model;

  Fixture() {
    testing::TinySpec spec;
    spec.hidden = 256;
    spec.intermediate = 768;
    spec.layers = 4;
    spec.heads = 4;
    spec.kv_heads = 2;
    spec.head_dim = 64;
    spec.vocab = 4096;
    testing::write_tiny_model(dir / "model", spec);
    testing::write_tiny_run(dir / "run", spec, 1);
    model = std::make_unique<model::Model>(
        model::Model::load(backend, dir / "model", {dir / "run", std::nullopt, {0, 1, 2, 3}}));
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

model::Variant variant_for(int64_t lightning) {
  return lightning ? model::Variant::converting(4, {0, 1, 2, 3}) : model::Variant::original(4);
}

std::vector<int32_t> tokens(size_t n) {
  std::mt19937 rng(7);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = int32_t(rng() % 4096);
  return t;
}

// Prefill: one sequence of range(0) tokens through every layer (no LM head).
void BM_Prefill(benchmark::State& state) {
  Fixture& f = fixture();
  auto input = tokens(size_t(state.range(0)));
  model::Variant variant = variant_for(state.range(1));
  for (auto _ : state) {
    runtime::SequenceState seq(f.backend, *f.model, variant, int64_t(input.size()));
    runtime::Decoder decoder(f.backend, *f.model);
    benchmark::DoNotOptimize(decoder.forward(seq, input));
  }
  state.counters["tokens/s"] =
      benchmark::Counter(double(input.size()) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(variant.describe());
}

// Decode: greedy tokens after a range(0)-token prompt; reports time per generated token.
void BM_Decode(benchmark::State& state) {
  Fixture& f = fixture();
  model::Variant variant = variant_for(state.range(1));
  runtime::ModelRunner runner(f.backend, *f.model, variant);
  runtime::GenerateRequest request;
  request.prompt = tokens(size_t(state.range(0)));
  request.max_new_tokens = 32;
  for (auto _ : state) {
    state.PauseTiming();
    runtime::SequenceState seq(f.backend, *f.model, variant, int64_t(request.prompt.size()) + 32);
    runtime::Decoder decoder(f.backend, *f.model);
    decoder.forward(seq, request.prompt);
    state.ResumeTiming();
    int32_t next = 1;
    for (int i = 0; i < 32; ++i) {
      auto out = decoder.forward(seq, std::span(&next, 1));
      next = f.backend.argmax(decoder.logits(out), backend::LogitRounding::none)[0];
    }
  }
  // kInvert turns the rate into seconds per token.
  state.counters["s/token"] = benchmark::Counter(
      double(state.iterations()) * 32, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(variant.describe());
}

}  // namespace

BENCHMARK(BM_Prefill)->ArgsProduct({{512, 2048}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Decode)->ArgsProduct({{512}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
