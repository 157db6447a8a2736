// probe.json's one reader/writer (eval/probe_record.h): round trips, and one-line errors naming the
// file and the key for every kind of damage.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/probe_record.h"
#include "tiny_checkpoint.h"

namespace halo::eval {
namespace {

ProbeRecord full_record() {
  ProbeRecord r;
  r.model = "models/m";
  r.rnn = "runs/r";
  r.rnn_step = 600;
  r.device = "cpu";
  r.precision = "fp32";
  r.num_layers = 3;
  r.layers = {0, 1, 2};
  r.text = ProbeTextCalibration{"calib.txt", std::string(64, 'a'), 16, 4, 5, 60};
  r.data = "data";
  r.requests_per_task = 8;
  r.tasks["fda"] = {"retrieval", 8, 21, 1.25, {0.5, 0.125, 0.0625}, {1.5, 1.375, 1.3125}};
  r.tasks["arc_easy"] = {"commonsense", 8, 9, 2.0, {0.25, 0.5, 0.75}, {2.5, 2.25, 2.125}};
  r.proxies = {{"kl-text", {0.1, 0.2, 0.30000000000000004}},
               {"kl-retrieval", {0.5, 0.125, 0.0625}},
               {"nll", {0.375, 0.1875, 0.09375}},
               {"bi", {1e-17, 0.5, 2.0 / 3.0}}};
  r.seconds = 1.5;
  return r;
}

void expect_equal(const ProbeRecord& a, const ProbeRecord& b) {
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.rnn, b.rnn);
  EXPECT_EQ(a.rnn_step, b.rnn_step);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.precision, b.precision);
  EXPECT_EQ(a.num_layers, b.num_layers);
  EXPECT_EQ(a.layers, b.layers);
  ASSERT_EQ(a.text.has_value(), b.text.has_value());
  if (a.text) {
    EXPECT_EQ(a.text->file, b.text->file);
    EXPECT_EQ(a.text->sha256, b.text->sha256);
    EXPECT_EQ(a.text->chunk_tokens, b.text->chunk_tokens);
    EXPECT_EQ(a.text->chunks, b.text->chunks);
    EXPECT_EQ(a.text->chunks_in_file, b.text->chunks_in_file);
    EXPECT_EQ(a.text->positions, b.text->positions);
  }
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.requests_per_task, b.requests_per_task);
  EXPECT_EQ(a.proxies, b.proxies);  // bit-exact doubles
  ASSERT_EQ(a.tasks.size(), b.tasks.size());
  for (const auto& [name, t] : a.tasks) {
    const ProbeTask& u = b.tasks.at(name);
    EXPECT_EQ(t.suite, u.suite);
    EXPECT_EQ(t.requests, u.requests);
    EXPECT_EQ(t.answer_tokens, u.answer_tokens);
    EXPECT_EQ(t.nll_original, u.nll_original);
    EXPECT_EQ(t.kl, u.kl);
    EXPECT_EQ(t.nll, u.nll);
  }
  EXPECT_EQ(a.seconds, b.seconds);
}

class ProbeRecordTest : public ::testing::Test {
 protected:
  void SetUp() override { dir = halo::testing::fresh_temp_dir("probe_record"); }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // The error of reading `full_record()` after `edit` changed its JSON.
  std::string error_after(const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = nlohmann::json::parse(probe_record_text(full_record()));
    edit(j);
    write_file_atomic(dir / "probe.json", j.dump());
    try {
      read_probe_record(dir / "probe.json");
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      return e.what();
    }
    return "(no error)";
  }
  std::filesystem::path dir;
};

TEST_F(ProbeRecordTest, RoundTrips) {
  const ProbeRecord r = full_record();
  write_probe_record(dir / "probe.json", r);
  expect_equal(read_probe_record(dir / "probe.json"), r);
  // Written twice, the same bytes (stable key order).
  EXPECT_EQ(probe_record_text(read_probe_record(dir / "probe.json")), read_file(dir / "probe.json"));
}

