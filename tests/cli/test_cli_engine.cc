// End-to-end tests of the engine commands (info, score, generate, convert, tokenize) through the
// real binary: results on the golden fixtures, one-line errors with a non-zero exit on bad input,
// and what convert may overwrite and with which permissions.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <tuple>

#include "base/atomic_file.h"
#include "run_command.h"
#include "tiny_checkpoint.h"

namespace halo {
namespace {

using testing::CommandResult;

const std::filesystem::path kGolden = std::filesystem::path(HALO_TEST_DATA) / "golden";

CommandResult halo(const std::vector<std::string>& args) { return testing::run_command(HALO_BINARY, args); }

// A failing command must say one line, naming what is wrong, and exit non-zero without a crash.
void expect_one_line_error(const CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.exit_code, 128) << "killed by a signal";
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

nlohmann::json golden_case(const std::string& name) {
  static const nlohmann::json all = nlohmann::json::parse(read_file(kGolden / "cases.json"));
  for (const auto& c : all["cases"]) {
    if (c["name"] == name) return c;
  }
  throw std::runtime_error("no golden case " + name);
}

std::string join(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override { dir = testing::fresh_temp_dir("cli"); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  // A copy of a golden model directory that a test may damage.
  std::filesystem::path copy_model(const std::string& name) {
    auto to = dir / name;
    std::filesystem::copy(kGolden / "models" / name, to, std::filesystem::copy_options::recursive);
    return to;
  }
  std::filesystem::path dir;
};

TEST_F(Cli, ScoreReproducesGoldenHybrid) {
  nlohmann::json c = golden_case("r1_c1_L65");
  CommandResult r = halo({"score", "--model", (kGolden / c["model"].get<std::string>()).string(), "--rnn",
                          (kGolden / c["rnn"].get<std::string>()).string(), "--convert",
                          join(c["convert"].get<std::vector<int>>()), "--tokens",
                          join(c["tokens"].get<std::vector<int>>())});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("{\"tokens\":[", 0), 0u) << r.out;  // tokens first, as the README shows
  auto out = nlohmann::json::parse(r.out);
  auto got = out["logprobs"].get<std::vector<double>>();
  auto expected = c["logprobs"].get<std::vector<double>>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-4);
  EXPECT_EQ(out["tokens"], c["tokens"]);
}

TEST_F(Cli, GenerateMatchesGoldenGreedy) {
  nlohmann::json c = golden_case("gen_gqa_untied_orig");
  CommandResult r = halo({"generate", "--model", (kGolden / c["model"].get<std::string>()).string(), "--tokens",
                          join(c["generate"]["prompt"].get<std::vector<int>>()), "--max-new-tokens", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["generated_tokens"], c["generate"]["expected"]);
}

// convert writes the hybrid; loading it back (no --rnn) gives the same scores.
TEST_F(Cli, ConvertRoundTripsScores) {
  nlohmann::json c = golden_case("r4_c1_2_L64");
  std::string model = (kGolden / c["model"].get<std::string>()).string();
  std::string run = (kGolden / c["rnn"].get<std::string>()).string();
  std::string convert = join(c["convert"].get<std::vector<int>>());
  std::string tokens = join(c["tokens"].get<std::vector<int>>());
  auto out = dir / "hybrid";
  CommandResult w = halo({"convert", "--model", model, "--rnn", run, "--convert", convert, "--out", out.string()});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  auto config = nlohmann::json::parse(read_file(out / "config.json"));
  EXPECT_EQ(config["mixer_types"][1], "lightning-attn");
  EXPECT_EQ(config["mixer_types"][0], "attn");
  CommandResult a = halo({"score", "--model", model, "--rnn", run, "--convert", convert, "--tokens", tokens});
  CommandResult b = halo({"score", "--model", out.string(), "--tokens", tokens});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  CommandResult info = halo({"info", "--model", out.string()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("1:lightning-attn 2:lightning-attn"), std::string::npos) << info.out;
}

TEST_F(Cli, InfoShowsModelAndRun) {
  CommandResult r = halo({"info", "--model", (kGolden / "models/qwen3_gqa_untied").string(), "--rnn",
                          (kGolden / "runs/r1_gqa_all_on").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("layers 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("step 1000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("qk_norm true"), std::string::npos) << r.out;
}

// --check-weights reads every value: clean checkpoints pass; a NaN or an infinity in the model or
// in the Stage-1 run is a one-line error naming the file and the tensor's key in it.
TEST_F(Cli, CheckWeightsNamesTheFirstNonFiniteTensor) {
  testing::TinySpec spec;
  testing::write_tiny_model(dir / "model", spec);
  testing::write_tiny_run(dir / "run", spec, 3);
  CommandResult clean = halo({"info", "--model", (dir / "model").string(), "--rnn", (dir / "run").string(),
                              "--check-weights"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_NE(clean.out.find("tensors finite"), std::string::npos) << clean.out;

  const std::string run_key = "model.model.layers.2.self_attn.student_layer.o_proj.weight";
  for (auto [key, value, where] : {std::tuple{std::string("model.layers.1.mlp.up_proj.weight"), float(NAN), "model"},
                                   std::tuple{run_key, float(INFINITY), "run"}}) {
    testing::TinySpec bad = spec;
    bad.bad_tensor = key;
    bad.bad_value = value;
    const auto bad_dir = dir / (std::string("bad_") + where);
    if (std::string(where) == "model") {
      testing::write_tiny_model(bad_dir, bad);
    } else {
      testing::write_tiny_run(bad_dir, bad, 3);
    }
    const std::string model = std::string(where) == "model" ? bad_dir.string() : (dir / "model").string();
    const std::string run = std::string(where) == "run" ? bad_dir.string() : (dir / "run").string();
    CommandResult r = halo({"info", "--model", model, "--rnn", run, "--check-weights"});
    const std::string file = std::string(where) == "model" ? (bad_dir / "model.safetensors").string()
                                                         : (bad_dir / "ckpt_3/model.safetensors").string();
    expect_one_line_error(r, file + ": tensor '" + key + "' holds 1 non-finite value(s), the first (" +
                                 (std::string(where) == "model" ? "nan" : "inf") + ") at element 5");
    EXPECT_NE(r.out.find("layers 3"), std::string::npos) << "the report comes first";
    // Without the flag only headers are read: info succeeds.
    EXPECT_EQ(halo({"info", "--model", model, "--rnn", run}).exit_code, 0);
  }
}

TEST_F(Cli, TruncatedWeightsFile) {
  auto model = copy_model("qwen3_gqa_untied");
  auto file = model / "model.safetensors";
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  expect_one_line_error(halo({"score", "--model", model.string(), "--tokens", "1,2"}), "model.safetensors");
}

TEST_F(Cli, HeaderLengthPastEndOfFile) {
  auto model = copy_model("qwen3_gqa_untied");
  std::ofstream(model / "model.safetensors", std::ios::binary | std::ios::trunc)
      .write("\xff\xff\xff\x00\x00\x00\x00\x00{}", 10);
  expect_one_line_error(halo({"score", "--model", model.string(), "--tokens", "1,2"}), "model.safetensors");
}

// A hand-made header: `entries` is the JSON body, followed by `data_bytes` zero bytes.
void write_raw_safetensors(const std::filesystem::path& path, const std::string& entries, size_t data_bytes) {
  std::string header = entries;
  uint64_t n = header.size();
  std::string bytes(reinterpret_cast<const char*>(&n), 8);
  bytes += header + std::string(data_bytes, '\0');
  write_file_atomic(path, bytes);
}

TEST_F(Cli, OverlappingOffsets) {
  auto model = copy_model("qwen3_gqa_untied");
  write_raw_safetensors(model / "model.safetensors",
                        R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                        12);
  expect_one_line_error(halo({"score", "--model", model.string(), "--tokens", "1,2"}), "model.safetensors");
}

TEST_F(Cli, UnknownDtype) {
  auto model = copy_model("qwen3_gqa_untied");
  write_raw_safetensors(model / "model.safetensors", R"({"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8);
  expect_one_line_error(halo({"score", "--model", model.string(), "--tokens", "1,2"}), "I64");
}

TEST_F(Cli, MissingKeyAndShapeMismatch) {
  auto model = copy_model("qwen3_gqa_untied");
  auto config = nlohmann::json::parse(read_file(model / "config.json"));
  config["num_hidden_layers"] = 4;
  write_file_atomic(model / "config.json", config.dump());
  expect_one_line_error(halo({"score", "--model", model.string(), "--tokens", "1,2"}), "model.layers.3.");
  config["num_hidden_layers"] = 3;
  config["intermediate_size"] = 7;
  write_file_atomic(model / "config.json", config.dump());
  expect_one_line_error(halo({"score", "--model", model.string(), "--tokens", "1,2"}), "the config expects");
}

TEST_F(Cli, FlagAndKeyDisagree) {
  auto run = dir / "run";
  std::filesystem::copy(kGolden / "runs/r1_gqa_all_on", run, std::filesystem::copy_options::recursive);
  auto config = nlohmann::json::parse(read_file(run / "orig_config.json"));
  config["lightning_use_output_norm"] = false;
  write_file_atomic(run / "orig_config.json", config.dump());
  std::filesystem::remove(run / "student_config.json");
  expect_one_line_error(halo({"score", "--model", (kGolden / "models/qwen3_gqa_untied").string(), "--rnn",
                              run.string(), "--convert", "1", "--tokens", "1,2"}),
                        "o_norm.weight' is present but lightning_use_output_norm is false");
}

TEST_F(Cli, BadFlags) {
  std::string model = (kGolden / "models/qwen3_gqa_untied").string();
  std::string run = (kGolden / "runs/r1_gqa_all_on").string();
  expect_one_line_error(halo({"score", "--model", model, "--rnn", run, "--convert", "3", "--tokens", "1,2"}),
                        "--convert: index 3 out of range");
  expect_one_line_error(halo({"score", "--model", model, "--tokens", "1,x"}), "--tokens: 'x' is not an integer");
  expect_one_line_error(halo({"score", "--model", model, "--tokens", "1,100000"}), "outside the vocabulary");
  expect_one_line_error(halo({"score", "--model", model, "--convert", "1", "--tokens", "1,2"}), "--convert needs --rnn");
  expect_one_line_error(halo({"score", "--model", model, "--rnn", run, "--rnn-step", "5", "--convert", "1",
                              "--tokens", "1,2"}),
                        "no checkpoint for step 5");
  expect_one_line_error(halo({"score", "--model", model, "--tokens", "1", "--device", "tpu"}), "--device");
  expect_one_line_error(halo({"score", "--tokens", "1"}), "--model");
  expect_one_line_error(halo({"frobnicate"}), "subcommand");
}


const std::string kRun = (kGolden / "runs/r1_gqa_all_on").string();

// Every file under `dir` (relative name → content), to see that nothing changed.
std::map<std::string, std::string> snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files[std::filesystem::relative(e.path(), dir).string()] = read_file(e.path());
  }
  return files;
}

// `halo convert --out` equal to --model used to overwrite the source weights and config, exit 0.
TEST_F(Cli, ConvertNeverOverwritesItsInputsOrAnotherModel) {
  auto model = copy_model("qwen3_gqa_untied");
  auto run = dir / "run";
  std::filesystem::copy(kRun, run, std::filesystem::copy_options::recursive);
  const auto model_before = snapshot(model), run_before = snapshot(run);
  auto convert = [&](const std::filesystem::path& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"convert", "--model", model.string(), "--rnn", run.string(), "--convert", "1",
                                  "--out", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return halo(args);
  };
  expect_one_line_error(convert(model), "--out is the --model directory");
  expect_one_line_error(convert(model / "."), "--out is the --model directory");
  expect_one_line_error(convert(model / "hybrid"), "--out lies inside the --model directory");
  expect_one_line_error(convert(run), "--out is the --rnn directory");
  expect_one_line_error(convert(run / "ckpt_1000"), "--out lies inside the --rnn directory");
  EXPECT_EQ(snapshot(model), model_before);
  EXPECT_EQ(snapshot(run), run_before);
  EXPECT_FALSE(std::filesystem::exists(model / "hybrid"));

  // A directory that already holds a model is replaced only with --force.
  auto other = dir / "other";
  std::filesystem::copy(kGolden / "models/qwen3_legacy_sharded", other, std::filesystem::copy_options::recursive);
  const auto other_before = snapshot(other);
  expect_one_line_error(convert(other), "already holds a model (config.json); pass --force");
  EXPECT_EQ(snapshot(other), other_before);
  CommandResult forced = convert(other, {"--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  // The earlier model's index and shards do not survive next to the new model.safetensors.
  for (const char* stale : {"model.safetensors.index.json", "model-00001-of-00002.safetensors",
                            "model-00002-of-00002.safetensors"}) {
    EXPECT_FALSE(std::filesystem::exists(other / stale)) << stale;
  }
  EXPECT_TRUE(std::filesystem::exists(other / "model.safetensors"));
  CommandResult info = halo({"info", "--model", other.string()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("1:lightning-attn"), std::string::npos) << info.out;

  // --force into the input itself is the user's call, but its own files are never deleted.
  write_file_atomic(model / "model-00001-of-00002.safetensors", "kept");
  CommandResult into_input = convert(model, {"--force"});
  ASSERT_EQ(into_input.exit_code, 0) << into_input.err;
  EXPECT_EQ(read_file(model / "model-00001-of-00002.safetensors"), "kept");
}

// Every output file used to be 0600 (mkstemp), whatever the umask.
TEST_F(Cli, OutputFilesAndFoldersFollowTheUmask) {
  for (mode_t mask : {mode_t(022), mode_t(027)}) {
    auto out = dir / ("hybrid" + std::to_string(mask)) / "nested";
    CommandResult r = testing::run_command(
        HALO_BINARY,
        {"convert", "--model", (kGolden / "models/qwen3_gqa_untied").string(), "--rnn", kRun, "--convert", "1",
         "--out", out.string()},
        mask);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* file : {"model.safetensors", "config.json", "generation_config.json"}) {
      struct stat st {};
      ASSERT_EQ(::stat((out / file).c_str(), &st), 0) << file;
      EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask) << file << " under umask 0" << std::oct << mask;
    }
    for (const auto& folder : {out, out.parent_path()}) {
      struct stat st {};
      ASSERT_EQ(::stat(folder.c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, 0777 & ~mask) << folder << " under umask 0" << std::oct << mask;
    }
  }
}

// `info` used to accept a config whose shapes the weights do not have (hidden_size 10^9).
TEST_F(Cli, InfoChecksTheConfigAgainstTheWeights) {
  auto model = copy_model("qwen3_gqa_untied");
  auto config = nlohmann::json::parse(read_file(model / "config.json"));
  config["hidden_size"] = 1000000000;
  write_file_atomic(model / "config.json", config.dump());
  expect_one_line_error(halo({"info", "--model", model.string()}),
                        "model.safetensors: 'model.embed_tokens.weight' has shape [192, 48], the config expects "
                        "[192, 1000000000]");
  config["hidden_size"] = 48;
  config["num_key_value_heads"] = 4;
  write_file_atomic(model / "config.json", config.dump());
  expect_one_line_error(halo({"info", "--model", model.string()}),
                        "'model.layers.0.self_attn.k_proj.weight' has shape");
  // The Stage-1 run's lightning layers too.
  auto run = dir / "run";
  std::filesystem::copy(kRun, run, std::filesystem::copy_options::recursive);
  auto run_config = nlohmann::json::parse(read_file(run / "orig_config.json"));
  run_config["lightning_head_dim"] = 4;
  write_file_atomic(run / "orig_config.json", run_config.dump());
  std::filesystem::remove(run / "student_config.json");
  expect_one_line_error(
      halo({"info", "--model", (kGolden / "models/qwen3_gqa_untied").string(), "--rnn", run.string()}),
                        "ckpt_1000/model.safetensors: 'model.layers.0.self_attn.q_proj.weight' has shape");
}

// Headers naming a tensor twice and shards outside the model directory used to be accepted.
TEST_F(Cli, DuplicateKeysAndEscapingShardsAreRefused) {
  auto model = copy_model("qwen3_gqa_untied");
  const std::string entry = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  write_raw_safetensors(model / "model.safetensors",
                        "{\"model.norm.weight\":" + entry + ",\"model.norm.weight\":" + entry + "}", 4);
  expect_one_line_error(halo({"info", "--model", model.string()}),
                        "model.safetensors: the header names 'model.norm.weight' twice");

  auto sharded = dir / "sharded";
  std::filesystem::copy(kGolden / "models/qwen3_legacy_sharded", sharded, std::filesystem::copy_options::recursive);
  auto index = nlohmann::json::parse(read_file(sharded / "model.safetensors.index.json"));
  const std::string first_key = index["weight_map"].begin().key();
  for (const std::string& shard : {(sharded / "model-00001-of-00002.safetensors").string(),
                                   std::string("../sharded/model-00001-of-00002.safetensors")}) {
    index["weight_map"][first_key] = shard;
    write_file_atomic(sharded / "model.safetensors.index.json", index.dump());
    expect_one_line_error(halo({"info", "--model", sharded.string()}),
                          "model.safetensors.index.json: weight_map entry '" + first_key + "': shard '" + shard +
                              "' must be a file name inside the model directory");
  }
}

// These used to say "neither model.safetensors nor … exists" and "not valid JSON".
TEST_F(Cli, SymlinkLoopsAndDirectoriesAreNamedForWhatTheyAre) {
  auto model = copy_model("qwen3_gqa_untied");
  std::filesystem::remove(model / "model.safetensors");
  std::filesystem::create_symlink("model.safetensors", model / "model.safetensors");
  expect_one_line_error(halo({"info", "--model", model.string()}),
                        (model / "model.safetensors").string() + ": cannot be resolved: it is a symlink loop");
  std::filesystem::remove(model / "config.json");
  std::filesystem::create_directory(model / "config.json");
  expect_one_line_error(halo({"info", "--model", model.string()}),
                        (model / "config.json").string() + ": is a directory, not a file");
}

TEST_F(Cli, NumbersOutOfRangeSaySo) {
  std::string model = (kGolden / "models/qwen3_gqa_untied").string();
  expect_one_line_error(halo({"score", "--model", model, "--rnn", kRun, "--convert", "0-99999999999", "--tokens", "1"}),
                        "--convert: index 99999999999 out of range (the model has 3 layers: 0-2)");
  expect_one_line_error(halo({"score", "--model", model, "--tokens", "1,99999999999"}),
                        "--tokens: '99999999999' is out of range");
}

// The runtime never runs positions at or past max_position_embeddings.
TEST_F(Cli, ScoreAndGenerateStayWithinTheModelsLength) {
  auto model = copy_model("qwen3_gqa_untied");
  auto config = nlohmann::json::parse(read_file(model / "config.json"));
  config["max_position_embeddings"] = 4;
  write_file_atomic(model / "config.json", config.dump());
  EXPECT_EQ(halo({"score", "--model", model.string(), "--tokens", "1,2,3,4,5"}).exit_code, 0);  // runs 4
  expect_one_line_error(halo({"score", "--model", model.string(), "--tokens", "1,2,3,4,5,6"}),
                        (model / "config.json").string() +
                            ": max_position_embeddings is 4, so at most 5 tokens can be scored (all but the last are "
                            "run), not 6");
  EXPECT_EQ(halo({"generate", "--model", model.string(), "--tokens", "1,2", "--max-new-tokens", "2"}).exit_code, 0);
  expect_one_line_error(halo({"generate", "--model", model.string(), "--tokens", "1,2", "--max-new-tokens", "3"}),
                        "max_position_embeddings is 4, fewer than the prompt's 2 tokens + --max-new-tokens 3");
}

// An id of 2^31 - 1 in tokenizer.json used to end in "internal error: vector::_M_default_append".
TEST_F(Cli, TokenizerIdsBeyondTheVocabularyAreRefused) {
  auto tok = dir / "tok";
  std::filesystem::create_directories(tok);
  auto j = nlohmann::json::parse(read_file(std::filesystem::path(HALO_TEST_DATA) / "tokenizer/tiny/tokenizer.json"));
  j["model"]["vocab"]["huge"] = 2147483647;
  write_file_atomic(tok / "tokenizer.json", j.dump());
  expect_one_line_error(halo({"tokenize", "--tokenizer", tok.string(), "--text", "hi"}),
                        (tok / "tokenizer.json").string() + ": model.vocab[\"huge\"]: id 2147483647 is out of range");
}

}  // namespace
}  // namespace halo
