// `halo rank` with `halo probe`'s proxy scores: --score PROXY from probe.json alone, and the agreement
// of every proxy with HALO's score when a sweep and a probe are both there (ranking.json, stdout,
// report). The numbers are the hand-worked ones of test_rank_statistics.cc.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "eval/probe_record.h"
#include "sweep_fixture.h"

namespace halo::select {
namespace {
namespace fs = std::filesystem;

struct Result {
  int exit_code;
  std::string out, err;
};

Result halo(const fs::path& cwd, const std::string& args) {
  const fs::path out = cwd / "stdout.txt", err = cwd / "stderr.txt";
  const std::string cmd = fmt::format("cd '{}' && '{}' {} >'{}' 2>'{}'", cwd.string(), HALO_BINARY, args,
                                      out.string(), err.string());
  const int status = std::system(cmd.c_str());
  Result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
  fs::remove(out);
  fs::remove(err);
  return r;
}

// HALO scores of this sweep: max rt 0.55, max cs 0.48 → {0.25/0.08, 0/0.03, clipped 50, 0.05/0.04}
// = {3.125, 0, 50, 1.25}; order 2, 0, 3, 1.
void write_fixture_sweep(const fs::path& root) {
  testing::write_sweep(root, "m", 0.5, 0.6, {0.40, 0.45, 0.48, 0.44}, {0.30, 0.55, 0.20, 0.50});
}

eval::ProbeRecord fixture_probe() {
  eval::ProbeRecord p;
  p.model = "models/tiny-model";
  p.rnn = "runs/r";
  p.rnn_step = 1;
  p.device = "cpu";
  p.precision = "fp32";
  p.num_layers = 4;
  p.layers = {0, 1, 2, 3};
  p.text = eval::ProbeTextCalibration{"calib.txt", std::string(64, '0'), 8, 2, 2, 14};
  p.proxies = {{"kl-text", {0.9, 0.1, 0.5, 0.3}}, {"bi", {0.2, 0.2, 0.1, 0.4}}, {"nll", {1, 1, 1, 1}}};
  return p;
}

TEST(RankProbe, ProxyScoreFromProbeAlone) {
  const fs::path dir = testing::fresh_dir("rank_probe_alone");
  eval::write_probe_record(dir / "p" / "probe.json", fixture_probe());
  const Result r = halo(dir, "rank --probe p/probe.json --score KL-Text --select 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("   1 |     0 | 0.9000000000\n   2 |     2 | 0.5000000000\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Attention layers (k = 2, --select 2): 0, 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no sweep results"), std::string::npos) << r.out;
  // Written next to the probe: no averages files without a sweep.
  const auto j = nlohmann::json::parse(read_file(dir / "p/ranking.json"));
  EXPECT_EQ(j["mode"], "kl-text");
  EXPECT_TRUE(j["retrieval"].is_null());
  EXPECT_TRUE(j["baselines"].is_null());
  EXPECT_FALSE(j.contains("agreement"));
  EXPECT_EQ(j["model"], "tiny-model");
  EXPECT_EQ(j["selection"]["attention_layers"], nlohmann::json({0, 2}));
  EXPECT_TRUE(fs::exists(dir / "p/report.html"));
  EXPECT_TRUE(fs::exists(dir / "p/hypenet_config.json"));
  EXPECT_FALSE(fs::exists(dir / "p/tiny-model_retrieval_avg.json"));
  const std::string html = read_file(dir / "p/report.html");
  EXPECT_NE(html.find("data-attention-layers=\"0,2\""), std::string::npos);
  EXPECT_EQ(html.find("Drop against the original"), std::string::npos);
}

TEST(RankProbe, AgreementWithHaloWhenSweepAndProbeExist) {
  const fs::path dir = testing::fresh_dir("rank_probe_agreement");
  write_fixture_sweep(dir / "root");
  eval::write_probe_record(dir / "root/probe.json", fixture_probe());  // found in the root
  const Result r = halo(dir, "rank --root root --model m --select 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Attention layers (k = 2, --select 2): 0, 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Agreement of kl-text with HALO: Spearman rho +0.800, top-2 overlap 2/2\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Agreement of nll with HALO: Spearman rho n/a, top-2 overlap 1/2\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Agreement of bi with HALO: Spearman rho -0.632, top-2 overlap 1/2\n"), std::string::npos)
      << r.out;
  const auto j = nlohmann::json::parse(read_file(dir / "root/ranking.json"));
  const auto& a = j["agreement"];
  EXPECT_EQ(a["reference"], "HALO");
  EXPECT_EQ(a["k"], 2);
  EXPECT_NEAR(a["proxies"]["kl-text"]["spearman"].get<double>(), 0.8, 1e-12);
  EXPECT_EQ(a["proxies"]["kl-text"]["top_k_overlap"], 2);
  EXPECT_NEAR(a["proxies"]["bi"]["spearman"].get<double>(), -3 / std::sqrt(22.5), 1e-12);
  EXPECT_EQ(a["proxies"]["bi"]["top_k_overlap"], 1);
  EXPECT_EQ(a["proxies"]["bi"]["order"], nlohmann::json({3, 0, 1, 2}));
  EXPECT_TRUE(a["proxies"]["nll"]["spearman"].is_null());
  EXPECT_FALSE(a["proxies"].contains("kl-retrieval"));
  const std::string html = read_file(dir / "root/report.html");
  EXPECT_NE(html.find("id=\"agreement\""), std::string::npos);
  for (const char* proxy : {"kl-text", "bi", "nll"}) {
    EXPECT_NE(html.find(fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"260\" "
                                    "viewBox=\"0 0 300 260\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
                                    "class=\"scatter\" data-proxy=\"{}\">",
                                    proxy)),
              std::string::npos)
        << proxy;
  }
  // A proxy ranks with the sweep present too; the agreement still compares with HALO.
  const Result by_proxy = halo(dir, "rank --root root --model m --score bi --select 2 --out by_bi");
  ASSERT_EQ(by_proxy.exit_code, 0) << by_proxy.err;
  EXPECT_NE(by_proxy.out.find("Attention layers (k = 2, --select 2): 0, 3"), std::string::npos) << by_proxy.out;
  const auto jb = nlohmann::json::parse(read_file(dir / "by_bi/ranking.json"));
  EXPECT_EQ(jb["mode"], "bi");
  EXPECT_EQ(jb["agreement"]["reference"], "HALO");
  EXPECT_FALSE(jb["retrieval"].is_null());
}

TEST(RankProbe, Errors) {
  const fs::path dir = testing::fresh_dir("rank_probe_errors");
  write_fixture_sweep(dir / "root");
  Result r = halo(dir, "rank --root root --model m --score kl-text");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--score kl-text reads probe.json: give --probe FILE"), std::string::npos) << r.err;
  r = halo(dir, "rank --root root --model m --score perplexity");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--score perplexity: expected halo, jet-nemotron, kl-text, kl-retrieval, nll, bi"),
            std::string::npos)
      << r.err;
  eval::ProbeRecord p = fixture_probe();
  eval::write_probe_record(dir / "p.json", p);
  r = halo(dir, "rank --probe p.json --score kl-retrieval");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("p.json: proxies: no 'kl-retrieval' values"), std::string::npos) << r.err;
  p.num_layers = 5;
  eval::write_probe_record(dir / "p5.json", p);
  r = halo(dir, "rank --probe p5.json --score bi");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("p5.json: layers: layer 4 was not probed"), std::string::npos) << r.err;
  p.layers = {0, 1, 2, 3, 4};
  for (auto& [name, values] : p.proxies) values.push_back(0.0);
  eval::write_probe_record(dir / "p5.json", p);
  r = halo(dir, "rank --root root --model m --probe p5.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("p5.json: num_layers: the probe has 5 layers, the sweep 4"), std::string::npos) << r.err;
  r = halo(dir, "rank --probe p.json --score halo");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("give --results FILE or --root DIR with --model NAME"), std::string::npos) << r.err;
  r = halo(dir, "rank --probe p.json --score nll --mode halo");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(fs::exists(dir / "ranking.json"));
}

}  // namespace
}  // namespace halo::select