TEST_F(ProbeRecordTest, RoundTripsWithoutCorpusOrTasks) {
  ProbeRecord r = full_record();
  r.text.reset();
  r.proxies.erase("kl-text");
  r.proxies.erase("bi");
  write_probe_record(dir / "a.json", r);
  expect_equal(read_probe_record(dir / "a.json"), r);
  r = full_record();
  r.data.clear();
  r.requests_per_task = 0;
  r.tasks.clear();
  r.proxies = {{"bi", {0.25, 0.5, 0.75}}};
  r.layers = {0, 1, 2};
  write_probe_record(dir / "b.json", r);
  expect_equal(read_probe_record(dir / "b.json"), r);
}

TEST_F(ProbeRecordTest, ProxyByLayer) {
  ProbeRecord r = full_record();
  EXPECT_EQ(r.proxy_by_layer("nll", "p.json"), (std::vector<double>{0.375, 0.1875, 0.09375}));
  r.proxies.erase("kl-text");
  try {
    r.proxy_by_layer("kl-text", "p.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "p.json: proxies: no 'kl-text' values (measured: bi, kl-retrieval, nll); halo probe measures it with "
              "--calibration FILE");
  }
  r.layers = {0, 2};
  for (auto& [name, values] : r.proxies) values = {1.0, 2.0};
  try {
    r.proxy_by_layer("nll", "p.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("p.json: layers: layer 1 was not probed"), std::string::npos) << e.what();
  }
}

TEST_F(ProbeRecordTest, DamageIsOneLineNamingFileAndKey) {
  const std::string file = (dir / "probe.json").string();
  EXPECT_EQ(error_after([](auto& j) { j["format"] = "halo-sweep-results"; }),
            file + ": format: not 'halo-probe' (is this a halo probe.json?)");
  EXPECT_EQ(error_after([](auto& j) { j["version"] = 9; }), file + ": version: not 1");
  EXPECT_EQ(error_after([](auto& j) { j.erase("model"); }), file + ": model: missing");
  EXPECT_EQ(error_after([](auto& j) { j["layers"] = {0, 3, 1}; }), file + ": layers[1]: not a layer of 0..2");
  EXPECT_EQ(error_after([](auto& j) { j["layers"] = {0, 0, 1}; }), file + ": layers[1]: repeats a layer");
  EXPECT_EQ(error_after([](auto& j) { j["layers"] = {1, 0, 2}; }), file + ": layers: not ascending");
  EXPECT_EQ(error_after([](auto& j) { j["proxies"]["nll"] = {1.0, 2.0}; }),
            file + ": proxies.nll: 2 values for 3 layers");
  EXPECT_EQ(error_after([](auto& j) { j["proxies"]["bi"][2] = nullptr; }),
            file + ": proxies.bi[2]: not a finite number");
  EXPECT_EQ(error_after([](auto& j) { j["proxies"]["ppl"] = {1, 2, 3}; }), file + ": proxies.ppl: not a proxy halo knows");
  EXPECT_EQ(error_after([](auto& j) { j["calibration"]["text"].erase("sha256"); }),
            file + ": calibration.text.sha256: missing");
  EXPECT_EQ(error_after([](auto& j) { j["tasks"]["fda"]["kl"] = "x"; }), file + ": tasks.fda.kl: not an array");
  EXPECT_EQ(error_after([](auto& j) { j["num_layers"] = 0; }), file + ": num_layers: not an integer >= 1");

  write_file_atomic(dir / "bad.json", "{ not json");
  EXPECT_THROW(
      {
        try {
          read_probe_record(dir / "bad.json");
        } catch (const Error& e) {
          EXPECT_EQ(std::string(e.what()), (dir / "bad.json").string() + ": not valid JSON");
          throw;
        }
      },
      Error);
  EXPECT_THROW(read_probe_record(dir / "missing.json"), Error);
}

// A NaN that reached the writer comes back as an error, not as a number.
TEST_F(ProbeRecordTest, NonFiniteValuesDoNotReadBack) {
  ProbeRecord r = full_record();
  r.proxies["kl-text"][1] = std::nan("");
  write_probe_record(dir / "probe.json", r);
  EXPECT_THROW(read_probe_record(dir / "probe.json"), Error);
}

}  // namespace
}  // namespace halo::eval
