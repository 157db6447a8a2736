#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "base/atomic_file.h"
#include "base/bf16.h"
#include "io/safetensors.h"
#include "io_test_util.h"

namespace halo::io {
namespace {

using test::fails_with;
using test::TempDir;
using test::write_raw_safetensors;
using test::write_text;

std::vector<float> ramp(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * (float(i) - float(n) / 3.0f) + 0.1f;
  return v;
}

float expected_after(DType dtype, float v) {
  switch (dtype) {
    case DType::F32:
      return v;
    case DType::BF16:
      return round_to_bf16(v);
    case DType::F16:
      return f16_to_float(float_to_f16(v));
  }
  return NAN;
}

class RoundTrip : public ::testing::TestWithParam<DType> {};

TEST_P(RoundTrip, WriteThenReadGivesTheConvertedValues) {
  TempDir tmp;
  const DType dtype = GetParam();
  std::vector<float> a = ramp(24, 0.37f), b = ramp(5, -1.9f), scalar = {3.25f};
  write_safetensors(tmp / "t.safetensors",
                    {{"b.weight", dtype, {5}, b},
                     {"a.weight", dtype, {2, 3, 4}, a},
                     {"s", dtype, {}, scalar},
                     {"empty", dtype, {0, 7}, {}}},
                    {{"format", "pt"}});

  SafetensorsFile file(tmp / "t.safetensors");
  EXPECT_EQ(file.metadata().at("format"), "pt");
  ASSERT_EQ(file.tensors().size(), 4u);
  const TensorView& va = file.tensors().at("a.weight");
  EXPECT_EQ(va.name, "a.weight");
  EXPECT_EQ(va.dtype, dtype);
  EXPECT_EQ(va.shape, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(va.numel(), 24);
  EXPECT_EQ(va.bytes.size(), 24 * dtype_size(dtype));
  EXPECT_EQ(va.file, tmp / "t.safetensors");
  std::vector<float> got = va.to_float();
  ASSERT_EQ(got.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(got[i], expected_after(dtype, a[i])) << i;
  EXPECT_EQ(file.tensors().at("b.weight").to_float()[4], expected_after(dtype, b[4]));
  EXPECT_EQ(file.tensors().at("s").numel(), 1);
  EXPECT_EQ(file.tensors().at("s").to_float(), std::vector<float>{3.25f});
  EXPECT_EQ(file.tensors().at("empty").numel(), 0);
  EXPECT_TRUE(file.tensors().at("empty").to_float().empty());

  // Data starts 8-byte aligned, so every tensor is aligned for its element type.
  for (const auto& [name, view] : file.tensors()) {
    if (!view.bytes.empty()) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(view.bytes.data()) % dtype_size(dtype), 0u) << name;
    }
  }
  std::string raw = read_file(tmp / "t.safetensors");
  uint64_t header_len = 0;
  std::memcpy(&header_len, raw.data(), 8);
  EXPECT_EQ((8 + header_len) % 8, 0u);
}

INSTANTIATE_TEST_SUITE_P(AllDtypes, RoundTrip,
                         ::testing::Values(DType::F32, DType::BF16, DType::F16),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

TEST(Safetensors, DtypeNamesAndSizes) {
  EXPECT_STREQ(dtype_name(DType::F32), "F32");
  EXPECT_STREQ(dtype_name(DType::BF16), "BF16");
  EXPECT_STREQ(dtype_name(DType::F16), "F16");
  EXPECT_EQ(dtype_size(DType::F32), 4u);
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
  EXPECT_EQ(dtype_size(DType::F16), 2u);
}

TEST(Safetensors, ReadsFilesWrittenByOtherWriters) {
  // As the Python writer lays it out: unsorted keys, no padding, metadata last.
  TempDir tmp;
  std::string data(6, '\0');
  uint16_t one_bf16 = 0x3f80, two_f16 = 0x4000;
  float minus_half = -0.5f;
  std::memcpy(data.data(), &one_bf16, 2);
  std::memcpy(data.data() + 2, &minus_half, 4);
  data += std::string(reinterpret_cast<const char*>(&two_f16), 2);
  write_raw_safetensors(tmp / "x.safetensors",
                        R"({"z":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]},)"
                        R"("y":{"dtype":"F32","shape":[1,1],"data_offsets":[2,6]},)"
                        R"("h":{"dtype":"F16","shape":[1],"data_offsets":[6,8]},)"
                        R"("__metadata__":{"format":"pt"}})",
                        data);
  SafetensorsFile file(tmp / "x.safetensors");
  EXPECT_EQ(file.tensors().at("z").to_float(), std::vector<float>{1.0f});
  EXPECT_EQ(file.tensors().at("y").to_float(), std::vector<float>{-0.5f});
  EXPECT_EQ(file.tensors().at("h").to_float(), std::vector<float>{2.0f});
  EXPECT_EQ(file.metadata().at("format"), "pt");
}

TEST(Safetensors, WriterRejectsInconsistentInput) {
  TempDir tmp;
  std::vector<float> v = {1, 2, 3};
  const auto path = tmp / "w.safetensors";
  EXPECT_TRUE(fails_with(
      [&] {
        write_safetensors(path, {{"t", DType::F32, {2, 2}, v}});
      },
      {path.string(), "'t'", "4 elements", "3 values"}));
  EXPECT_TRUE(fails_with(
      [&] {
        write_safetensors(path, {{"t", DType::F32, {3}, v}, {"t", DType::BF16, {3}, v}});
      },
      {path.string(), "'t'", "twice"}));
  EXPECT_TRUE(fails_with(
      [&] {
        write_safetensors(path, {{"__metadata__", DType::F32, {3}, v}});
      },
      {path.string(), "__metadata__"}));
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TensorStore, OpenFileAndGet) {
  TempDir tmp;
  std::vector<float> v = {1, 2};
  write_safetensors(tmp / "m.safetensors", {{"w", DType::F32, {2}, v}});
  TensorStore store = TensorStore::open_file(tmp / "m.safetensors");
  EXPECT_EQ(store.source(), tmp / "m.safetensors");
  EXPECT_EQ(store.names(), std::vector<std::string>{"w"});
  EXPECT_EQ(store.get("w").to_float(), v);
  EXPECT_EQ(store.find("nope"), nullptr);
}

TEST(TensorStore, MissingKeyNamesSourceAndKey) {
  TempDir tmp;
  std::vector<float> v = {1};
  write_safetensors(tmp / "model.safetensors", {{"w", DType::F32, {1}, v}});
  TensorStore store = TensorStore::open_directory(tmp.path());
  EXPECT_TRUE(fails_with([&] { store.get("model.norm.weight"); },
                         {tmp.path().string(), "'model.norm.weight'", "not found"}));
}

TEST(TensorStore, PutAndEraseRenameEntries) {
  TempDir tmp;
  std::vector<float> v = {1, 2, 3};
  write_safetensors(tmp / "m.safetensors", {{"old", DType::BF16, {3}, v}});
  TensorStore store = TensorStore::open_file(tmp / "m.safetensors");
  store.put("new", store.get("old"));
  store.erase("old");
  EXPECT_EQ(store.names(), std::vector<std::string>{"new"});
  EXPECT_EQ(store.get("new").name, "new");
  EXPECT_EQ(store.get("new").to_float(), v);
  // Copies share the mapping, so views stay valid when the original store goes away.
  TensorStore copy = store;
  store = TensorStore();
  EXPECT_EQ(copy.get("new").to_float(), v);
}

void write_index(const std::filesystem::path& dir, const nlohmann::json& weight_map) {
  write_text(dir / "model.safetensors.index.json",
             nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump(2));
}

TEST(TensorStore, ShardedDirectoryRoundTrip) {
  TempDir tmp;
  std::vector<float> a = ramp(6, 0.5f), b = ramp(4, 2.0f), c = ramp(3, -1.0f);
  write_safetensors(tmp / "model-00001-of-00002.safetensors",
                    {{"a", DType::BF16, {2, 3}, a}, {"b", DType::F16, {4}, b}});
  write_safetensors(tmp / "model-00002-of-00002.safetensors", {{"c", DType::F32, {3}, c}});
  write_index(tmp.path(), {{"a", "model-00001-of-00002.safetensors"},
                           {"b", "model-00001-of-00002.safetensors"},
                           {"c", "model-00002-of-00002.safetensors"}});
  TensorStore store = TensorStore::open_directory(tmp.path());
  EXPECT_EQ(store.source(), tmp.path());
  EXPECT_EQ(store.names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(store.get("a").dtype, DType::BF16);
  EXPECT_EQ(store.get("a").to_float()[5], round_to_bf16(a[5]));
  EXPECT_EQ(store.get("b").dtype, DType::F16);
  EXPECT_EQ(store.get("c").to_float(), c);
  EXPECT_EQ(store.get("c").file, tmp / "model-00002-of-00002.safetensors");
}

TEST(TensorStore, SingleFileWinsOverIndex) {
  TempDir tmp;
  std::vector<float> v = {7};
  write_safetensors(tmp / "model.safetensors", {{"single", DType::F32, {1}, v}});
  write_index(tmp.path(), {{"sharded", "missing.safetensors"}});
  TensorStore store = TensorStore::open_directory(tmp.path());
  EXPECT_EQ(store.names(), std::vector<std::string>{"single"});
}

TEST(TensorStore, MissingShardIsNamed) {
  TempDir tmp;
  std::vector<float> v = {7};
  write_safetensors(tmp / "model-00001-of-00002.safetensors", {{"a", DType::F32, {1}, v}});
  write_index(tmp.path(), {{"a", "model-00001-of-00002.safetensors"},
                           {"b", "model-00002-of-00002.safetensors"}});
  EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp.path()); },
                         {"model.safetensors.index.json", "model-00002-of-00002.safetensors", "'b'",
                          "does not exist"}));
}

