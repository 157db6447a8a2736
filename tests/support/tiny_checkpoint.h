// Writes small random Qwen3 checkpoints and HALO Stage-1 runs to disk, in the exact layouts the
// real tools produce, so tests (and end-to-end CLI runs) exercise the real loading code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace halo::testing {

struct TinySpec {
  int hidden = 32;
  int intermediate = 48;
  int layers = 3;
  int heads = 4;
  int kv_heads = 2;
  int head_dim = 8;
  int vocab = 64;
  bool tied = false;
  bool bf16 = false;
  uint32_t seed = 1;
  // Stage-1 run settings.
  bool qk_norm = true;
  bool output_norm = true;
  bool output_gate = true;
  bool lightning_rope = true;
  std::string scale = "1/sqrt(d)";
  // Tests of non-finite weights: the tensor written under this key (in whichever file has it) gets
  // `bad_value` as its element 5.
  std::string bad_tensor;
  float bad_value = 0;
};

// config.json + model.safetensors. Returns the config written.
nlohmann::json write_tiny_model(const std::filesystem::path& dir, const TinySpec& spec);

// orig_config.json + ckpt_{step}/model.safetensors in HiddenStateAligner's key layout (teacher
// attention under self_attn.teacher_layer., lightning mixer under self_attn.student_layer.).
void write_tiny_run(const std::filesystem::path& dir, const TinySpec& spec, int step);

// A fresh empty directory under the system temp dir.
std::filesystem::path fresh_temp_dir(const std::string& name);

}  // namespace halo::testing
