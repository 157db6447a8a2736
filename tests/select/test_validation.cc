// The named selections `halo validate` compares, their grouping, and validation.json's round trip.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "base/atomic_file.h"
#include "base/error.h"
#include "select/named_selection.h"
#include "select/seeded_draw.h"
#include "select/sweep_results.h"
#include "select/validation.h"
#include "select/validation_file.h"
#include "sweep_fixture.h"

namespace halo::select {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(NamedSelection, EvenlySpacedTakesTheMiddleOfEqualBlocks) {
  EXPECT_EQ(evenly_spaced_selection(28, 7).attention_layers, (std::vector<int>{2, 6, 10, 14, 18, 22, 26}));
  EXPECT_EQ(evenly_spaced_selection(36, 9).attention_layers, (std::vector<int>{2, 6, 10, 14, 18, 22, 26, 30, 34}));
  EXPECT_EQ(evenly_spaced_selection(4, 1).attention_layers, std::vector<int>{2});
  EXPECT_EQ(evenly_spaced_selection(5, 2).attention_layers, (std::vector<int>{1, 3}));
  EXPECT_EQ(evenly_spaced_selection(3, 3).attention_layers, (std::vector<int>{0, 1, 2}));
  EXPECT_NE(error_of([] { evenly_spaced_selection(4, 5); }).find("between 1 and 4"), std::string::npos);
}

TEST(NamedSelection, RandomIsSeededDistinctAndSorted) {
  const NamedSelection a = random_selection(28, 7, 1);
  EXPECT_EQ(a.attention_layers, random_selection(28, 7, 1).attention_layers);
  EXPECT_NE(a.attention_layers, random_selection(28, 7, 2).attention_layers);
  EXPECT_EQ(std::set<int>(a.attention_layers.begin(), a.attention_layers.end()).size(), 7u);
  EXPECT_TRUE(std::is_sorted(a.attention_layers.begin(), a.attention_layers.end()));
  EXPECT_EQ(random_selection(5, 5, 9).attention_layers, (std::vector<int>{0, 1, 2, 3, 4}));
  // The partial Fisher-Yates of seeded_draw.h, step by step with the same engine.
  std::mt19937_64 engine(1);
  std::vector<int> v(28);
  for (int i = 0; i < 28; ++i) v[std::size_t(i)] = i;
  for (int i = 0; i < 7; ++i) {
    const std::uint64_t n = std::uint64_t(28 - i);
    std::uint64_t x = engine();
    while (x < (UINT64_MAX % n + 1) % n) x = engine();
    std::swap(v[std::size_t(i)], v[std::size_t(i) + std::size_t(x % n)]);
  }
  v.resize(7);
  std::sort(v.begin(), v.end());
  EXPECT_EQ(a.attention_layers, v);
}

TEST(NamedSelection, DefaultsOnThePublished2BSweep) {
  const SweepResults results =
      load_sweep_logs(testing::published_dir() / "layer_sweep_hypenet-2b", "hypenet-2b-lightning", Mode::halo);
  const std::vector<NamedSelection> s = default_selections(results, 7, 0);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].name, "HALO");
  EXPECT_EQ(s[0].attention_layers, (std::vector<int>{2, 3, 6, 8, 9, 21, 25}));  // the published choice
  EXPECT_EQ(s[1].name, "jet-nemotron");
  EXPECT_EQ(s[1].attention_layers.size(), 7u);
  EXPECT_EQ(s[2].name, "evenly-spaced");
  EXPECT_EQ(s[3].name, "random");
  EXPECT_EQ(s[3].attention_layers, random_selection(28, 7, 0).attention_layers);
  EXPECT_NE(error_of([&] { default_selections(results, 0, 0); }).find("between 1 and 28"), std::string::npos);
  EXPECT_NE(error_of([&] { default_selections(results, 29, 0); }).find("between 1 and 28"), std::string::npos);
}