TEST(TensorStore, KeyMappedToShardThatLacksIt) {
  TempDir tmp;
  std::vector<float> v = {7};
  write_safetensors(tmp / "model-00001-of-00001.safetensors", {{"a", DType::F32, {1}, v}});
  write_index(tmp.path(), {{"a", "model-00001-of-00001.safetensors"},
                           {"lm_head.weight", "model-00001-of-00001.safetensors"}});
  EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp.path()); },
                         {"model.safetensors.index.json", "'lm_head.weight'",
                          "model-00001-of-00001.safetensors", "does not contain"}));
}

TEST(TensorStore, BadIndexAndEmptyDirectory) {
  TempDir tmp;
  EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp.path()); },
                         {tmp.path().string(), "model.safetensors"}));
  EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp / "nope"); },
                         {(tmp / "nope").string(), "not a directory"}));
  write_text(tmp / "model.safetensors.index.json", "{\"weight_map\": ");
  EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp.path()); },
                         {"model.safetensors.index.json", "not valid JSON"}));
  write_text(tmp / "model.safetensors.index.json", R"({"metadata": {}})");
  EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp.path()); },
                         {"model.safetensors.index.json", "weight_map"}));
  write_text(tmp / "model.safetensors.index.json", R"({"weight_map": {"a": 3}})");
  EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp.path()); },
                         {"model.safetensors.index.json", "'a'"}));
}

