// Checkpoint sources: the original HF model directory and a HALO Stage-1 run directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "io/model_config.h"
#include "io/safetensors.h"

namespace halo::io {

struct HfModel {
  std::filesystem::path dir;
  ModelConfig config;   // from DIR/config.json
  TensorStore tensors;  // model.safetensors or the sharded set
};

HfModel open_hf_model(const std::filesystem::path& dir);

// A Stage-1 run: DIR/orig_config.json (+ optional DIR/student_config.json) and
// DIR/ckpt_{N}/model.safetensors. Keys are rewritten as docs/design.md §2 says (drop teacher_layer.,
// strip student_layer., model.model. → model., model.lm_head → lm_head, tie lm_head if absent).
struct Stage1Run {
  std::filesystem::path dir;
  int step = 0;                 // the N of the ckpt_N that was read
  ModelConfig config;           // orig_config.json with lightning_*/expand_kv_proj from student_config.json
  TensorStore tensors;          // rewritten keys
};

// `step` picks ckpt_{step}; default the highest N among DIR/ckpt_* (numeric, not lexicographic).
// A missing directory, config or checkpoint is a one-line error naming the path.
Stage1Run open_stage1_run(const std::filesystem::path& dir, std::optional<int> step = std::nullopt);

}  // namespace halo::io
