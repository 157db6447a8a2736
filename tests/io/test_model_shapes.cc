// The shapes a config implies, checked against the safetensors headers alone (io/model_shapes.h).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/checkpoint.h"
#include "io/model_shapes.h"
#include "io_test_util.h"
#include "tiny_checkpoint.h"

namespace halo::io {
namespace {

using test::fails_with;
using test::TempDir;

class ModelShapes : public ::testing::Test {
 protected:
  void SetUp() override { config_json = testing::write_tiny_model(tmp.path(), testing::TinySpec{}); }
  HfModel open_with(const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = config_json;
    edit(j);
    test::write_text(tmp / "config.json", j.dump());
    return open_hf_model(tmp.path());
  }
  TempDir tmp;
  nlohmann::json config_json;
};

TEST_F(ModelShapes, AMatchingModelPasses) {
  HfModel model = open_hf_model(tmp.path());
  check_model_tensors(model.tensors, model.config);
}

// `info` used to accept hidden_size 10^9 over 32-wide weights.
TEST_F(ModelShapes, ConfigThatDisagreesWithTheWeightsIsNamed) {
  HfModel model = open_with([](nlohmann::json& j) { j["hidden_size"] = 1000000000; });
  EXPECT_TRUE(fails_with([&] { check_model_tensors(model.tensors, model.config); },
                         {"model.safetensors", "'model.embed_tokens.weight' has shape [64, 32]",
                          "the config expects [64, 1000000000]"}));
  model = open_with([](nlohmann::json& j) { j["num_key_value_heads"] = 4; });
  EXPECT_TRUE(fails_with([&] { check_model_tensors(model.tensors, model.config); },
                         {"'model.layers.0.self_attn.k_proj.weight' has shape [16, 32]", "expects [32, 32]"}));
  model = open_with([](nlohmann::json& j) { j["num_hidden_layers"] = 4; });
  EXPECT_TRUE(fails_with([&] { check_model_tensors(model.tensors, model.config); }, {"model.layers.3."}));
  model = open_with([](nlohmann::json& j) { j["attn_use_output_gate"] = true; });
  EXPECT_TRUE(fails_with([&] { check_model_tensors(model.tensors, model.config); },
                         {"o_gate.weight' is missing but attn_use_output_gate is true"}));
}

TEST_F(ModelShapes, TiedHeadNeedsNoLmHead) {
  HfModel model = open_with([](nlohmann::json& j) { j["tie_word_embeddings"] = true; });
  check_model_tensors(model.tensors, model.config);
}

TEST_F(ModelShapes, LightningLayersOfARun) {
  testing::write_tiny_run(tmp / "run", testing::TinySpec{}, 10);
  Stage1Run run = open_stage1_run(tmp / "run");
  check_decoder_layer(run.tensors, run.config, 1, MixerKind::lightning);
  run.config.lightning.head_dim = 4;
  EXPECT_TRUE(fails_with([&] { check_decoder_layer(run.tensors, run.config, 1, MixerKind::lightning); },
                         {"ckpt_10/model.safetensors", "'model.layers.1.self_attn.q_proj.weight'",
                          "expects [16, 32]"}));
}

}  // namespace
}  // namespace halo::io