// HF's loaders join shard names to the model directory; a name that leaves it is refused.
TEST(TensorStore, ShardsMustLieInTheModelDirectory) {
  TempDir tmp;
  std::vector<float> v = {7};
  write_safetensors(tmp / "outside.safetensors", {{"a", DType::F32, {1}, v}});
  std::filesystem::create_directories(tmp / "model");
  for (const std::string& shard : {(tmp / "outside.safetensors").string(), std::string("../outside.safetensors"),
                                  std::string("sub/../../outside.safetensors")}) {
    write_index(tmp / "model", {{"a", shard}});
    EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp / "model"); },
                           {"model.safetensors.index.json", "'a'", shard,
                            "must be a file name inside the model directory"}))
        << shard;
  }
}

TEST(TensorStore, IndexNamingATensorTwiceIsRefused) {
  TempDir tmp;
  std::vector<float> v = {7};
  write_safetensors(tmp / "model-00001-of-00001.safetensors", {{"a", DType::F32, {1}, v}});
  write_text(tmp / "model.safetensors.index.json",
             R"({"weight_map": {"a": "model-00001-of-00001.safetensors", "a": "model-00001-of-00001.safetensors"}})");
  EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp.path()); },
                         {"model.safetensors.index.json", "'a' is named twice"}));
}

