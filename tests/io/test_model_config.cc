#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/model_config.h"
#include "io_test_util.h"

namespace halo::io {
namespace {

using nlohmann::json;
using test::fails_with;
using test::TempDir;
using test::write_text;

// Qwen3-1.7B's config.json as published.
json published_qwen3() {
  return json::parse(R"({
    "architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
    "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
    "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 6144,
    "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3",
    "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8,
    "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null,
    "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.51.0",
    "use_cache": true, "use_sliding_window": false, "vocab_size": 151936})");
}

// The same model as transformers 5 writes it.
json transformers5_qwen3() {
  json j = published_qwen3();
  j.erase("rope_theta");
  j.erase("rope_scaling");
  j.erase("torch_dtype");
  j["dtype"] = "bfloat16";
  j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 1000000.0}};
  j["transformers_version"] = "5.0.0";
  return j;
}

// A small config with only the required keys.
json minimal() {
  return json{{"hidden_size", 64},
              {"intermediate_size", 128},
              {"num_hidden_layers", 4},
              {"num_attention_heads", 4},
              {"vocab_size", 100}};
}

ModelConfig parse(const json& j) { return parse_model_config(j, "config.json"); }

::testing::AssertionResult rejects(const json& j, const std::vector<std::string>& needles) {
  std::vector<std::string> all = {"config.json"};
  all.insert(all.end(), needles.begin(), needles.end());
  return fails_with([&] { parse(j); }, all);
}

void expect_same_model(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.hidden_size, b.hidden_size);
  EXPECT_EQ(a.intermediate_size, b.intermediate_size);
  EXPECT_EQ(a.num_layers, b.num_layers);
  EXPECT_EQ(a.num_heads, b.num_heads);
  EXPECT_EQ(a.num_kv_heads, b.num_kv_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.rms_norm_eps, b.rms_norm_eps);
  EXPECT_EQ(a.rope_theta, b.rope_theta);
  EXPECT_EQ(a.tie_word_embeddings, b.tie_word_embeddings);
  EXPECT_EQ(a.max_position_embeddings, b.max_position_embeddings);
  EXPECT_EQ(a.eos_token_ids, b.eos_token_ids);
  EXPECT_EQ(a.bos_token_id, b.bos_token_id);
  EXPECT_EQ(a.torch_dtype, b.torch_dtype);
  EXPECT_EQ(a.mixer_types, b.mixer_types);
  EXPECT_EQ(a.lightning.num_heads, b.lightning.num_heads);
  EXPECT_EQ(a.lightning.num_kv_heads, b.lightning.num_kv_heads);
  EXPECT_EQ(a.lightning.head_dim, b.lightning.head_dim);
  EXPECT_EQ(a.lightning.use_qk_norm, b.lightning.use_qk_norm);
  EXPECT_EQ(a.lightning.use_output_gate, b.lightning.use_output_gate);
  EXPECT_EQ(a.lightning.use_output_norm, b.lightning.use_output_norm);
  EXPECT_EQ(a.lightning.use_rope, b.lightning.use_rope);
  EXPECT_EQ(a.lightning.use_short_conv, b.lightning.use_short_conv);
  EXPECT_EQ(a.lightning.conv_size, b.lightning.conv_size);
  EXPECT_EQ(a.lightning.scale, b.lightning.scale);
  EXPECT_EQ(a.expand_kv_proj, b.expand_kv_proj);
  EXPECT_EQ(a.attn_use_rope, b.attn_use_rope);
  EXPECT_EQ(a.attn_use_output_gate, b.attn_use_output_gate);
  EXPECT_EQ(a.attn_logits_scaling.kind, b.attn_logits_scaling.kind);
  EXPECT_EQ(a.attn_logits_scaling.value, b.attn_logits_scaling.value);
}

TEST(ModelConfig, PublishedQwen3Layout) {
  ModelConfig c = parse(published_qwen3());
  EXPECT_EQ(c.model_type, "qwen3");
  EXPECT_EQ(c.hidden_size, 2048);
  EXPECT_EQ(c.intermediate_size, 6144);
  EXPECT_EQ(c.num_layers, 28);
  EXPECT_EQ(c.num_heads, 16);
  EXPECT_EQ(c.num_kv_heads, 8);
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.vocab_size, 151936);
  EXPECT_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.rope_theta, 1e6);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.max_position_embeddings, 40960);
  EXPECT_EQ(c.eos_token_ids, std::vector<int32_t>{151645});
  EXPECT_EQ(c.bos_token_id, 151643);
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.mixer_types, std::vector<MixerKind>(28, MixerKind::attention));
  EXPECT_EQ(c.raw, published_qwen3());
}

