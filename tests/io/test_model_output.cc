// Where `halo convert` may write (io/model_output.h): never over its inputs or another model
// unless forced, and no stale shards of an earlier model left beside the new one.
#include <gtest/gtest.h>

#include "io/model_output.h"
#include "io_test_util.h"

namespace halo::io {
namespace {

using test::fails_with;
using test::TempDir;
using test::write_text;

TEST(ModelOutput, RefusesInputsAndWhatLiesInsideThem) {
  TempDir tmp;
  const auto model = tmp / "model", run = tmp / "run";
  write_text(model / "config.json", "{}");
  write_text(run / "ckpt_1/model.safetensors", "");
  const auto check = [&](const std::filesystem::path& out, bool force) {
    check_model_output_dir(out, {{"--model", model}, {"--rnn", run}}, force);
  };
  EXPECT_TRUE(fails_with([&] { check(model, false); }, {model.string(), "--out is the --model directory"}));
  EXPECT_TRUE(fails_with([&] { check(tmp / "x/../model/", false); }, {"--out is the --model directory"}));
  EXPECT_TRUE(fails_with([&] { check(model / "hybrid", false); }, {"--out lies inside the --model directory"}));
  EXPECT_TRUE(fails_with([&] { check(run / "ckpt_1", false); }, {"--out lies inside the --rnn directory"}));
  check(tmp / "hybrid", false);
  check(model, true);
  EXPECT_FALSE(std::filesystem::exists(tmp / "hybrid")) << "checking creates nothing";
}

TEST(ModelOutput, RefusesADirectoryThatHoldsAModelUnlessForced) {
  TempDir tmp;
  for (const char* file : {"config.json", "model.safetensors", "model.safetensors.index.json",
                           "model-00001-of-00002.safetensors", "weights.safetensors"}) {
    const auto out = tmp / (std::string("out_") + file);
    write_text(out / file, "");
    EXPECT_TRUE(fails_with([&] { check_model_output_dir(out, {}, false); },
                           {out.string(), std::string("already holds a model (") + file + ")", "--force"}));
    check_model_output_dir(out, {}, true);
  }
  write_text(tmp / "notes/readme.txt", "");
  check_model_output_dir(tmp / "notes", {}, false);
  write_text(tmp / "a_file", "");
  EXPECT_TRUE(fails_with([&] { check_model_output_dir(tmp / "a_file", {}, true); }, {"it is a file"}));
}

TEST(ModelOutput, StaleShardsAreRemovedAndNothingElse) {
  TempDir tmp;
  for (const char* file : {"model.safetensors", "config.json", "model.safetensors.index.json",
                           "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "tokenizer.json",
                           "model-final.safetensors"}) {
    write_text(tmp / file, "x");
  }
  remove_stale_shards(tmp.path());
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"config.json", "model-final.safetensors", "model.safetensors",
                                             "tokenizer.json"}));
}

}  // namespace
}  // namespace halo::io
