#include "select/sweep_results.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/error.h"

namespace halo::select {
namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "halo-sweep-results";
constexpr int kVersion = 1;

// The layer index of a variant name: "layer<digits>" followed by anything when `prefix_only`
// (layer_analysis.py matches folder names at the start only), exactly "layer<digits>" otherwise.
// -1 when the name is not a layer variant.
int layer_of(const std::string& name, bool prefix_only) {
  constexpr std::string_view kLayer = "layer";
  if (!name.starts_with(kLayer)) return -1;
  const char* first = name.data() + kLayer.size();
  const char* last = name.data() + name.size();
  int layer = -1;
  auto [end, ec] = std::from_chars(first, last, layer);
  if (ec == std::errc::result_out_of_range) fail("{}: layer index out of range", name);
  if (ec != std::errc() || end == first) return -1;
  if (!prefix_only && end != last) return -1;
  return layer;
}

std::string layer_label(int layer) { return fmt::format("layer {}", layer); }

// Checks what every loaded suite must satisfy, whatever its source: it has rows, and no task is
// named twice (a log holding two tables, e.g. from an appended rerun, has no single right answer,
// and layer_analysis.py would silently pool both).
void check_suite(const SuiteResults& suite, const std::string& label, Suite which) {
  if (suite.rows.empty()) {
    fail("{}: {}: no lm-eval results table in the {} results", suite.source, label,
         suite_name(which));
  }
  std::map<std::string, std::size_t> named_at;
  for (const TableRow& row : suite.rows) {
    if (!row.names_task) continue;
    auto [it, fresh] = named_at.emplace(row.task, row.line);
    if (!fresh) {
      fail("{}: {}: task {} appears twice (lines {} and {}); keep one results table per log",
           suite.source, label, row.task, it->second, row.line);
    }
  }
}

// Layers must be exactly 0..N-1: a gap is a variant that is missing, not a layer to skip.
void check_layers_complete(const std::map<int, std::string>& found, const std::string& where,
                           const std::string& what) {
  if (found.empty()) fail("{}: no layer variants ({})", where, what);
  int expected = 0;
  for (const auto& [layer, name] : found) {
    if (layer != expected) {
      fail("{}: layer {}: missing ({} found layers {}..{} but not {}; a sweep must cover every "
           "layer from 0)",
           where, expected, what, found.begin()->first, found.rbegin()->first, expected);
    }
    ++expected;
  }
}

SuiteResults read_log(const fs::path& dir, Suite which, const std::string& label) {
  fs::path path = dir / suite_log_name(which);
  SuiteResults suite{path.string(), {}};
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    fail("{}: {}: missing {} log", suite.source, label, suite_name(which));
  }
  suite.rows = parse_results_table(read_file(path), suite.source);
  check_suite(suite, label, which);
  return suite;
}

VariantResults read_variant_logs(const fs::path& dir, const std::string& label) {
  VariantResults v{label, {}, {}};
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail("{}: {}: missing results folder", dir.string(), label);
  for (Suite s : kSuites) v.suite(s) = read_log(dir, s, label);
  return v;
}

// nlohmann keeps the last of duplicate keys silently; a results file with two values for one key
// is ambiguous, so parsing rejects it. The callback sees object starts, keys and object ends in
// document order, which is enough to track the keys of every open object.
nlohmann::ordered_json parse_rejecting_duplicates(const std::string& text, const std::string& path) {
  std::vector<std::set<std::string>> open;
  auto callback = [&](int, nlohmann::ordered_json::parse_event_t event,
                      nlohmann::ordered_json& parsed) {
    using E = nlohmann::ordered_json::parse_event_t;
    if (event == E::object_start) {
      open.emplace_back();
    } else if (event == E::object_end) {
      open.pop_back();
    } else if (event == E::key && !open.back().insert(parsed.get<std::string>()).second) {
      fail("{}: key \"{}\" appears twice in one object", path, parsed.get<std::string>());
    }
    return true;
  };
  try {
    return nlohmann::ordered_json::parse(text, callback);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", path, e.what());
  }
}

SuiteResults suite_from_json(const nlohmann::ordered_json& tasks, const std::string& path,
                             const std::string& key_path) {
  SuiteResults suite{fmt::format("{} ({})", path, key_path), {}};
  if (!tasks.is_object()) fail("{}: expected an object of tasks", suite.source);
  for (const auto& [task, metrics] : tasks.items()) {
    if (!metrics.is_object() || metrics.empty()) {
      fail("{}: task {}: expected a non-empty object of metric values", suite.source, task);
    }
    bool first = true;
    for (const auto& [metric, value] : metrics.items()) {
      if (!value.is_number()) {
        fail("{}: {}.{}: expected a number", suite.source, task, metric);
      }
      suite.rows.push_back(TableRow{task, first, metric, value.get<double>(), 0});
      first = false;
    }
  }
  return suite;
}

VariantResults variant_from_json(const nlohmann::ordered_json& j, const std::string& path,
                                 const std::string& name, const std::string& label) {
  if (!j.is_object()) fail("{}: variants.{}: expected an object", path, name);
  VariantResults v{label, {}, {}};
  for (Suite s : kSuites) {
    auto it = j.find(suite_name(s));
    if (it == j.end()) fail("{}: {}: no {} results (variants.{})", path, label, suite_name(s), name);
    v.suite(s) = suite_from_json(*it, path, fmt::format("variants.{}.{}", name, suite_name(s)));
    check_suite(v.suite(s), label, s);
  }
  for (const auto& [key, value] : j.items()) {
    if (key != suite_name(Suite::commonsense) && key != suite_name(Suite::retrieval)) {
      fail("{}: variants.{}.{}: unknown suite (expected commonsense and retrieval)", path, name, key);
    }
  }
  return v;
}

