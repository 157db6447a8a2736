// Golden tests: log-probs of Qwen3 models and HALO hybrids against the float64 PyTorch reference:
// tests/data/golden (tiny random models covering every format and option, tools/golden/make_golden.py)
// and tests/data/golden_trained (a small trained model and trained Stage-1 mixers,
// tools/golden/make_trained.py); docs/golden.md.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "backend/cpu/cpu_backend.h"
#include "base/atomic_file.h"
#include "runtime/model_runner.h"

namespace halo::runtime {
namespace {

const std::filesystem::path kData = HALO_TEST_DATA;
const std::filesystem::path kGolden = kData / "golden", kTrained = kData / "golden_trained";

nlohmann::json load_cases(const std::filesystem::path& set) {
  return nlohmann::json::parse(read_file(set / "cases.json"))["cases"];
}

struct GoldenCase {
  std::filesystem::path set;  // the fixture directory the case's paths are relative to
  nlohmann::json data;
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.data["name"].get<std::string>(); }

class Golden : public ::testing::TestWithParam<GoldenCase> {
 protected:
  model::Model load(const std::filesystem::path& set, const nlohmann::json& c) {
    model::LoadOptions options;
    if (!c["rnn"].is_null()) {
      options.rnn_dir = set / c["rnn"].get<std::string>();
      if (!c["rnn_step"].is_null()) options.rnn_step = c["rnn_step"].get<int>();
      options.rnn_layers = c["convert"].get<std::vector<int>>();
    }
    return model::Model::load(backend_, set / c["model"].get<std::string>(), options);
  }
  backend::CpuBackend backend_;
};

TEST_P(Golden, MatchesPyTorchReference) {
  const nlohmann::json& c = GetParam().data;
  model::Model m = load(GetParam().set, c);
  ModelRunner runner(backend_, m, model::Variant::converting(m.num_layers(), c["convert"].get<std::vector<int>>()));
  if (c.contains("generate") && !c["generate"].is_null()) {
    const auto& g = c["generate"];
    GenerateRequest request;
    request.prompt = g["prompt"].get<std::vector<int32_t>>();
    request.max_new_tokens = g["max_new_tokens"].get<int>();
    EXPECT_EQ(runner.generate(std::span(&request, 1))[0], g["expected"].get<std::vector<int32_t>>());
  }
  auto tokens = c["tokens"].get<std::vector<int32_t>>();
  auto expected = c["logprobs"].get<std::vector<double>>();
  auto scores = runner.sequence_logprobs(tokens);
  ASSERT_EQ(scores.size(), expected.size());
  double max_error = 0;
  size_t worst = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    double error = std::abs(double(scores[i].logprob) - expected[i]);
    if (error > max_error) max_error = error, worst = i;
  }
  EXPECT_LE(max_error, 1e-4) << "at position " << worst;
}

std::vector<GoldenCase> all_cases() {
  std::vector<GoldenCase> cases;
  for (const auto& set : {kGolden, kTrained}) {
    for (const auto& c : load_cases(set)) cases.push_back({set, c});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Golden, ::testing::ValuesIn(all_cases()),
                         [](const auto& param_info) { return param_info.param.data["name"].template get<std::string>(); });

TEST(GoldenFixtures, CoverWhatTheIssueAsks) {
  auto cases = load_cases(kGolden);
  std::set<size_t> lengths;
  bool decoy_step = false, all_converted = false;
  for (const auto& c : cases) {
    lengths.insert(c["tokens"].size());
    decoy_step = decoy_step || !c["rnn_step"].is_null();
    all_converted = all_converted || c["convert"].size() >= 3;
  }
  for (size_t n : {1, 2, 63, 64, 65, 300}) EXPECT_TRUE(lengths.count(n)) << n;
  EXPECT_TRUE(decoy_step);
  EXPECT_TRUE(all_converted);
  EXPECT_GE(cases.size(), 30u);
}

}  // namespace
}  // namespace halo::runtime
