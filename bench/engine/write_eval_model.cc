// Writes the model of the CPU evaluation benchmark (bench/engine/bench_eval.sh): a random Qwen3 of
// 2 layers, hidden 32, with Qwen3's full 151,936-token vocabulary, plus the tokenizer files copied
// from TOKENIZER_DIR. Such a model spends nearly all its time in the LM head and the log-softmax
// over the vocabulary, which is what the benchmark measures.
//   write_eval_model OUT_DIR TOKENIZER_DIR
#include <cstdio>
#include <filesystem>

#include "tiny_checkpoint.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: write_eval_model OUT_DIR TOKENIZER_DIR\n");
    return 2;
  }
  const std::filesystem::path out = argv[1], tokenizer = argv[2];
  std::filesystem::create_directories(out);
  halo::testing::TinySpec spec;
  spec.layers = 2;
  spec.hidden = 32;
  spec.vocab = 151936;
  halo::testing::write_tiny_model(out, spec);
  for (const char* file : {"tokenizer.json", "tokenizer_config.json"}) {
    std::filesystem::copy_file(tokenizer / file, out / file, std::filesystem::copy_options::overwrite_existing);
  }
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