TEST(ModelConfig, Transformers5LayoutMatchesPublished) {
  ModelConfig c = parse(transformers5_qwen3());
  expect_same_model(c, parse(published_qwen3()));
}

TEST(ModelConfig, RopeScalingDefaultObjectsAreAccepted) {
  json j = published_qwen3();
  j["rope_scaling"] = {{"rope_type", "default"}};
  EXPECT_EQ(parse(j).rope_theta, 1e6);
  j["rope_scaling"] = {{"type", "default"}};
  EXPECT_EQ(parse(j).rope_theta, 1e6);
  j.erase("rope_scaling");
  j.erase("rope_theta");
  EXPECT_EQ(parse(j).rope_theta, 10000.0);
}

TEST(ModelConfig, OtherRopeTypesAreErrors) {
  for (const char* type : {"yarn", "linear", "dynamic", "llama3", "longrope"}) {
    json j = published_qwen3();
    j["rope_scaling"] = {{"rope_type", type}, {"factor", 4.0}};
    EXPECT_TRUE(fails_with([&] { parse(j); }, {std::string("config.json: rope_scaling type '") +
                                               type + "' is not supported"}));
    j["rope_scaling"] = {{"type", type}, {"factor", 4.0}};
    EXPECT_TRUE(rejects(j, {std::string("'") + type + "'"}));
    json t5 = transformers5_qwen3();
    t5["rope_parameters"]["rope_type"] = type;
    EXPECT_TRUE(rejects(
        t5, {"rope_scaling type '" + std::string(type) + "' is not supported", "rope_parameters"}));
  }
  json j = published_qwen3();
  j["rope_scaling"] = {{"factor", 4.0}};
  EXPECT_TRUE(rejects(j, {"rope_scaling", "rope_type"}));
  j["rope_scaling"] = "yarn";
  EXPECT_TRUE(rejects(j, {"'rope_scaling'"}));
}

TEST(ModelConfig, DefaultsForOptionalShapeKeys) {
  ModelConfig c = parse(minimal());
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.num_kv_heads, 4);
  EXPECT_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.max_position_embeddings, 32768);
  EXPECT_TRUE(c.eos_token_ids.empty());
  EXPECT_FALSE(c.bos_token_id.has_value());
  EXPECT_EQ(c.model_type, "");
  EXPECT_EQ(c.torch_dtype, "");
}

TEST(ModelConfig, EosTokenIdIntOrList) {
  json j = minimal();
  j["eos_token_id"] = json::array({151645, 151643});
  EXPECT_EQ(parse(j).eos_token_ids, (std::vector<int32_t>{151645, 151643}));
  j["eos_token_id"] = 7;
  EXPECT_EQ(parse(j).eos_token_ids, std::vector<int32_t>{7});
  j["eos_token_id"] = nullptr;
  EXPECT_TRUE(parse(j).eos_token_ids.empty());
  j["eos_token_id"] = "7";
  EXPECT_TRUE(rejects(j, {"eos_token_id"}));
  j["eos_token_id"] = json::array({1, -2});
  EXPECT_TRUE(rejects(j, {"eos_token_id"}));
}

TEST(ModelConfig, HypeNetFieldDefaults) {
  ModelConfig c = parse(published_qwen3());
  EXPECT_EQ(c.lightning.num_heads, 16);
  EXPECT_EQ(c.lightning.num_kv_heads, 8);
  EXPECT_EQ(c.lightning.head_dim, 128);
  EXPECT_FALSE(c.lightning.use_qk_norm);
  EXPECT_FALSE(c.lightning.use_output_gate);
  EXPECT_FALSE(c.lightning.use_output_norm);
  EXPECT_TRUE(c.lightning.use_rope);
  EXPECT_FALSE(c.lightning.use_short_conv);
  EXPECT_EQ(c.lightning.conv_size, 4);
  EXPECT_EQ(c.lightning.scale, LightningScale::inv_sqrt_d);
  EXPECT_FALSE(c.expand_kv_proj);
  EXPECT_TRUE(c.attn_use_rope);
  EXPECT_FALSE(c.attn_use_output_gate);
  EXPECT_EQ(c.attn_logits_scaling.kind, LogitsScaling::Kind::none);

  // Explicit nulls (as HypeNetConfig serialises unset head counts) mean the same defaults.
  json j = published_qwen3();
  j["lightning_nh"] = nullptr;
  j["lightning_nkv"] = nullptr;
  j["lightning_head_dim"] = nullptr;
  j["attn_logits_scaling"] = nullptr;
  j["mixer_types"] = json::array();
  ModelConfig n = parse(j);
  expect_same_model(n, c);
}

