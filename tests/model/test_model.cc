#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "base/atomic_file.h"
#include "base/error.h"
#include "model/model.h"
#include "model/position_tables.h"
#include "tiny_checkpoint.h"

namespace halo::model {
namespace {

TEST(PositionTables, AlibiSlopesPowerOfTwo) {
  auto s = alibi_slopes(8);
  ASSERT_EQ(s.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(s[size_t(i)], std::pow(0.5f, float(i + 1)));
}

TEST(PositionTables, AlibiSlopesFallbackForSixHeads) {
  // closest power of two 4: 2^-2, 2^-4, 2^-6, 2^-8; then every other slope of 8 heads: 2^-1, 2^-3.
  auto s = alibi_slopes(6);
  std::vector<float> expected = {0.25f, 0.0625f, 0.015625f, 0.00390625f, 0.5f, 0.125f};
  ASSERT_EQ(s.size(), expected.size());
  for (size_t i = 0; i < s.size(); ++i) EXPECT_FLOAT_EQ(s[i], expected[i]);
}

TEST(PositionTables, RopeFrequencies) {
  auto f = rope_inverse_frequencies(10000.0, 8);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_FLOAT_EQ(f[0], 1.0f);
  EXPECT_NEAR(f[1], std::pow(10000.0, -0.25), 1e-7);
  EXPECT_THROW(rope_inverse_frequencies(10000.0, 7), Error);
}

TEST(Variant, DescribeAndRange) {
  EXPECT_EQ(Variant::original(4).describe(), "original");
  EXPECT_EQ(Variant::converting(4, {1, 3}).describe(), "lightning at 1,3");
  EXPECT_THROW(Variant::converting(4, {4}), Error);
}

class ModelLoading : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = testing::fresh_temp_dir("model");
    testing::write_tiny_model(dir / "model", spec);
    testing::write_tiny_run(dir / "run", spec, 10);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // Rewrites one field of the run's orig_config.json.
  void set_run_flag(const std::string& key, const nlohmann::json& value) {
    auto path = dir / "run" / "orig_config.json";
    auto config = nlohmann::json::parse(read_file(path));
    config[key] = value;
    write_file_atomic(path, config.dump());
  }

  std::string load_error(const LoadOptions& options) {
    try {
      Model::load(backend, dir / "model", options);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  testing::TinySpec spec;
  std::filesystem::path dir;
  backend::CpuBackend backend;
};

TEST_F(ModelLoading, LoadsModelAndRunLayers) {
  Model m = Model::load(backend, dir / "model", {dir / "run", std::nullopt, {0, 2}});
  EXPECT_EQ(m.num_layers(), 3);
  EXPECT_EQ(m.rnn_step(), 10);
  EXPECT_NE(m.rnn_layer(0), nullptr);
  EXPECT_EQ(m.rnn_layer(1), nullptr);
  EXPECT_EQ(m.layer(0, Variant::converting(3, {0})).weights.kind, io::MixerKind::lightning);
  EXPECT_EQ(m.layer(0, Variant::original(3)).weights.kind, io::MixerKind::attention);
  EXPECT_THROW(m.check_variant(Variant::converting(3, {1})), Error);
  EXPECT_GT(m.parameter_count(), 0);
}

TEST_F(ModelLoading, FlagOnButKeyMissingNamesTheKey) {
  set_run_flag("lightning_use_output_gate", false);  // the checkpoint has z_proj
  std::string e = load_error({dir / "run", std::nullopt, {1}});
  EXPECT_NE(e.find("model.layers.1.self_attn.z_proj.weight"), std::string::npos) << e;
  EXPECT_NE(e.find("lightning_use_output_gate is false"), std::string::npos) << e;
  EXPECT_NE(e.find("ckpt_10/model.safetensors"), std::string::npos) << e;
}

TEST_F(ModelLoading, FlagOffButKeyPresent) {
  spec.qk_norm = false;
  testing::write_tiny_run(dir / "run", spec, 20);
  set_run_flag("lightning_use_qk_norm", true);
  std::string e = load_error({dir / "run", std::nullopt, {0}});
  EXPECT_NE(e.find("model.layers.0.self_attn.q_norm.weight' is missing"), std::string::npos) << e;
}

TEST_F(ModelLoading, ShapeMismatchWithConfig) {
  set_run_flag("lightning_head_dim", 4);
  std::string e = load_error({dir / "run", std::nullopt, {0}});
  EXPECT_NE(e.find("q_proj.weight' has shape [32, 32], the config expects [16, 32]"), std::string::npos) << e;
}

TEST_F(ModelLoading, ShortConvolutionIsRejected) {
  set_run_flag("lightning_use_short_conv", true);
  std::string e = load_error({dir / "run", std::nullopt, {0}});
  EXPECT_NE(e.find("short convolutions are not supported"), std::string::npos) << e;
}

TEST_F(ModelLoading, RunOfAnotherModelIsRejected) {
  set_run_flag("hidden_size", 48);
  std::string e = load_error({dir / "run", std::nullopt, {0}});
  EXPECT_NE(e.find("hidden_size is 48 but the model's config.json has 32"), std::string::npos) << e;
}

TEST_F(ModelLoading, ConvertWithoutRunAndOutOfRange) {
  EXPECT_NE(load_error({std::nullopt, std::nullopt, {0}}).find("--convert needs --rnn"), std::string::npos);
  EXPECT_NE(load_error({dir / "run", std::nullopt, {3}}).find("index 3 out of range"), std::string::npos);
}

}  // namespace
}  // namespace halo::model
