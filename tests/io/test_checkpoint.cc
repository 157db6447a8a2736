#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "io_test_util.h"

namespace halo::io {
namespace {

using nlohmann::json;
using test::fails_with;
using test::TempDir;
using test::write_text;

json tiny_config() {
  return json{{"model_type", "qwen3"},
              {"hidden_size", 8},
              {"intermediate_size", 16},
              {"num_hidden_layers", 2},
              {"num_attention_heads", 2},
              {"num_key_value_heads", 1},
              {"head_dim", 4},
              {"vocab_size", 10},
              {"rope_theta", 10000.0},
              {"tie_word_embeddings", true}};
}

// Writes a checkpoint whose tensors all hold `marker`, so tests can tell which one was read.
void write_ckpt(const std::filesystem::path& dir, const std::vector<std::string>& names,
                float marker) {
  std::vector<std::vector<float>> values(names.size(), std::vector<float>(2, marker));
  std::vector<TensorToWrite> tensors;
  for (size_t i = 0; i < names.size(); ++i)
    tensors.push_back({names[i], DType::BF16, {2}, values[i]});
  write_safetensors(dir / "model.safetensors", tensors);
}

const std::vector<std::string> kStage1Keys = {
    "model.model.embed_tokens.weight",
    "model.model.norm.weight",
    "model.model.layers.0.input_layernorm.weight",
    "model.model.layers.0.self_attn.student_layer.q_proj.weight",
    "model.model.layers.0.self_attn.student_layer.o_norm.weight",
    "model.model.layers.0.self_attn.teacher_layer.q_proj.weight",
    "model.model.layers.1.self_attn.teacher_layer.k_norm.weight",
};

void make_run(const TempDir& tmp, const std::vector<int>& steps) {
  write_text(tmp / "orig_config.json", tiny_config().dump());
  for (int step : steps)
    write_ckpt(tmp / ("ckpt_" + std::to_string(step)), kStage1Keys, float(step));
}

TEST(HfModel, OpensConfigAndWeights) {
  TempDir tmp;
  write_text(tmp / "config.json", tiny_config().dump());
  write_ckpt(tmp.path(), {"model.embed_tokens.weight"}, 1.0f);
  HfModel model = open_hf_model(tmp.path());
  EXPECT_EQ(model.dir, tmp.path());
  EXPECT_EQ(model.config.hidden_size, 8);
  EXPECT_EQ(model.tensors.names(), std::vector<std::string>{"model.embed_tokens.weight"});
  EXPECT_TRUE(fails_with([&] { open_hf_model(tmp / "absent"); }, {(tmp / "absent").string()}));
  std::filesystem::remove(tmp / "config.json");
  EXPECT_TRUE(fails_with([&] { open_hf_model(tmp.path()); }, {(tmp / "config.json").string()}));
}

TEST(Stage1Run, RewritesKeysAndTiesLmHead) {
  TempDir tmp;
  make_run(tmp, {50});
  Stage1Run run = open_stage1_run(tmp.path());
  EXPECT_EQ(run.dir, tmp.path());
  EXPECT_EQ(run.step, 50);
  EXPECT_EQ(run.config.num_layers, 2);
  EXPECT_EQ(run.tensors.names(), (std::vector<std::string>{
                                     "lm_head.weight",
                                     "model.embed_tokens.weight",
                                     "model.layers.0.input_layernorm.weight",
                                     "model.layers.0.self_attn.o_norm.weight",
                                     "model.layers.0.self_attn.q_proj.weight",
                                     "model.norm.weight",
                                 }));
  const TensorView& head = run.tensors.get("lm_head.weight");
  const TensorView& embed = run.tensors.get("model.embed_tokens.weight");
  EXPECT_EQ(head.name, "lm_head.weight");
  EXPECT_EQ(head.bytes.data(), embed.bytes.data());  // an alias, not a copy
  EXPECT_EQ(run.tensors.get("model.layers.0.self_attn.q_proj.weight").to_float(),
            (std::vector<float>{50.0f, 50.0f}));
}

TEST(Stage1Run, KeepsAnUntiedLmHead) {
  TempDir tmp;
  write_text(tmp / "orig_config.json", tiny_config().dump());
  write_ckpt(tmp / "ckpt_1", {"model.model.embed_tokens.weight", "model.lm_head.weight"}, 1.0f);
  Stage1Run run = open_stage1_run(tmp.path());
  EXPECT_EQ(run.tensors.names(),
            (std::vector<std::string>{"lm_head.weight", "model.embed_tokens.weight"}));
  EXPECT_NE(run.tensors.get("lm_head.weight").bytes.data(),
            run.tensors.get("model.embed_tokens.weight").bytes.data());
}

TEST(Stage1Run, NoEmbeddingMeansNoLmHead) {
  TempDir tmp;
  write_text(tmp / "orig_config.json", tiny_config().dump());
  write_ckpt(tmp / "ckpt_1", {"model.model.norm.weight"}, 1.0f);
  Stage1Run run = open_stage1_run(tmp.path());
  EXPECT_EQ(run.tensors.names(), std::vector<std::string>{"model.norm.weight"});
}

TEST(Stage1Run, RewritingCollisionIsAnError) {
  TempDir tmp;
  write_text(tmp / "orig_config.json", tiny_config().dump());
  write_ckpt(tmp / "ckpt_1", {"model.model.norm.weight", "model.norm.weight"}, 1.0f);
  EXPECT_TRUE(
      fails_with([&] { open_stage1_run(tmp.path()); },
                 {(tmp / "ckpt_1").string(), "'model.norm.weight'", "'model.model.norm.weight'"}));
}

TEST(Stage1Run, DefaultStepIsHighestNumericCheckpoint) {
  TempDir tmp;
  make_run(tmp, {900, 1000, 200});
  // Not checkpoints: must be ignored, not parsed as steps.
  std::filesystem::create_directories(tmp / "ckpt_final");
  std::filesystem::create_directories(tmp / "ckpt_12a");
  std::filesystem::create_directories(tmp / "ckpt_");
  write_text(tmp / "ckpt_5000", "a file, not a directory");
  Stage1Run run = open_stage1_run(tmp.path());
  EXPECT_EQ(run.step, 1000);
  EXPECT_EQ(run.tensors.get("model.norm.weight").to_float()[0], 1000.0f);
  EXPECT_EQ(run.tensors.get("model.norm.weight").file, tmp / "ckpt_1000" / "model.safetensors");
}

TEST(Stage1Run, ExplicitStep) {
  TempDir tmp;
  make_run(tmp, {900, 1000});
  Stage1Run run = open_stage1_run(tmp.path(), 900);
  EXPECT_EQ(run.step, 900);
  EXPECT_EQ(run.tensors.get("model.norm.weight").to_float()[0], 900.0f);
}

TEST(Stage1Run, MissingStepListsTheAvailableOnes) {
  TempDir tmp;
  make_run(tmp, {1000, 900});
  EXPECT_TRUE(fails_with([&] { open_stage1_run(tmp.path(), 950); },
                         {tmp.path().string(), "step 950", "900, 1000"}));
}

TEST(Stage1Run, MissingPiecesAreNamed) {
  TempDir tmp;
  EXPECT_TRUE(fails_with([&] { open_stage1_run(tmp / "nope"); }, {(tmp / "nope").string()}));
  EXPECT_TRUE(fails_with([&] { open_stage1_run(tmp.path()); }, {"orig_config.json"}));
  write_text(tmp / "orig_config.json", tiny_config().dump());
  EXPECT_TRUE(fails_with([&] { open_stage1_run(tmp.path()); }, {tmp.path().string(), "ckpt_"}));
  std::filesystem::create_directories(tmp / "ckpt_3");
  EXPECT_TRUE(fails_with([&] { open_stage1_run(tmp.path()); },
                         {(tmp / "ckpt_3").string(), "model.safetensors"}));
}

TEST(Stage1Run, StudentConfigWinsForLightningFieldsAndWarns) {
  TempDir tmp;
  json orig = tiny_config();
  orig["lightning_use_qk_norm"] = false;
  orig["lightning_scale"] = "1/sqrt(d)";
  orig["lightning_use_output_gate"] = true;
  orig["attn_use_rope"] = true;
  write_text(tmp / "orig_config.json", orig.dump());
  json student = tiny_config();
  student["lightning_use_qk_norm"] = true;
  student["lightning_scale"] = "1/d";
  student["lightning_use_output_gate"] = true;
  student["expand_kv_proj"] = true;
  student["attn_use_rope"] = false;  // not a student field: orig_config.json decides
  student["hidden_size"] = 999;      // likewise
  write_text(tmp / "student_config.json", student.dump());
  write_ckpt(tmp / "ckpt_1", {"model.model.norm.weight"}, 1.0f);

  ::testing::internal::CaptureStderr();
  Stage1Run run = open_stage1_run(tmp.path());
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(run.config.lightning.use_qk_norm);
  EXPECT_EQ(run.config.lightning.scale, LightningScale::inv_d);
  EXPECT_TRUE(run.config.lightning.use_output_gate);
  EXPECT_TRUE(run.config.expand_kv_proj);
  EXPECT_TRUE(run.config.attn_use_rope);
  EXPECT_EQ(run.config.hidden_size, 8);
  EXPECT_NE(warnings.find("lightning_use_qk_norm"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("lightning_scale"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("expand_kv_proj"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("student_config.json"), std::string::npos) << warnings;
  EXPECT_EQ(warnings.find("lightning_use_output_gate"), std::string::npos) << warnings;
  EXPECT_EQ(warnings.find("attn_use_rope"), std::string::npos) << warnings;
  EXPECT_EQ(std::count(warnings.begin(), warnings.end(), '\n'), 3) << warnings;
}

TEST(Stage1Run, AgreeingStudentConfigIsSilent) {
  TempDir tmp;
  make_run(tmp, {1});
  json student = tiny_config();
  student["lightning_nh"] = 2;  // the default spelled out: same value, no warning
  write_text(tmp / "student_config.json", student.dump());
  ::testing::internal::CaptureStderr();
  Stage1Run run = open_stage1_run(tmp.path());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(run.config.lightning.num_heads, 2);
}

TEST(Stage1Run, BadStudentConfigIsNamed) {
  TempDir tmp;
  make_run(tmp, {1});
  write_text(tmp / "student_config.json", "{\"lightning_scale\": \"2\"}");
  EXPECT_TRUE(fails_with([&] { open_stage1_run(tmp.path()); },
                         {"student_config.json", "lightning_scale", "'2'"}));
  write_text(tmp / "student_config.json", "not json");
  EXPECT_TRUE(
      fails_with([&] { open_stage1_run(tmp.path()); }, {"student_config.json", "not valid JSON"}));
}

// The PyTorch-generated fixtures (tests/data/golden) load through these readers as written.
TEST(GoldenFixtures, ModelsAndRunsLoad) {
  const std::filesystem::path root = std::filesystem::path(HALO_TEST_DATA) / "golden";
  int models = 0, runs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root / "models")) {
    HfModel model = open_hf_model(entry.path());
    EXPECT_EQ(model.config.mixer_types.size(), size_t(model.config.num_layers)) << entry.path();
    EXPECT_NE(model.tensors.find("model.embed_tokens.weight"), nullptr) << entry.path();
    ++models;
  }
  for (const auto& entry : std::filesystem::directory_iterator(root / "runs")) {
    Stage1Run run = open_stage1_run(entry.path());
    EXPECT_EQ(run.step, 1000) << entry.path();
    EXPECT_NE(run.tensors.find("lm_head.weight"), nullptr) << entry.path();
    EXPECT_NE(run.tensors.find("model.layers.0.self_attn.q_proj.weight"), nullptr) << entry.path();
    for (const std::string& name : run.tensors.names()) {
      EXPECT_EQ(name.find("teacher_layer"), std::string::npos) << name;
      EXPECT_EQ(name.find("student_layer"), std::string::npos) << name;
      EXPECT_NE(name.rfind("model.model.", 0), 0u) << name;
    }
    ++runs;
  }
  EXPECT_GE(models, 1);
  EXPECT_GE(runs, 1);
}

}  // namespace
}  // namespace halo::io
