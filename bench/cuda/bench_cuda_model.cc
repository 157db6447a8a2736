// Times a model on the CUDA backend through the runtime's public API (ModelRunner), the way the
// evaluation floor drives it, and prints one JSON object per measurement:
//   score    hellaswag-shaped scoring: documents of a ~80-token context and 4 continuations of
//            ~30 tokens (≈110-token requests); tokens/s counts context + continuation per request,
//            as a padded per-request PyTorch loop processes them
//   prefill  one 4096-token prompt and its first greedy token
//   decode   greedy tokens after a 4096-token prompt, batch 1 and 32: (t(65 new) - t(1 new)) / 64;
//            --decode BxP[,BxP...] adds batch B after P-token prompts (retrieval-shaped batches:
//            51x1250 is a fda/swde batch of the sweep, 15x4096 a ruler one)
// Each time is the median of three runs (host-bound work varies from run to run).
// With --profile it instead runs a smaller version of each through OpProfiler and prints where the
// time goes, op by op (device time); --host-profile does the same without synchronising, charging
// each op its host time and the runtime's own work to "(between ops)".
// Usage: bench_cuda_model MODEL_DIR [--rnn RUN_DIR --convert L] [--label NAME] [--skip-b32]
//                        [--decode BxP[,BxP...]] [--profile | --host-profile]
// With --decode, --profile profiles those shapes instead of batch 1 and 32 after 4096.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include "backend/cuda/cuda_backend.h"
#include "base/error.h"
#include "bench_main.h"
#include "op_profiler.h"
#include "model/model.h"
#include "runtime/model_runner.h"