TEST(ModelConfig, HypeNetFieldsExplicit) {
  json j = minimal();
  j["model_type"] = "hypenet";
  j["mixer_types"] = {"attn", "lightning-attn", "lightning_attn", "attn"};
  j["lightning_use_qk_norm"] = true;
  j["lightning_use_output_gate"] = true;
  j["lightning_use_output_norm"] = true;
  j["lightning_use_rope"] = false;
  j["lightning_nh"] = 6;
  j["lightning_nkv"] = 2;
  j["lightning_head_dim"] = 24;
  j["lightning_scale"] = "1/d";
  j["lightning_use_short_conv"] = true;
  j["lightning_conv_size"] = 3;
  j["expand_kv_proj"] = true;
  j["attn_use_rope"] = false;
  j["attn_use_output_gate"] = true;
  j["attn_logits_scaling"] = "hype 100";
  ModelConfig c = parse(j);
  EXPECT_EQ(c.mixer_types, (std::vector<MixerKind>{MixerKind::attention, MixerKind::lightning,
                                                   MixerKind::lightning, MixerKind::attention}));
  EXPECT_TRUE(c.lightning.use_qk_norm);
  EXPECT_TRUE(c.lightning.use_output_gate);
  EXPECT_TRUE(c.lightning.use_output_norm);
  EXPECT_FALSE(c.lightning.use_rope);
  EXPECT_EQ(c.lightning.num_heads, 6);
  EXPECT_EQ(c.lightning.num_kv_heads, 2);
  EXPECT_EQ(c.lightning.head_dim, 24);
  EXPECT_EQ(c.lightning.scale, LightningScale::inv_d);
  EXPECT_TRUE(c.lightning.use_short_conv);
  EXPECT_EQ(c.lightning.conv_size, 3);
  EXPECT_TRUE(c.expand_kv_proj);
  EXPECT_FALSE(c.attn_use_rope);
  EXPECT_TRUE(c.attn_use_output_gate);
  EXPECT_EQ(c.attn_logits_scaling.kind, LogitsScaling::Kind::hype);
  EXPECT_EQ(c.attn_logits_scaling.value, 100.0);
}

TEST(ModelConfig, LightningScaleValues) {
  json j = minimal();
  j["lightning_scale"] = "1/sqrt(d)";
  EXPECT_EQ(parse(j).lightning.scale, LightningScale::inv_sqrt_d);
  j["lightning_scale"] = "1/d";
  EXPECT_EQ(parse(j).lightning.scale, LightningScale::inv_d);
  j["lightning_scale"] = "1";
  EXPECT_EQ(parse(j).lightning.scale, LightningScale::one);
  j["lightning_scale"] = "sqrt(d)";
  EXPECT_TRUE(rejects(j, {"lightning_scale", "'sqrt(d)'"}));
  j["lightning_scale"] = 1;
  EXPECT_TRUE(rejects(j, {"'lightning_scale'", "a string"}));
}

