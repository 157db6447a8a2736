// runtime::LayerProbe against the float64 PyTorch reference of tools/golden/make_probe_reference.py on
// the trained golden model: tests/data/golden_trained/probe_reference.json holds the sequences, the
// variants and the reference sums. Until that file is committed the comparison is skipped with a
// message saying how to make it (docs/golden.md); adding the file is all it takes to enable it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "base/atomic_file.h"
#include "runtime/layer_probe.h"

namespace halo::runtime {
namespace {

const std::filesystem::path kTrained = std::filesystem::path(HALO_TEST_DATA) / "golden_trained";
const std::filesystem::path kReference = kTrained / "probe_reference.json";

TEST(ProbeGolden, MatchesPyTorchFloat64Reference) {
  ASSERT_TRUE(std::filesystem::exists(kReference))
      << kReference << " is missing: make it on a machine with torch with\n"
      << "  python3 tools/golden/make_probe_reference.py --fixtures tests/data/golden_trained";
  const nlohmann::json ref = nlohmann::json::parse(read_file(kReference));
  backend::CpuBackend backend;
  model::LoadOptions options;
  options.rnn_dir = kTrained / ref.at("rnn").get<std::string>();
  options.rnn_layers = {0, 1, 2, 3};
  const model::Model m = model::Model::load(backend, kTrained / ref.at("model").get<std::string>(), options);

  std::vector<ProbeSequence> sequences;
  for (const auto& s : ref.at("sequences")) {
    sequences.push_back({s.at("tokens").get<std::vector<int32_t>>(), s.at("first_compared").get<int64_t>()});
  }
  std::vector<model::Variant> variants;
  for (const auto& v : ref.at("variants")) variants.push_back(model::Variant::converting(m.num_layers(), v.get<std::vector<int>>()));
  LayerProbe probe(backend, m, variants);
  const ProbeSums got = probe.run(sequences, /*block_influence=*/true);

  const double tolerance = ref.at("tolerance_max_abs_mean").get<double>();
  const int64_t compared = ref.at("compared").get<int64_t>(), rows = ref.at("rows").get<int64_t>();
  ASSERT_EQ(got.compared, compared);
  ASSERT_EQ(got.rows, rows);
  const auto kl = ref.at("kl").get<std::vector<double>>();
  const auto nll = ref.at("nll").get<std::vector<double>>();
  const auto cosine = ref.at("cosine").get<std::vector<double>>();
  ASSERT_EQ(got.kl.size(), kl.size());
  ASSERT_EQ(got.cosine.size(), cosine.size());
  const double n = double(compared);
  EXPECT_NEAR(got.nll_original / n, ref.at("nll_original").get<double>() / n, tolerance);
  for (size_t k = 0; k < kl.size(); ++k) {
    EXPECT_NEAR(got.kl[k] / n, kl[k] / n, tolerance) << variants[k].describe();
    EXPECT_NEAR(got.nll[k] / n, nll[k] / n, tolerance) << variants[k].describe();
  }
  for (size_t l = 0; l < cosine.size(); ++l) {
    EXPECT_NEAR(got.cosine[l] / double(rows), cosine[l] / double(rows), tolerance) << "layer " << l;
  }
}

}  // namespace
}  // namespace halo::runtime
