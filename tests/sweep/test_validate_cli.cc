// `halo validate` end to end: a real `halo sweep` of the trained golden model, then the hybrids of
// HALO's selection and of the alternatives, validation.json, resuming, the report, bad input.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "eval/probe_record.h"
#include "run_command.h"
#include "tiny_checkpoint.h"
#include "trained_sweep.h"

namespace halo {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

CommandResult halo(const std::vector<std::string>& args) { return testing::run_command(HALO_BINARY, args); }

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class ValidateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = testing::fresh_temp_dir("validate_cli");
    sweep.emplace(dir);
    root = dir / "root";
    CommandResult r = halo(with_model({"sweep", "--model-name", "g", "--out", root.string()}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override { fs::remove_all(dir); }
  std::vector<std::string> with_model(std::vector<std::string> args) {
    for (const auto& a : sweep->model_args()) args.push_back(a);
    return args;
  }
  CommandResult validate(std::vector<std::string> extra) {
    std::vector<std::string> args{"validate", "--model-name", "g", "--out", root.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return halo(with_model(args));
  }
  fs::path dir, root;
  std::optional<testing::TrainedSweep> sweep;
};

TEST_F(ValidateCli, EvaluatesEverySelectionOnceAndResumes) {
  CommandResult r = validate({"--select", "1", "--seed", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json v = nlohmann::json::parse(read_file(root / "validation.json"));
  EXPECT_EQ(v["format"], "halo-validation");
  EXPECT_EQ(v["k"], 1);
  EXPECT_EQ(v["num_layers"], 4);
  ASSERT_EQ(v["selections"].size(), 4u);
  const std::vector<std::string> names{"HALO", "jet-nemotron", "evenly-spaced", "random"};
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(v["selections"][i]["name"], names[i]);
  EXPECT_EQ(v["selections"][2]["attention_layers"], nlohmann::json::array({2}));  // floor(4 / 2)

  // HALO's selection is the one `halo rank` makes.
  CommandResult rank = halo({"rank", "--root", root.string(), "--model", "g", "--select", "1", "--out",
                             (dir / "rank").string()});
  ASSERT_EQ(rank.exit_code, 0) << rank.err;
  const nlohmann::json ranking = nlohmann::json::parse(read_file(dir / "rank/ranking.json"));
  EXPECT_EQ(v["selections"][0]["attention_layers"], ranking["selection"]["attention_layers"]);

  // One hybrid per distinct layer set, listed under every name that chose it; each is a finished
  // variant folder with every layer but the kept one converted.
  std::set<std::string> seen_names;
  std::set<nlohmann::json> seen_layers;
  for (const auto& h : v["hybrids"]) {
    EXPECT_TRUE(seen_layers.insert(h["attention_layers"]).second) << h.dump();
    for (const auto& name : h["names"]) {
      EXPECT_TRUE(seen_names.insert(name.get<std::string>()).second) << name;
      for (const auto& s : v["selections"]) {
        if (s["name"] == name) {
          EXPECT_EQ(s["attention_layers"], h["attention_layers"]);
        }
      }
    }
    const int kept = h["attention_layers"][0];
    const fs::path folder = root / h["folder"].get<std::string>();
    EXPECT_EQ(h["folder"], "validate/attn-" + std::to_string(kept));
    const nlohmann::json record = nlohmann::json::parse(read_file(folder / "results.json"));
    std::vector<int> converted;
    for (int l = 0; l < 4; ++l) {
      if (l != kept) converted.push_back(l);
    }
    EXPECT_EQ(record["converted_layers"], converted) << record.dump();
    ASSERT_EQ(h["values"].size(), 6u);
    EXPECT_NEAR(h["retrieval"].get<double>(),
                (h["values"][3].get<double>() + h["values"][4].get<double>() + h["values"][5].get<double>()) / 3,
                1e-12);
  }
  EXPECT_EQ(seen_names.size(), 4u);
  EXPECT_EQ(v["columns"], nlohmann::json::array({"arc_challenge/acc_norm", "arc_easy/acc_norm", "hellaswag/acc_norm",
                                                 "fda/contains", "ruler_qa_squad/4096", "swde/contains"}));
  // The original row is the sweep's own.
  EXPECT_NEAR(v["original"]["commonsense"].get<double>(), ranking["baselines"]["commonsense"].get<double>(), 1e-12);
  // The table on stdout: a blank line, the title, the header, one line per hybrid, the original,
  // where the file went.
  EXPECT_NE(r.out.find("Validation (k = 1 of 4 layers"), std::string::npos) << r.out;
  EXPECT_EQ(count(r.out, "\n"), v["hybrids"].size() + 5) << r.out;

  // Run again: every hybrid is complete and skipped; the file is the same.
  const std::string before = read_file(root / "validation.json");
  CommandResult again = validate({"--select", "1", "--seed", "3"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(count(again.err, "already complete, skipped"), v["hybrids"].size()) << again.err;
  EXPECT_EQ(read_file(root / "validation.json"), before);
  EXPECT_TRUE(fs::exists(root / "validation-summary.txt"));

  // `halo rank` on the root puts the comparison into the report.
  ASSERT_EQ(halo({"rank", "--root", root.string(), "--model", "g", "--select", "1", "--out",
                  (dir / "rank2").string()}).exit_code, 0);
  const std::string report = read_file(dir / "rank2/report.html");
  EXPECT_NE(report.find("id=\"validation-table\""), std::string::npos);
  EXPECT_NE(report.find("evenly-spaced"), std::string::npos);
}

TEST_F(ValidateCli, BadInputIsOneLine) {
  CommandResult big = validate({"--select", "5"});
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_NE(big.err.find("--select 5: expected between 1 and 4 attention layers"), std::string::npos) << big.err;
  EXPECT_EQ(count(big.err, "\n"), 1u) << big.err;
  CommandResult zero = validate({"--select", "0"});
  EXPECT_EQ(zero.exit_code, 1);
  EXPECT_NE(zero.err.find("between 1 and 4"), std::string::npos) << zero.err;
  CommandResult other = halo(with_model({"validate", "--model-name", "nope", "--out", root.string()}));
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("no folder for model nope"), std::string::npos) << other.err;
  EXPECT_EQ(count(other.err, "\n"), 1u) << other.err;
  fs::remove_all(root / "g/layer1");
  CommandResult gap = validate({"--select", "1"});
  EXPECT_EQ(gap.exit_code, 1);
  EXPECT_NE(gap.err.find("layer 1: missing"), std::string::npos) << gap.err;
  EXPECT_FALSE(fs::exists(root / "validation.json"));
  EXPECT_FALSE(fs::exists(root / "validate"));
}

// A probe.json in the root (what `halo probe --root` writes) adds each proxy's top k as a selection.
TEST_F(ValidateCli, ProbeProxiesAreSelectionsToo) {
  eval::ProbeRecord probe;
  probe.model = "model";
  probe.num_layers = 4;
  probe.layers = {0, 1, 2, 3};
  probe.precision = "fp32";
  probe.device = "cpu";
  probe.proxies["kl-text"] = {0.1, 0.2, 0.3, 0.9};  // layer 3 first
  probe.proxies["bi"] = {0.8, 0.1, 0.1, 0.1};       // layer 0 first
  eval::write_probe_record(root / "probe.json", probe);
  CommandResult r = validate({"--select", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json v = nlohmann::json::parse(read_file(root / "validation.json"));
  std::map<std::string, nlohmann::json> chosen;
  for (const auto& s : v["selections"]) chosen[s["name"].get<std::string>()] = s["attention_layers"];
  EXPECT_EQ(chosen["kl-text"], nlohmann::json::array({3})) << v.dump();
  EXPECT_EQ(chosen["bi"], nlohmann::json::array({0})) << v.dump();
  EXPECT_EQ(chosen.size(), 6u) << "HALO, jet-nemotron, evenly-spaced, random and the two proxies";
  // A probe of another model's depth is refused with one line.
  probe.num_layers = 5;
  probe.layers = {0, 1, 2, 3, 4};
  for (auto& [name, values] : probe.proxies) values.push_back(0.0);
  eval::write_probe_record(root / "probe.json", probe);
  CommandResult bad = validate({"--select", "1"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(count(bad.err, "\n"), 1u) << bad.err;
  EXPECT_NE(bad.err.find("probe.json: 5 layers, but the sweep has 4"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace halo