// The shortest text that reads back to the same double, so the file holds exactly the values the
// tables printed (0.4317, not 0.43170000000000003).
std::string number_text(double v) { return fmt::format("{}", v); }

std::string suite_line(const SuiteResults& suite) {
  // Rows grouped by task in table order; a task's metrics in table order, since the row order
  // within a task decides which row layer_analysis.py drops.
  std::string out = "{";
  std::string current;
  std::set<std::string> metrics;
  for (std::size_t i = 0; i < suite.rows.size(); ++i) {
    const TableRow& row = suite.rows[i];
    if (i == 0 || row.task != current) {
      if (i > 0) out += "}, ";
      out += nlohmann::json(row.task).dump() + ": {";
      current = row.task;
      metrics.clear();
    } else {
      out += ", ";
    }
    if (!metrics.insert(row.metric).second) {
      fail("{}: task {} has two {} rows (different filters?); the results file keeps one value "
           "per metric",
           suite.source, row.task, row.metric);
    }
    out += nlohmann::json(row.metric).dump() + ": " + number_text(row.value);
  }
  return out + "}}";
}

}  // namespace

const char* suite_name(Suite suite) {
  return suite == Suite::commonsense ? "commonsense" : "retrieval";
}

const char* suite_log_name(Suite suite) {
  return suite == Suite::commonsense ? "commonsense_eval.log" : "retrieval_eval.log";
}

SweepResults load_sweep_logs(const fs::path& root, const std::string& model) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) fail("{}: sweep root is not a directory", root.string());
  fs::path model_dir = root / model;
  if (!fs::is_directory(model_dir, ec)) {
    fail("{}: no folder for model {} in the sweep root", model_dir.string(), model);
  }
  SweepResults results{model, root.string(), {}, {}};
  results.original = read_variant_logs(root / "original", "original");

  std::map<int, std::string> found;  // layer -> folder name
  for (const auto& entry : fs::directory_iterator(model_dir)) {
    std::string name = entry.path().filename().string();
    int layer = layer_of(name, /*prefix_only=*/true);
    if (layer < 0) continue;
    auto [it, fresh] = found.emplace(layer, name);
    if (!fresh) {
      auto [a, b] = std::minmax(it->second, name);
      fail("{}: layer {}: two folders ({} and {}); remove one", model_dir.string(), layer, a, b);
    }
  }
  check_layers_complete(found, model_dir.string(), "layer<L> folders");
  for (const auto& [layer, name] : found) {
    results.layers.push_back(read_variant_logs(model_dir / name, layer_label(layer)));
  }
  return results;
}

SweepResults load_sweep_file(const fs::path& path) {
  const std::string where = path.string();
  nlohmann::ordered_json j = parse_rejecting_duplicates(read_file(path), where);
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat) {
    fail("{}: not a halo sweep results file (\"format\" must be \"{}\")", where, kFormat);
  }
  if (!j.contains("version") || j["version"] != kVersion) {
    fail("{}: unsupported version {} (this halo reads version {})", where,
         j.contains("version") ? j["version"].dump() : "(none)", kVersion);
  }
  if (!j.contains("model") || !j["model"].is_string() || j["model"].get<std::string>().empty()) {
    fail("{}: \"model\" must be a non-empty string", where);
  }
  if (!j.contains("variants") || !j["variants"].is_object()) {
    fail("{}: \"variants\" must be an object", where);
  }
  SweepResults results{j["model"].get<std::string>(), where, {}, {}};
  const auto& variants = j["variants"];
  if (!variants.contains("original")) fail("{}: original: missing (variants.original)", where);

  std::map<int, std::string> found;
  for (const auto& [name, value] : variants.items()) {
    if (name == "original") continue;
    int layer = layer_of(name, /*prefix_only=*/false);
    if (layer < 0) fail("{}: variants.{}: expected \"original\" or \"layer<L>\"", where, name);
    if (!found.emplace(layer, name).second) {
      fail("{}: layer {}: two variants ({} and {})", where, layer, found[layer], name);
    }
  }
  check_layers_complete(found, where, "variants");
  results.original = variant_from_json(variants["original"], where, "original", "original");
  for (const auto& [layer, name] : found) {
    results.layers.push_back(variant_from_json(variants[name], where, name, layer_label(layer)));
  }
  return results;
}

std::string sweep_file_text(const SweepResults& results) {
  std::string out = "{\n";
  out += fmt::format("  \"format\": \"{}\",\n  \"version\": {},\n  \"model\": {},\n", kFormat,
                     kVersion, nlohmann::json(results.model).dump());
  out += "  \"variants\": {\n";
  auto variant = [&](const std::string& name, const VariantResults& v, bool last) {
    out += fmt::format("    \"{}\": {{\n", name);
    out += fmt::format("      \"commonsense\": {},\n", suite_line(v.commonsense));
    out += fmt::format("      \"retrieval\": {}\n", suite_line(v.retrieval));
    out += last ? "    }\n" : "    },\n";
  };
  variant("original", results.original, results.layers.empty());
  for (std::size_t l = 0; l < results.layers.size(); ++l) {
    variant(fmt::format("layer{}", l), results.layers[l], l + 1 == results.layers.size());
  }
  return out + "  }\n}\n";
}

}  // namespace halo::select