TEST(ModelConfig, LogitsScalingForms) {
  json j = minimal();
  j["attn_logits_scaling"] = 0.5;
  ModelConfig c = parse(j);
  EXPECT_EQ(c.attn_logits_scaling.kind, LogitsScaling::Kind::constant);
  EXPECT_EQ(c.attn_logits_scaling.value, 0.5);
  j["attn_logits_scaling"] = 2;
  EXPECT_EQ(parse(j).attn_logits_scaling.value, 2.0);
  j["attn_logits_scaling"] = "hype";
  c = parse(j);
  EXPECT_EQ(c.attn_logits_scaling.kind, LogitsScaling::Kind::hype);
  EXPECT_EQ(c.attn_logits_scaling.value, 362.0);
  j["attn_logits_scaling"] = "hype 512.5";
  EXPECT_EQ(parse(j).attn_logits_scaling.value, 512.5);
  for (const char* bad : {"hyper", "hype x", "hype 1", "hype 12 13", "log", ""}) {
    j["attn_logits_scaling"] = bad;
    EXPECT_TRUE(rejects(j, {"attn_logits_scaling"})) << bad;
  }
  j["attn_logits_scaling"] = true;
  EXPECT_TRUE(rejects(j, {"'attn_logits_scaling'"}));
}

TEST(ModelConfig, MixerTypesErrors) {
  json j = minimal();
  j["mixer_types"] = {"attn", "lightning-attn"};
  EXPECT_TRUE(rejects(j, {"mixer_types", "2 entries", "num_hidden_layers is 4"}));
  j["mixer_types"] = {"attn", "mamba", "attn", "attn"};
  EXPECT_TRUE(rejects(j, {"mixer_types[1]", "'mamba'"}));
  j["mixer_types"] = {"attn", 1, "attn", "attn"};
  EXPECT_TRUE(rejects(j, {"mixer_types[1]"}));
  j["mixer_types"] = "attn";
  EXPECT_TRUE(rejects(j, {"'mixer_types'"}));
  EXPECT_TRUE(fails_with([] { parse_mixer_kind("gla", "somewhere"); }, {"somewhere", "'gla'"}));
  EXPECT_STREQ(mixer_kind_name(MixerKind::attention), "attn");
  EXPECT_STREQ(mixer_kind_name(MixerKind::lightning), "lightning-attn");
}

TEST(ModelConfig, WrongTypesNameTheKey) {
  const std::vector<std::pair<std::string, json>> cases = {{"hidden_size", "2048"},
                                                           {"num_hidden_layers", 2.5},
                                                           {"num_key_value_heads", true},
                                                           {"head_dim", json::array()},
                                                           {"rms_norm_eps", "1e-6"},
                                                           {"rope_theta", "1e6"},
                                                           {"tie_word_embeddings", 1},
                                                           {"lightning_use_qk_norm", "false"},
                                                           {"lightning_use_output_gate", 0},
                                                           {"lightning_use_output_norm", 1},
                                                           {"lightning_use_rope", "yes"},
                                                           {"lightning_nh", "8"},
                                                           {"lightning_nkv", 1.5},
                                                           {"lightning_head_dim", false},
                                                           {"lightning_use_short_conv", 1},
                                                           {"lightning_conv_size", "4"},
                                                           {"expand_kv_proj", "true"},
                                                           {"attn_use_rope", 1},
                                                           {"attn_use_output_gate", 0},
                                                           {"model_type", 3},
                                                           {"vocab_size", -5},
                                                           {"intermediate_size", 0},
                                                           {"max_position_embeddings", "x"},
                                                           {"bos_token_id", "x"}};
  for (const auto& [key, value] : cases) {
    json j = minimal();
    j[key] = value;
    EXPECT_TRUE(rejects(j, {"'" + key + "'"})) << key;
  }
}

TEST(ModelConfig, StructuralErrors) {
  json j = minimal();
  j.erase("vocab_size");
  EXPECT_TRUE(rejects(j, {"'vocab_size'", "missing"}));
  j = minimal();
  j["num_key_value_heads"] = 3;
  EXPECT_TRUE(rejects(j, {"num_attention_heads 4", "num_key_value_heads 3"}));
  j = minimal();
  j["num_attention_heads"] = 5;
  EXPECT_TRUE(rejects(j, {"head_dim"}));
  j["head_dim"] = 16;
  EXPECT_EQ(parse(j).head_dim, 16);
  j = minimal();
  j["lightning_nh"] = 4;
  j["lightning_nkv"] = 3;
  EXPECT_TRUE(rejects(j, {"lightning_nh 4", "lightning_nkv 3"}));
  EXPECT_TRUE(rejects(json::array(), {"not a JSON object"}));
}