// A symlink loop or a dangling symlink is not "neither file exists".
TEST(TensorStore, UnresolvableSymlinksSayWhatTheyAre) {
  TempDir tmp;
  std::filesystem::create_symlink("model.safetensors", tmp / "model.safetensors");
  EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp.path()); },
                         {(tmp / "model.safetensors").string(), "symlink loop"}));
  std::filesystem::remove(tmp / "model.safetensors");
  std::filesystem::create_symlink(tmp / "gone.safetensors", tmp / "model.safetensors");
  EXPECT_TRUE(fails_with([&] { TensorStore::open_directory(tmp.path()); },
                         {(tmp / "model.safetensors").string(), "is a symlink to", "gone.safetensors",
                          "which does not exist"}));
}

// Bad files: each error names the file, and the tensor where one is at fault.
class BadFile : public ::testing::Test {
 protected:
  std::filesystem::path path() const { return tmp_ / "bad.safetensors"; }
  ::testing::AssertionResult fails(const std::vector<std::string>& needles) const {
    std::vector<std::string> all = {path().string()};
    all.insert(all.end(), needles.begin(), needles.end());
    return fails_with([&] { SafetensorsFile f(path()); }, all);
  }
  TempDir tmp_;
};

TEST_F(BadFile, TooShortForHeaderLength) {
  write_text(path(), "abc");
  EXPECT_TRUE(fails({"too short"}));
  write_text(path(), "");
  EXPECT_TRUE(fails({"too short"}));
}

TEST_F(BadFile, HeaderLengthPastEndOfFile) {
  write_raw_safetensors(path(), "{}", "", 4096);
  EXPECT_TRUE(fails({"header length 4096", "past the end"}));
}

TEST_F(BadFile, HeaderLengthImplausible) {
  write_raw_safetensors(path(), "{}", "", ~uint64_t(0));
  EXPECT_TRUE(fails({"header length"}));
}

TEST_F(BadFile, TruncatedData) {
  std::vector<float> v = ramp(16, 1.0f);
  write_safetensors(path(), {{"a", DType::F32, {4}, {v.data(), 4}}, {"b", DType::F32, {16}, v}});
  std::filesystem::resize_file(path(), std::filesystem::file_size(path()) - 10);
  EXPECT_TRUE(fails({"'b'", "outside the data section"}));
}

TEST_F(BadFile, TruncatedInsideHeader) {
  std::vector<float> v = {1};
  write_safetensors(path(), {{"a", DType::F32, {1}, v}});
  std::filesystem::resize_file(path(), 20);
  EXPECT_TRUE(fails({"past the end"}));
}

TEST_F(BadFile, HeaderNotJson) {
  write_raw_safetensors(path(), "{\"a\": [1, 2", "");
  EXPECT_TRUE(fails({"not valid JSON"}));
  write_raw_safetensors(path(), "[1, 2]", "");
  EXPECT_TRUE(fails({"not a JSON object"}));
  write_raw_safetensors(path(), std::string("\xff\xfe{}"), "");
  EXPECT_TRUE(fails({"not valid JSON"}));
}

TEST_F(BadFile, OverlappingOffsets) {
  write_raw_safetensors(path(),
                        R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                        std::string(12, '\0'));
  EXPECT_TRUE(fails({"'b'", "overlap", "'a'"}));
}

TEST_F(BadFile, SameOffsetsTwice) {
  write_raw_safetensors(path(),
                        R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},)"
                        R"("b":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})",
                        std::string(4, '\0'));
  EXPECT_TRUE(fails({"overlap", "'a'", "'b'"}));
}

TEST_F(BadFile, OutOfBoundsOffsets) {
  write_raw_safetensors(path(), R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                        std::string(16, '\0'));
  EXPECT_TRUE(fails({"'w'", "outside the data section"}));
  write_raw_safetensors(path(), R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})",
                        std::string(16, '\0'));
  EXPECT_TRUE(fails({"'w'", "end before they begin"}));
  write_raw_safetensors(
      path(),
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551616]}})",
      std::string(16, '\0'));
  EXPECT_TRUE(fails({"'w'"}));
}

TEST_F(BadFile, ByteCountDoesNotMatchDtypeAndShape) {
  write_raw_safetensors(path(), R"({"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}})",
                        std::string(8, '\0'));
  EXPECT_TRUE(fails({"'w'", "8 bytes", "BF16", "[2, 3]", "needs 12"}));
}

TEST_F(BadFile, ShapeOverflow) {
  write_raw_safetensors(
      path(),
      R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})",
      std::string(8, '\0'));
  EXPECT_TRUE(fails({"'w'", "too large"}));
}