namespace {

using namespace halo;
using Clock = std::chrono::steady_clock;

std::vector<int32_t> random_tokens(std::mt19937& rng, int n, int vocab) {
  std::uniform_int_distribution<int32_t> dist(0, vocab - 1);
  std::vector<int32_t> t(size_t(n), 0);
  for (auto& x : t) x = dist(rng);
  return t;
}

template <typename Fn>
double seconds(backend::CudaBackend& b, Fn fn);

// Median of three timed runs.
template <typename Fn>
double median3(backend::CudaBackend& b, Fn fn) {
  double t[3] = {seconds(b, fn), seconds(b, fn), seconds(b, fn)};
  std::sort(t, t + 3);
  return t[1];
}

template <typename Fn>
double seconds(backend::CudaBackend& b, Fn fn) {
  b.synchronize();
  auto start = Clock::now();
  fn();
  b.synchronize();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int run(int argc, char** argv) {
  if (argc < 2) fail("usage: bench_cuda_model MODEL_DIR [--rnn RUN --convert L] [--label NAME] [--skip-b32]");
  model::LoadOptions options;
  std::vector<int> convert;
  std::string label = "original";
  bool skip_b32 = false, profile = false, host_profile = false;
  std::vector<std::pair<int, int>> decode_shapes;  // (batch, prompt) of --decode
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rnn" && i + 1 < argc) options.rnn_dir = argv[++i];
    else if (a == "--convert" && i + 1 < argc) convert.push_back(std::stoi(argv[++i]));
    else if (a == "--label" && i + 1 < argc) label = argv[++i];
    else if (a == "--skip-b32") skip_b32 = true;
    else if (a == "--profile") profile = true;
    else if (a == "--host-profile") profile = host_profile = true;
    else if (a == "--decode" && i + 1 < argc) {
      std::string list = argv[++i];
      for (size_t at = 0; at <= list.size();) {
        const size_t comma = std::min(list.find(',', at), list.size());
        const std::string item = list.substr(at, comma - at);
        const size_t x = item.find('x');
        int batch = 0, prompt = 0;
        try {
          if (x != std::string::npos) batch = std::stoi(item.substr(0, x)), prompt = std::stoi(item.substr(x + 1));
        } catch (const std::exception&) {
        }
        if (batch <= 0 || prompt <= 0) fail("bench_cuda_model: --decode wants BxP (positive counts), got '{}'", item);
        decode_shapes.emplace_back(batch, prompt);
        at = comma + 1;
      }
    }
    else fail("bench_cuda_model: unknown argument '{}'", a);
  }
  options.rnn_layers = convert;
  backend::CudaBackend b(0);
  double load_s = 0;
  std::optional<model::Model> m;
  load_s = seconds(b, [&] { m.emplace(model::Model::load(b, argv[1], options)); });
  std::optional<bench::OpProfiler> profiler;
  if (profile) {
    profiler.emplace(b, host_profile ? bench::OpProfiler::Mode::host : bench::OpProfiler::Mode::device);
  }
  runtime::ModelRunner runner(b, *m, model::Variant::converting(m->num_layers(), convert));
  const int vocab = int(m->config().vocab_size);
  std::mt19937 rng(7);
  auto emit = [&](const std::string& what, const std::string& fields) {
    fmt::print("{{\"side\": \"halo\", \"model\": \"{}\", \"variant\": \"{}\", \"bench\": \"{}\", {}}}\n",
               argv[1], label, what, fields);
    std::fflush(stdout);
  };
  emit("load", fmt::format("\"seconds\": {:.2f}", load_s));

  // Scoring: 256 documents (1024 requests), handed over 64 documents at a time.
  {
    std::vector<runtime::ScoreRequest> docs;
    int64_t tokens = 0;
    std::uniform_int_distribution<int> ctx_len(70, 90), cont_len(20, 40);
    for (int d = 0; d < 256; ++d) {
      runtime::ScoreRequest r;
      r.context = random_tokens(rng, ctx_len(rng), vocab);
      for (int c = 0; c < 4; ++c) {
        r.continuations.push_back(random_tokens(rng, cont_len(rng), vocab));
        tokens += int64_t(r.context.size() + r.continuations.back().size());
      }
      docs.push_back(std::move(r));
    }
    auto score_all = [&] {
      for (size_t d = 0; d < docs.size(); d += 64) {
        runner.score(std::span(docs).subspan(d, std::min<size_t>(64, docs.size() - d)));
      }
    };
    seconds(b, [&] { runner.score(std::span(docs).first(8)); });  // warm-up
    if (profile) {
      profiler->report();
      runner.score(std::span(docs).first(64));
      fmt::print("profile: scoring 64 documents\n{}", profiler->report());
      const std::vector<std::pair<int, int>> shapes =
          decode_shapes.empty() ? std::vector<std::pair<int, int>>{{1, 4096}, {32, 4096}} : decode_shapes;
      for (auto [batch, prompt] : shapes) {
        std::vector<runtime::GenerateRequest> requests(static_cast<size_t>(batch));
        for (auto& r : requests) {
          r.prompt = random_tokens(rng, prompt, vocab);
          r.max_new_tokens = 1;
        }
        runner.generate(requests);
        fmt::print("profile: prefill of {} x {} tokens\n{}", batch, prompt, profiler->report());
        for (auto& r : requests) r.max_new_tokens = 9;
        runner.generate(requests);
        fmt::print("profile: prefill + 8 decode steps at batch {} after {}\n{}", batch, prompt, profiler->report());
      }
      return 0;
    }
    double s = median3(b, score_all);
    emit("score", fmt::format("\"documents\": 256, \"tokens\": {}, \"seconds\": {:.4f}, \"tokens_per_s\": {:.0f}",
                              tokens, s, double(tokens) / s));
  }

  auto generate = [&](int batch, int new_tokens, int prompt = 4096) {
    std::vector<runtime::GenerateRequest> requests(static_cast<size_t>(batch));
    for (auto& r : requests) {
      r.prompt = random_tokens(rng, prompt, vocab);
      r.max_new_tokens = new_tokens;
    }
    return median3(b, [&] { runner.generate(requests); });
  };
  generate(1, 2);  // warm-up at full length
  const double prefill = generate(1, 1);
  emit("prefill", fmt::format("\"tokens\": 4096, \"ms\": {:.2f}", prefill * 1e3));
  for (int batch : {1, 32}) {
    if (batch == 32 && skip_b32) continue;
    const double one = batch == 1 ? prefill : generate(batch, 1);
    const double many = generate(batch, 65);
    emit("decode", fmt::format("\"batch\": {}, \"prompt\": 4096, \"ms_per_step\": {:.3f}, \"tokens_per_s\": {:.0f}",
                               batch, (many - one) / 64 * 1e3, batch * 64 / (many - one)));
  }
  for (auto [batch, prompt] : decode_shapes) {
    const double one = generate(batch, 1, prompt);
    const double many = generate(batch, 33, prompt);
    emit("decode", fmt::format("\"batch\": {}, \"prompt\": {}, \"ms_per_step\": {:.3f}, \"tokens_per_s\": {:.0f}",
                               batch, prompt, (many - one) / 32 * 1e3, batch * 32 / (many - one)));
  }
  emit("memory", fmt::format("\"peak_gib\": {:.2f}", double(b.peak_memory_bytes()) / double(1ull << 30)));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return halo::bench::run_bench("bench_cuda_model", run, argc, argv); }
