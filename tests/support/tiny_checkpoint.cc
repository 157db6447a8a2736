#include "tiny_checkpoint.h"

#include <fmt/format.h>

#include <unistd.h>

#include <random>
#include <vector>

#include "base/atomic_file.h"
#include "io/safetensors.h"

namespace halo::testing {

namespace {

struct Writer {
  std::mt19937 rng;
  io::DType dtype;
  std::vector<std::vector<float>> buffers;
  std::vector<io::TensorToWrite> tensors;

  std::string bad_tensor;
  float bad_value = 0;

  Writer(uint32_t seed, const TinySpec& spec)
      : rng(seed), dtype(spec.bf16 ? io::DType::BF16 : io::DType::F32), bad_tensor(spec.bad_tensor),
        bad_value(spec.bad_value) {
    buffers.reserve(1024);
  }

  void add(const std::string& name, std::vector<int64_t> shape, float mean, float stddev) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::normal_distribution<float> dist(mean, stddev);
    std::vector<float> values(static_cast<size_t>(n));
    for (float& v : values) v = dist(rng);
    if (name == bad_tensor) values.at(5) = bad_value;
    buffers.push_back(std::move(values));
    tensors.push_back({name, dtype, std::move(shape), buffers.back()});
  }
  void matrix(const std::string& name, int64_t rows, int64_t cols) {
    add(name, {rows, cols}, 0.0f, 0.3f);
  }
  void norm(const std::string& name, int64_t n) { add(name, {n}, 1.0f, 0.1f); }
};

nlohmann::json base_config(const TinySpec& s) {
  return {{"architectures", {"Qwen3ForCausalLM"}},
          {"model_type", "qwen3"},
          {"hidden_size", s.hidden},
          {"intermediate_size", s.intermediate},
          {"num_hidden_layers", s.layers},
          {"num_attention_heads", s.heads},
          {"num_key_value_heads", s.kv_heads},
          {"head_dim", s.head_dim},
          {"vocab_size", s.vocab},
          {"rms_norm_eps", 1e-6},
          {"rope_theta", 10000.0},
          {"rope_scaling", nullptr},
          {"tie_word_embeddings", s.tied},
          {"max_position_embeddings", 4096},
          {"eos_token_id", s.vocab - 1},
          {"torch_dtype", s.bf16 ? "bfloat16" : "float32"}};
}

void write_mlp_and_norms(Writer& w, const std::string& p, const TinySpec& s) {
  w.norm(p + "input_layernorm.weight", s.hidden);
  w.norm(p + "post_attention_layernorm.weight", s.hidden);
  w.matrix(p + "mlp.gate_proj.weight", s.intermediate, s.hidden);
  w.matrix(p + "mlp.up_proj.weight", s.intermediate, s.hidden);
  w.matrix(p + "mlp.down_proj.weight", s.hidden, s.intermediate);
}

void write_attention(Writer& w, const std::string& a, const TinySpec& s) {
  w.matrix(a + "q_proj.weight", s.heads * s.head_dim, s.hidden);
  w.matrix(a + "k_proj.weight", s.kv_heads * s.head_dim, s.hidden);
  w.matrix(a + "v_proj.weight", s.kv_heads * s.head_dim, s.hidden);
  w.matrix(a + "o_proj.weight", s.hidden, s.heads * s.head_dim);
  w.norm(a + "q_norm.weight", s.head_dim);
  w.norm(a + "k_norm.weight", s.head_dim);
}

// Embeddings, final norm and (untied) LM head; `model` is "model." in a HF checkpoint and
// "model.model." in a Stage-1 one, whose head sits at "model.lm_head".
void write_embeddings_and_head(Writer& w, const std::string& model, const std::string& head, const TinySpec& s) {
  w.matrix(model + "embed_tokens.weight", s.vocab, s.hidden);
  w.norm(model + "norm.weight", s.hidden);
  if (!s.tied) w.matrix(head, s.vocab, s.hidden);
}

}  // namespace

std::filesystem::path fresh_temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("halo_test_{}_{}", name, ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

nlohmann::json write_tiny_model(const std::filesystem::path& dir, const TinySpec& s) {
  Writer w(s.seed, s);
  write_embeddings_and_head(w, "model.", "lm_head.weight", s);
  for (int i = 0; i < s.layers; ++i) {
    std::string p = fmt::format("model.layers.{}.", i);
    write_mlp_and_norms(w, p, s);
    write_attention(w, p + "self_attn.", s);
  }
  io::write_safetensors(dir / "model.safetensors", w.tensors, {{"format", "pt"}});
  nlohmann::json config = base_config(s);
  write_file_atomic(dir / "config.json", config.dump(2));
  return config;
}

void write_tiny_run(const std::filesystem::path& dir, const TinySpec& s, int step) {
  nlohmann::json config = base_config(s);
  config["mixer_types"] = std::vector<std::string>(size_t(s.layers), "attn");
  config["lightning_use_qk_norm"] = s.qk_norm;
  config["lightning_use_output_norm"] = s.output_norm;
  config["lightning_use_output_gate"] = s.output_gate;
  config["lightning_use_rope"] = s.lightning_rope;
  config["lightning_use_short_conv"] = false;
  config["lightning_nh"] = s.heads;
  config["lightning_nkv"] = s.kv_heads;
  config["lightning_head_dim"] = s.head_dim;
  config["lightning_scale"] = s.scale;
  config["expand_kv_proj"] = false;
  write_file_atomic(dir / "orig_config.json", config.dump(2));

  Writer w(s.seed * 7919u + uint32_t(step), s);
  write_embeddings_and_head(w, "model.model.", "model.lm_head.weight", s);
  for (int i = 0; i < s.layers; ++i) {
    std::string p = fmt::format("model.model.layers.{}.", i);
    write_mlp_and_norms(w, p, s);
    write_attention(w, p + "self_attn.teacher_layer.", s);
    std::string st = p + "self_attn.student_layer.";
    w.matrix(st + "q_proj.weight", s.heads * s.head_dim, s.hidden);
    w.matrix(st + "k_proj.weight", s.kv_heads * s.head_dim, s.hidden);
    w.matrix(st + "v_proj.weight", s.kv_heads * s.head_dim, s.hidden);
    w.matrix(st + "o_proj.weight", s.hidden, s.heads * s.head_dim);
    if (s.qk_norm) {
      w.norm(st + "q_norm.weight", s.head_dim);
      w.norm(st + "k_norm.weight", s.head_dim);
    }
    if (s.output_norm) w.norm(st + "o_norm.weight", s.heads * s.head_dim);
    if (s.output_gate) w.matrix(st + "z_proj.weight", s.heads * s.head_dim, s.hidden);
  }
  io::write_safetensors(dir / fmt::format("ckpt_{}", step) / "model.safetensors", w.tensors);
}

}  // namespace halo::testing