TEST_F(BadFile, UnsupportedDtype) {
  for (const char* dtype : {"I64", "F8_E4M3", "F64", "bf16"}) {
    write_raw_safetensors(path(),
                          std::string(R"({"model.embed_tokens.weight":{"dtype":")") + dtype +
                              R"(","shape":[1],"data_offsets":[0,8]}})",
                          std::string(8, '\0'));
    EXPECT_TRUE(fails(
        {"tensor 'model.embed_tokens.weight': unsupported dtype '" + std::string(dtype) + "'"}));
  }
}

TEST_F(BadFile, MalformedEntries) {
  const std::string data(8, '\0');
  write_raw_safetensors(path(), R"({"w": 5})", data);
  EXPECT_TRUE(fails({"'w'", "not an object"}));
  write_raw_safetensors(path(), R"({"w":{"shape":[2],"data_offsets":[0,8]}})", data);
  EXPECT_TRUE(fails({"'w'", "dtype"}));
  write_raw_safetensors(path(), R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", data);
  EXPECT_TRUE(fails({"'w'", "shape"}));
  write_raw_safetensors(path(), R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data);
  EXPECT_TRUE(fails({"'w'", "shape"}));
  write_raw_safetensors(path(), R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})",
                        data);
  EXPECT_TRUE(fails({"'w'", "shape"}));
  write_raw_safetensors(path(), R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", data);
  EXPECT_TRUE(fails({"'w'", "data_offsets"}));
  write_raw_safetensors(path(), R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,"8"]}})",
                        data);
  EXPECT_TRUE(fails({"'w'", "data_offsets"}));
  write_raw_safetensors(path(), R"({"__metadata__":{"format":1}})", data);
  EXPECT_TRUE(fails({"__metadata__", "'format'"}));
  write_raw_safetensors(path(), R"({"__metadata__":[1]})", data);
  EXPECT_TRUE(fails({"__metadata__"}));
}

TEST_F(BadFile, ControlCharactersInKeysStayOnOneLine) {
  write_raw_safetensors(path(), R"({"bad\nname":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}})",
                        std::string(1, '\0'));
  EXPECT_TRUE(fails({"bad\\x0aname"}));
}

// Random corruption of a valid file never crashes: it loads or throws a halo::Error.
// nlohmann (like Python's json) keeps the last of two equal keys: a header naming a tensor twice
// would load whichever entry came last. HF's safetensors refuses such headers.
TEST_F(BadFile, TensorNamedTwice) {
  const std::string entry = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  write_raw_safetensors(path(), "{\"w\":" + entry + ",\"w\":" + entry + "}", std::string(4, '\0'));
  EXPECT_TRUE(fails({"the header names 'w' twice"}));
  write_raw_safetensors(path(), R"({"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})",
                        std::string(4, '\0'));
  EXPECT_TRUE(fails({"the header names 'dtype' twice"}));
}

TEST(Safetensors, SurvivesRandomCorruption) {
  TempDir tmp;
  std::vector<float> v = ramp(12, 0.25f);
  write_safetensors(
      tmp / "good.safetensors",
      {{"a", DType::F32, {3, 4}, v}, {"b", DType::BF16, {12}, v}, {"c", DType::F16, {2, 6}, v}});
  const std::string good = read_file(tmp / "good.safetensors");
  std::mt19937 rng(1234);
  int loaded = 0, rejected = 0;
  for (int iter = 0; iter < 400; ++iter) {
    std::string bytes = good;
    int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % bytes.size();
      // Mostly hit the length prefix and header, where parsing happens.
      if (rng() % 4 != 0) pos = rng() % std::min<size_t>(bytes.size(), 8 + 200);
      bytes[pos] = char(rng() % 256);
    }
    if (rng() % 5 == 0) bytes.resize(rng() % bytes.size());
    write_text(tmp / "fuzz.safetensors", bytes);
    try {
      SafetensorsFile f(tmp / "fuzz.safetensors");
      for (const auto& [name, view] : f.tensors()) (void)view.to_float();
      ++loaded;
    } catch (const halo::Error& e) {
      EXPECT_NE(std::string(e.what()).find((tmp / "fuzz.safetensors").string()), std::string::npos)
          << e.what();
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_EQ(loaded + rejected, 400);
}

}  // namespace
}  // namespace halo::io