TEST(ModelConfig, UnsupportedQwen3FeaturesAreErrors) {
  json j = published_qwen3();
  j["use_sliding_window"] = true;
  EXPECT_TRUE(rejects(j, {"use_sliding_window"}));
  j = published_qwen3();
  j["attention_bias"] = true;
  EXPECT_TRUE(rejects(j, {"attention_bias"}));
  j = published_qwen3();
  j["hidden_act"] = "gelu";
  EXPECT_TRUE(rejects(j, {"hidden_act", "'gelu'"}));
}

// Found by the fuzz driver (tests/fuzz): a value quoted in a message broke it over two lines, and a
// config nested 100,000 levels deep overflowed the stack (nlohmann copies recursively) instead of
// being an error.
TEST(ModelConfig, FuzzFindings) {
  json j = published_qwen3();
  j["hidden_act"] = "\n";
  EXPECT_TRUE(rejects(j, {"hidden_act", "'\\n'"}));
  j = published_qwen3();
  j["num_hidden_layers"] = 2147483647;  // sized per-layer tables: gigabytes, a minute
  EXPECT_TRUE(rejects(j, {"num_hidden_layers 2147483647 is more than 4096"}));
  TempDir dir;
  std::string deep = published_qwen3().dump();
  deep.insert(deep.size() - 1, ", \"x\": " + std::string(100000, '[') + std::string(100000, ']'));
  write_text(dir / "config.json", deep);
  EXPECT_TRUE(fails_with([&] { load_model_config(dir / "config.json"); }, {"config.json", "nested deeper than 512"}));
}

TEST(ModelConfig, ToJsonRoundTripsAndMarksHybrids) {
  ModelConfig c = parse(transformers5_qwen3());
  c.mixer_types[3] = MixerKind::lightning;
  c.lightning.use_qk_norm = true;
  c.lightning.scale = LightningScale::one;
  c.attn_logits_scaling = {LogitsScaling::Kind::hype, 362.0};
  json out = model_config_to_json(c);
  EXPECT_EQ(out["model_type"], "hypenet");
  EXPECT_EQ(out["mixer_types"][3], "lightning-attn");
  EXPECT_EQ(out["mixer_types"][0], "attn");
  EXPECT_EQ(out["lightning_scale"], "1");
  EXPECT_EQ(out["attn_logits_scaling"], "hype 362");
  EXPECT_EQ(out["architectures"], published_qwen3()["architectures"]);  // raw fields kept
  EXPECT_EQ(out["rope_parameters"]["rope_theta"], 1e6);
  EXPECT_FALSE(out.contains("rope_theta"));
  expect_same_model(parse(out), c);

  ModelConfig plain = parse(published_qwen3());
  plain.attn_logits_scaling = {LogitsScaling::Kind::constant, 0.25};
  json plain_out = model_config_to_json(plain);
  EXPECT_EQ(plain_out["model_type"], "qwen3");
  EXPECT_EQ(plain_out["rope_theta"], 1e6);
  EXPECT_EQ(plain_out["eos_token_id"], 151645);
  expect_same_model(parse(plain_out), plain);

  ModelConfig listed = parse(minimal());
  listed.eos_token_ids = {1, 2};
  EXPECT_EQ(model_config_to_json(listed)["eos_token_id"], json::array({1, 2}));
  EXPECT_TRUE(model_config_to_json(listed)["attn_logits_scaling"].is_null());
}

TEST(ModelConfig, LoadFromFile) {
  TempDir tmp;
  write_text(tmp / "config.json", transformers5_qwen3().dump(2));
  EXPECT_EQ(load_model_config(tmp / "config.json").num_layers, 28);
  EXPECT_TRUE(fails_with([&] { load_model_config(tmp / "missing.json"); },
                         {(tmp / "missing.json").string()}));
  write_text(tmp / "broken.json", "{\"hidden_size\": ");
  EXPECT_TRUE(fails_with([&] { load_model_config(tmp / "broken.json"); },
                         {(tmp / "broken.json").string(), "not valid JSON"}));
  json yarn = published_qwen3();
  yarn["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  write_text(tmp / "yarn" / "config.json", yarn.dump());
  EXPECT_TRUE(fails_with(
      [&] { load_model_config(tmp / "yarn" / "config.json"); },
      {(tmp / "yarn" / "config.json").string() + ": rope_scaling type 'yarn' is not supported"}));
}

}  // namespace
}  // namespace halo::io