TEST(NamedSelection, ExtraSelectionsAreChecked) {
  EXPECT_EQ(error_of([] { check_selection({"probe", {1, 2}, ""}, 4, 2); }), "(no error)");
  EXPECT_NE(error_of([] { check_selection({"probe", {1}, ""}, 4, 2); }).find("selection probe: 1 layers, expected 2"),
            std::string::npos);
  EXPECT_NE(error_of([] { check_selection({"probe", {1, 4}, ""}, 4, 2); }).find("layer 4 is not in 0..3"),
            std::string::npos);
  EXPECT_NE(error_of([] { check_selection({"probe", {1, 1}, ""}, 4, 2); }).find("named twice"), std::string::npos);
}

TEST(Validation, IdenticalSelectionsAreOneHybridListedUnderEveryName) {
  const std::vector<ValidatedHybrid> g = group_selections(
      {{"HALO", {0, 3}, ""}, {"jet-nemotron", {1, 2}, ""}, {"evenly-spaced", {0, 3}, ""}, {"random", {1, 3}, ""}});
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0].names, (std::vector<std::string>{"HALO", "evenly-spaced"}));
  EXPECT_EQ(g[0].folder, "validate/attn-0-3");
  EXPECT_EQ(g[1].names, std::vector<std::string>{"jet-nemotron"});
  EXPECT_EQ(g[2].attention_layers, (std::vector<int>{1, 3}));
}

Validation sample() {
  Validation v;
  v.model = "g";
  v.num_layers = 4;
  v.k = 2;
  v.seed = 7;
  v.selections = {{"HALO", {0, 3}, "top 2"}, {"evenly-spaced", {1, 3}, "blocks"}};
  v.columns = {"hellaswag/acc_norm", "fda/contains"};
  v.hybrids = group_selections(v.selections);
  v.hybrids[0].values = {0.25, 0.5};
  v.hybrids[0].commonsense = 0.25;
  v.hybrids[0].retrieval = 0.5;
  v.hybrids[1].values = {0.1, 0.3333};
  v.hybrids[1].commonsense = 0.1;
  v.hybrids[1].retrieval = 0.3333;
  v.original = {{"original"}, {0, 1, 2, 3}, "original", {0.5, 0.75}, 0.5, 0.75};
  return v;
}

TEST(ValidationFile, RoundTrips) {
  const fs::path dir = testing::fresh_dir("validation_file");
  const Validation v = sample();
  write_file_atomic(dir / "validation.json", validation_file_text(v));
  const Validation back = read_validation_file(dir / "validation.json");
  EXPECT_EQ(validation_file_text(back), validation_file_text(v));
  EXPECT_EQ(back.model, "g");
  EXPECT_EQ(back.seed, 7u);
  ASSERT_EQ(back.hybrids.size(), 2u);
  EXPECT_EQ(back.hybrids[1].values, (std::vector<double>{0.1, 0.3333}));
  EXPECT_EQ(back.hybrids[0].folder, "validate/attn-0-3");
  EXPECT_EQ(back.original.attention_layers, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(back.selections[1].how, "blocks");
  fs::remove_all(dir);
}

TEST(ValidationFile, MalformedFilesAreOneLineNamingTheKey) {
  const fs::path dir = testing::fresh_dir("validation_file_bad");
  const fs::path path = dir / "validation.json";
  auto error_for = [&](const std::string& text) {
    write_file_atomic(path, text);
    return error_of([&] { read_validation_file(path); });
  };
  const std::string good = validation_file_text(sample());
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_NE(error_for("{").find(path.string() + ": not valid JSON"), std::string::npos);
  EXPECT_NE(error_for(replaced("halo-validation", "other")).find("not a halo validation file"), std::string::npos);
  EXPECT_NE(error_for(replaced("\"k\": 2", "\"k\": \"two\"")).find(path.string() + ": k: unexpected value"),
            std::string::npos);
  EXPECT_NE(error_for(replaced("\"retrieval\": 0.3333", "\"retrieval\": null"))
                .find("hybrids[1].retrieval: unexpected value null"),
            std::string::npos);
  EXPECT_NE(error_for(replaced("0.1,", "")).find("hybrids[1].values: 1 values for 2 columns"), std::string::npos);
  EXPECT_NE(error_for(replaced("\"columns\"", "\"cols\"")).find(path.string() + ": columns: missing"),
            std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace halo::select
