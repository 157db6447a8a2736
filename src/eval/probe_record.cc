#include "eval/probe_record.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/error.h"

namespace halo::eval {

namespace {

constexpr const char* kFormat = "halo-probe";
constexpr int kVersion = 1;

using ojson = nlohmann::ordered_json;

// Reading with the key path at hand, so every error names the file and the key.
class Reader {
 public:
  explicit Reader(std::filesystem::path path) : path_(std::move(path)) {}

  [[noreturn]] void bad(const std::string& key, const std::string& what) const {
    fail("{}: {}: {}", path_.string(), key, what);
  }
  const nlohmann::json& at(const nlohmann::json& j, const std::string& parent, const char* key) const {
    if (!j.is_object() || !j.contains(key)) bad(join(parent, key), "missing");
    return j.at(key);
  }
  std::string string(const nlohmann::json& j, const std::string& parent, const char* key) const {
    const auto& v = at(j, parent, key);
    if (!v.is_string()) bad(join(parent, key), "not a string");
    return v.get<std::string>();
  }
  int64_t integer(const nlohmann::json& j, const std::string& parent, const char* key, int64_t min) const {
    const auto& v = at(j, parent, key);
    if (!v.is_number_integer() || v.get<int64_t>() < min) bad(join(parent, key), fmt::format("not an integer >= {}", min));
    return v.get<int64_t>();
  }
  double number(const nlohmann::json& v, const std::string& key) const {
    if (!v.is_number() || !std::isfinite(v.get<double>())) bad(key, "not a finite number");
    return v.get<double>();
  }
  std::vector<double> numbers(const nlohmann::json& v, const std::string& key, size_t size) const {
    if (!v.is_array()) bad(key, "not an array");
    if (v.size() != size) bad(key, fmt::format("{} values for {} layers", v.size(), size));
    std::vector<double> out;
    for (size_t i = 0; i < v.size(); ++i) out.push_back(number(v[i], fmt::format("{}[{}]", key, i)));
    return out;
  }
  static std::string join(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace

const std::vector<std::string>& probe_proxy_names() {
  static const std::vector<std::string> names{"kl-text", "kl-retrieval", "nll", "bi"};
  return names;
}

std::vector<double> ProbeRecord::proxy_by_layer(const std::string& proxy, const std::filesystem::path& path) const {
  auto it = proxies.find(proxy);
  if (it == proxies.end()) {
    std::vector<std::string> measured;
    for (const auto& [name, values] : proxies) measured.push_back(name);
    fail("{}: proxies: no '{}' values (measured: {}); halo probe measures it with {}", path.string(), proxy,
         measured.empty() ? "none" : fmt::format("{}", fmt::join(measured, ", ")),
         proxy == "kl-text" || proxy == "bi" ? "--calibration FILE" : "--data DIR");
  }
  std::vector<double> by_layer(size_t(num_layers), 0.0);
  std::vector<bool> seen(size_t(num_layers), false);
  for (size_t i = 0; i < layers.size(); ++i) {
    by_layer[size_t(layers[i])] = it->second[i];
    seen[size_t(layers[i])] = true;
  }
  for (int l = 0; l < num_layers; ++l) {
    if (!seen[size_t(l)]) {
      fail("{}: layers: layer {} was not probed (ranking needs all {} layers; run halo probe without --layers)",
           path.string(), l, num_layers);
    }
  }
  return by_layer;
}

std::string probe_record_text(const ProbeRecord& r) {
  ojson calibration = ojson::object();
  if (r.text) {
    calibration["text"] = {{"file", r.text->file},
                           {"sha256", r.text->sha256},
                           {"chunk_tokens", r.text->chunk_tokens},
                           {"chunks", r.text->chunks},
                           {"chunks_in_file", r.text->chunks_in_file},
                           {"positions", r.text->positions}};
  } else {
    calibration["text"] = nullptr;
  }
  if (!r.data.empty()) {
    calibration["tasks"] = {{"data", r.data},
                            {"requests_per_task", r.requests_per_task},
                            {"selection", "the first requests_per_task documents of each task"}};
  } else {
    calibration["tasks"] = nullptr;
  }
  ojson proxies = ojson::object();
  for (const std::string& name : probe_proxy_names()) {
    if (auto it = r.proxies.find(name); it != r.proxies.end()) proxies[name] = it->second;
  }
  ojson tasks = ojson::object();
  for (const auto& [name, t] : r.tasks) {
    tasks[name] = {{"suite", t.suite},       {"requests", t.requests}, {"answer_tokens", t.answer_tokens},
                   {"nll_original", t.nll_original}, {"kl", t.kl},     {"nll", t.nll}};
  }
  ojson j = {{"format", kFormat},         {"version", kVersion},        {"model", r.model},
             {"rnn", r.rnn},              {"rnn_step", r.rnn_step},     {"device", r.device},
             {"precision", r.precision},  {"num_layers", r.num_layers}, {"layers", r.layers},
             {"calibration", calibration}, {"proxies", proxies},        {"tasks", tasks},
             {"seconds", r.seconds}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void write_probe_record(const std::filesystem::path& path, const ProbeRecord& record) {
  write_file_atomic(path, probe_record_text(record));
}

ProbeRecord read_probe_record(const std::filesystem::path& path) {
  nlohmann::json j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded()) fail("{}: not valid JSON", path.string());
  Reader in(path);
  if (!j.is_object()) in.bad("(top level)", "not a JSON object");
  if (!j.contains("format") || j["format"] != kFormat) {
    in.bad("format", fmt::format("not '{}' (is this a halo probe.json?)", kFormat));
  }
  if (!j.contains("version") || j["version"] != kVersion) in.bad("version", fmt::format("not {}", kVersion));

  ProbeRecord r;
  r.model = in.string(j, "", "model");
  r.rnn = in.string(j, "", "rnn");
  r.rnn_step = int(in.integer(j, "", "rnn_step", 0));
  r.device = in.string(j, "", "device");
  r.precision = in.string(j, "", "precision");
  r.num_layers = int(in.integer(j, "", "num_layers", 1));
  const auto& layers = in.at(j, "", "layers");
  if (!layers.is_array() || layers.empty()) in.bad("layers", "not a non-empty array");
  std::set<int> seen;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& v = layers[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= r.num_layers) {
      in.bad(fmt::format("layers[{}]", i), fmt::format("not a layer of 0..{}", r.num_layers - 1));
    }
    if (!seen.insert(v.get<int>()).second) in.bad(fmt::format("layers[{}]", i), "repeats a layer");
    if (!r.layers.empty() && v.get<int>() < r.layers.back()) in.bad("layers", "not ascending");
    r.layers.push_back(v.get<int>());
  }

  const auto& calibration = in.at(j, "", "calibration");
  if (!calibration.is_object()) in.bad("calibration", "not an object");
  const auto& text = in.at(calibration, "calibration", "text");
  if (!text.is_null()) {
    ProbeTextCalibration t;
    const std::string key = "calibration.text";
    t.file = in.string(text, key, "file");
    t.sha256 = in.string(text, key, "sha256");
    t.chunk_tokens = in.integer(text, key, "chunk_tokens", 2);
    t.chunks = in.integer(text, key, "chunks", 1);
    t.chunks_in_file = in.integer(text, key, "chunks_in_file", t.chunks);
    t.positions = in.integer(text, key, "positions", 1);
    r.text = t;
  }
  const auto& task_calibration = in.at(calibration, "calibration", "tasks");
  if (!task_calibration.is_null()) {
    r.data = in.string(task_calibration, "calibration.tasks", "data");
    r.requests_per_task = in.integer(task_calibration, "calibration.tasks", "requests_per_task", 1);
  }

  const auto& proxies = in.at(j, "", "proxies");
  if (!proxies.is_object()) in.bad("proxies", "not an object");
  for (const auto& [name, values] : proxies.items()) {
    bool known = false;
    for (const std::string& p : probe_proxy_names()) known = known || p == name;
    if (!known) in.bad("proxies." + name, "not a proxy halo knows");
    r.proxies[name] = in.numbers(values, "proxies." + name, r.layers.size());
  }
  const auto& tasks = in.at(j, "", "tasks");
  if (!tasks.is_object()) in.bad("tasks", "not an object");
  for (const auto& [name, t] : tasks.items()) {
    const std::string key = "tasks." + name;
    ProbeTask task;
    task.suite = in.string(t, key, "suite");
    task.requests = in.integer(t, key, "requests", 1);
    task.answer_tokens = in.integer(t, key, "answer_tokens", 1);
    task.nll_original = in.number(in.at(t, key, "nll_original"), key + ".nll_original");
    task.kl = in.numbers(in.at(t, key, "kl"), key + ".kl", r.layers.size());
    task.nll = in.numbers(in.at(t, key, "nll"), key + ".nll", r.layers.size());
    r.tasks[name] = std::move(task);
  }
  if (j.contains("seconds") && j["seconds"].is_number()) r.seconds = j["seconds"].get<double>();
  return r;
}

}  // namespace halo::eval
